package kube

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	rolloutsv1alpha1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	podutil "k8s.io/kubernetes/pkg/api/pod"
	"k8s.io/kubernetes/pkg/apis/apps"
	appsvalidation "k8s.io/kubernetes/pkg/apis/apps/validation"
	"k8s.io/kubernetes/pkg/apis/autoscaling"
	autoscalingvalidation "k8s.io/kubernetes/pkg/apis/autoscaling/validation"
	"k8s.io/kubernetes/pkg/apis/batch"
	"k8s.io/kubernetes/pkg/apis/core"
	corevalidation "k8s.io/kubernetes/pkg/apis/core/validation"
	"k8s.io/kubernetes/pkg/apis/networking"
	networkingvalidation "k8s.io/kubernetes/pkg/apis/networking/validation"
	"k8s.io/kubernetes/pkg/apis/policy"
	policyvalidation "k8s.io/kubernetes/pkg/apis/policy/validation"
	"k8s.io/kubernetes/pkg/apis/rbac"
	rbacvalidation "k8s.io/kubernetes/pkg/apis/rbac/validation"
	jobregistry "k8s.io/kubernetes/pkg/registry/batch/job"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	// The internal API types, their defaults and conversions, as the API server registers them.
	_ "k8s.io/kubernetes/pkg/apis/apps/install"
	_ "k8s.io/kubernetes/pkg/apis/autoscaling/install"
	_ "k8s.io/kubernetes/pkg/apis/batch/install"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	_ "k8s.io/kubernetes/pkg/apis/networking/install"
	_ "k8s.io/kubernetes/pkg/apis/policy/install"
	_ "k8s.io/kubernetes/pkg/apis/rbac/install"
)

// Object is one manifest document, strictly decoded into its Go type.
type Object struct {
	GVK       schema.GroupVersionKind
	Name      string
	Namespace string
	// Source names where the document came from (file, or overlay).
	Source string
	// Typed is the decoded object (e.g. *appsv1.Deployment, *v1alpha1.Rollout, *ServiceMonitor).
	Typed runtime.Object
	// Raw is the document as JSON or YAML.
	Raw []byte
}

// String names the object for messages: Kind/namespace/name (source).
func (o Object) String() string {
	ns := o.Namespace
	if ns != "" {
		ns += "/"
	}
	return fmt.Sprintf("%s/%s%s (%s)", o.GVK.Kind, ns, o.Name, o.Source)
}

// Scheme knows every kind ragline's manifests use: the Kubernetes API, Argo
// Rollouts and the Prometheus Operator's ServiceMonitor.
var Scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, rolloutsv1alpha1.AddToScheme, addMonitoring} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// strict decodes like the API server with field validation "Strict":
// unknown and duplicate fields are errors.
var strict = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, Scheme, Scheme,
	kjson.SerializerOptions{Yaml: true, Strict: true})

// Decode strictly decodes one document.
func Decode(doc []byte, source string) (Object, error) {
	obj, gvk, err := strict.Decode(doc, nil, nil)
	if err != nil {
		return Object{}, fmt.Errorf("%s: %w", source, err)
	}
	acc, ok := obj.(interface {
		GetName() string
		GetNamespace() string
	})
	if !ok {
		return Object{}, fmt.Errorf("%s: %s has no object metadata", source, gvk)
	}
	return Object{GVK: *gvk, Name: acc.GetName(), Namespace: acc.GetNamespace(), Source: source, Typed: obj, Raw: doc}, nil
}

// DecodeAll strictly decodes every document of a multi-document YAML stream.
func DecodeAll(data []byte, source string) ([]Object, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []Object
	var errs []error
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		o, err := Decode(doc, fmt.Sprintf("%s#%d", source, i))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, o)
	}
	return objs, errors.Join(errs...)
}

func stripComments(doc []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) {
			out = append(out, l)
		}
	}
	return bytes.Join(out, []byte("\n"))
}

// Render builds a kustomization directory in-process with krusty (what
// `kubectl apply -k` runs) and strictly decodes every resulting object.
func Render(dir string) ([]Object, error) {
	return RenderFS(filesys.MakeFsOnDisk(), dir)
}

// RenderFS is Render on any file system (tests use an in-memory one for broken input).
func RenderFS(fs filesys.FileSystem, dir string) ([]Object, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(fs, dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var objs []Object
	var errs []error
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			return nil, err
		}
		o, err := Decode(y, filepath.Base(dir)+":"+r.GetKind()+"/"+r.GetName())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, o)
	}
	return objs, errors.Join(errs...)
}

// Validate runs the Kubernetes API server's validation for obj: defaults
// applied, converted to the internal type, then the k8s.io/kubernetes
// validator of that kind. Kinds the API server does not own (Rollout,
// AnalysisTemplate, ServiceMonitor) are validated elsewhere and return nil.
func Validate(obj runtime.Object) field.ErrorList {
	gvk := obj.GetObjectKind().GroupVersionKind()
	if !legacyscheme.Scheme.Recognizes(gvk) {
		return nil
	}
	obj = obj.DeepCopyObject()
	legacyscheme.Scheme.Default(obj)
	internal, err := legacyscheme.Scheme.ConvertToVersion(obj, schema.GroupVersion{Group: gvk.Group, Version: runtime.APIVersionInternal})
	if err != nil {
		return field.ErrorList{field.InternalError(nil, fmt.Errorf("convert %s: %w", gvk, err))}
	}
	switch o := internal.(type) {
	case *apps.Deployment:
		return appsvalidation.ValidateDeployment(o, podutil.GetValidationOptionsFromPodTemplate(&o.Spec.Template, nil))
	case *core.Service:
		return corevalidation.ValidateServiceCreate(o)
	case *core.ServiceAccount:
		return corevalidation.ValidateServiceAccount(o)
	case *core.ConfigMap:
		return corevalidation.ValidateConfigMap(o)
	case *core.Secret:
		return corevalidation.ValidateSecret(o)
	case *core.PersistentVolumeClaim:
		return corevalidation.ValidatePersistentVolumeClaim(o, corevalidation.ValidationOptionsForPersistentVolumeClaim(o, nil))
	case *networking.NetworkPolicy:
		return networkingvalidation.ValidateNetworkPolicy(o, networkingvalidation.ValidationOptionsForNetworking(o, nil))
	case *policy.PodDisruptionBudget:
		return policyvalidation.ValidatePodDisruptionBudget(o, policyvalidation.PodDisruptionBudgetValidationOptions{})
	case *autoscaling.HorizontalPodAutoscaler:
		return autoscalingvalidation.ValidateHorizontalPodAutoscaler(o, autoscalingvalidation.HorizontalPodAutoscalerSpecValidationOptions{MinReplicasLowerBound: 1})
	case *batch.Job:
		// The API server gives a new Job its UID and generated selector before validating it.
		if o.UID == "" {
			o.UID = types.UID("00000000-0000-4000-8000-000000000000")
		}
		jobregistry.Strategy.PrepareForCreate(context.Background(), o)
		return jobregistry.Strategy.Validate(context.Background(), o)
	case *rbac.Role:
		return rbacvalidation.ValidateRole(o)
	case *rbac.RoleBinding:
		return rbacvalidation.ValidateRoleBinding(o)
	case *rbac.ClusterRole:
		return rbacvalidation.ValidateClusterRole(o, rbacvalidation.ClusterRoleValidationOptions{})
	case *rbac.ClusterRoleBinding:
		return rbacvalidation.ValidateClusterRoleBinding(o)
	}
	return field.ErrorList{field.InternalError(nil, fmt.Errorf("no validator for %s", gvk))}
}

// ErrorsString joins a field.ErrorList into one message.
func ErrorsString(errs field.ErrorList) string {
	var s []string
	for _, e := range errs {
		s = append(s, e.Error())
	}
	return strings.Join(s, "; ")
}

func addMonitoring(s *runtime.Scheme) error { return monitoringv1.AddToScheme(s) }
