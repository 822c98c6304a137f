package tekton

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/triggers/pkg/apis/triggers/contexts"
	triggersv1beta1 "github.com/tektoncd/triggers/pkg/apis/triggers/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"knative.dev/pkg/apis"
)

// Scheme knows Tekton Pipelines v1 and Tekton Triggers v1beta1.
var Scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{pipelinev1.AddToScheme, triggersv1beta1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// strict decodes like the API server with field validation "Strict".
var strict = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, Scheme, Scheme,
	kjson.SerializerOptions{Yaml: true, Strict: true})

// Object is one decoded document.
type Object struct {
	GVK    schema.GroupVersionKind
	Source string
	Typed  runtime.Object
}

// DecodeAll strictly decodes every document of a YAML stream. Kinds outside
// Tekton (e.g. RBAC) are skipped: deploy/validate/kube validates those.
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
		if !hasContent(doc) {
			continue
		}
		obj, gvk, err := strict.Decode(doc, nil, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s#%d: %w", source, i, err))
			continue
		}
		objs = append(objs, Object{GVK: *gvk, Source: fmt.Sprintf("%s#%d", source, i), Typed: obj})
	}
	return objs, errors.Join(errs...)
}

func hasContent(doc []byte) bool {
	for _, l := range bytes.Split(doc, []byte("\n")) {
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) {
			return true
		}
	}
	return false
}

// defaultable is what Tekton's and Triggers' admission webhooks call.
type defaultable interface {
	SetDefaults(context.Context)
	Validate(context.Context) *apis.FieldError
}

// Validate applies the defaults and runs the validation of Tekton's or
// Triggers' admission webhook on obj (in place), and for a TriggerTemplate
// also on each of its resource templates as the object it creates.
func Validate(obj runtime.Object) error {
	ctx := context.Background()
	switch obj.(type) {
	case *triggersv1beta1.EventListener, *triggersv1beta1.TriggerBinding, *triggersv1beta1.TriggerTemplate,
		*triggersv1beta1.Trigger, *triggersv1beta1.ClusterTriggerBinding:
		ctx = contexts.WithUpgradeViaDefaulting(ctx)
	}
	d, ok := obj.(defaultable)
	if !ok {
		return fmt.Errorf("%T: not a Tekton object", obj)
	}
	// The API server names an object from its generateName before admission
	// (five random characters appended).
	if m, ok := obj.(metav1.Object); ok && m.GetName() == "" && m.GetGenerateName() != "" {
		m.SetName(m.GetGenerateName() + "x7k2q")
	}
	// The webhooks validate on create: apis.WithinCreate.
	ctx = apis.WithinCreate(ctx)
	d.SetDefaults(ctx)
	if fe := d.Validate(ctx); fe != nil {
		return fe
	}
	tt, ok := obj.(*triggersv1beta1.TriggerTemplate)
	if !ok {
		return nil
	}
	var errs []error
	for i, rt := range tt.Spec.ResourceTemplates {
		objs, err := DecodeAll(rt.RawExtension.Raw, fmt.Sprintf("%s.spec.resourcetemplates[%d]", tt.Name, i))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, o := range objs {
			if err := Validate(o.Typed); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", o.Source, err))
			}
		}
	}
	return errors.Join(errs...)
}
