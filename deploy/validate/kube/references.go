package kube

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// NetworkPolicyPeers lists every ingress or egress rule of a rendered
// NetworkPolicy whose peers (from/to) or ports differ from the same rule in
// the policy as written: Kustomize must not rewrite a peer's selectors (a
// `labels` transformer with includeSelectors does, and then DNS and Redis
// are blocked on an enforcing CNI).
func NetworkPolicyPeers(where string, rendered, source *networkingv1.NetworkPolicy) []string {
	var bad []string
	if len(rendered.Spec.Egress) != len(source.Spec.Egress) || len(rendered.Spec.Ingress) != len(source.Spec.Ingress) {
		return []string{fmt.Sprintf("%s: %d egress and %d ingress rules rendered, %d and %d written", where,
			len(rendered.Spec.Egress), len(rendered.Spec.Ingress), len(source.Spec.Egress), len(source.Spec.Ingress))}
	}
	for i, r := range rendered.Spec.Egress {
		for j, p := range r.To {
			if j >= len(source.Spec.Egress[i].To) || !reflect.DeepEqual(p, source.Spec.Egress[i].To[j]) {
				bad = append(bad, fmt.Sprintf("%s: egress[%d].to[%d] rendered as %s, written as %s", where, i, j, peerString(p), peerString(at(source.Spec.Egress[i].To, j))))
			}
		}
		if !reflect.DeepEqual(r.Ports, source.Spec.Egress[i].Ports) {
			bad = append(bad, fmt.Sprintf("%s: egress[%d].ports changed by rendering", where, i))
		}
	}
	for i, r := range rendered.Spec.Ingress {
		for j, p := range r.From {
			if j >= len(source.Spec.Ingress[i].From) || !reflect.DeepEqual(p, source.Spec.Ingress[i].From[j]) {
				bad = append(bad, fmt.Sprintf("%s: ingress[%d].from[%d] rendered as %s, written as %s", where, i, j, peerString(p), peerString(at(source.Spec.Ingress[i].From, j))))
			}
		}
	}
	return bad
}

func at(ps []networkingv1.NetworkPolicyPeer, i int) networkingv1.NetworkPolicyPeer {
	if i < len(ps) {
		return ps[i]
	}
	return networkingv1.NetworkPolicyPeer{}
}

func peerString(p networkingv1.NetworkPolicyPeer) string {
	var parts []string
	if p.NamespaceSelector != nil {
		parts = append(parts, "namespaces "+labelsString(p.NamespaceSelector.MatchLabels))
	}
	if p.PodSelector != nil {
		parts = append(parts, "pods "+labelsString(p.PodSelector.MatchLabels))
	}
	if p.IPBlock != nil {
		parts = append(parts, "ipBlock "+p.IPBlock.CIDR)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func labelsString(m map[string]string) string {
	var kv []string
	for k, v := range m {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return "{" + strings.Join(kv, ",") + "}"
}

// ExternalObject is a Secret or ConfigMap created outside the overlay
// (docs/deployment.md) that manifests may reference: its name, keys and
// namespaces.
type ExternalObject struct {
	Name       string   `json:"name"`
	Keys       []string `json:"keys"`
	Namespaces []string `json:"namespaces"`
}

// External is deploy/kubernetes/external-objects.yaml.
type External struct {
	Secrets    []ExternalObject `json:"secrets"`
	ConfigMaps []ExternalObject `json:"configMaps"`
}

// LoadExternal reads deploy/kubernetes/external-objects.yaml strictly.
func LoadExternal(path string) (External, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return External{}, err
	}
	var f External
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		return External{}, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// podTemplate is a pod spec found in a rendered object, with its labels.
type podTemplate struct {
	where  string
	labels map[string]string
	spec   corev1.PodSpec
}

func podTemplates(objs []Object) []podTemplate {
	var out []podTemplate
	for _, o := range objs {
		switch v := o.Typed.(type) {
		case *appsv1.Deployment:
			out = append(out, podTemplate{o.String(), v.Spec.Template.Labels, v.Spec.Template.Spec})
		case *batchv1.Job:
			out = append(out, podTemplate{o.String(), v.Spec.Template.Labels, v.Spec.Template.Spec})
		case *v1alpha1.Rollout:
			if v.Spec.WorkloadRef == nil {
				out = append(out, podTemplate{o.String(), v.Spec.Template.Labels, v.Spec.Template.Spec})
			}
		case *v1alpha1.AnalysisTemplate:
			for _, m := range v.Spec.Metrics {
				if m.Provider.Job != nil {
					out = append(out, podTemplate{o.String() + " metric " + m.Name, m.Provider.Job.Spec.Template.Labels, m.Provider.Job.Spec.Template.Spec})
				}
			}
		}
	}
	return out
}

// ResolveReferences lists every reference of a rendered overlay that does
// not resolve within it: env and envFrom configMapKeyRef / configMapRef and
// configMap volumes (and their items) need a ConfigMap of the overlay with
// that key; secretKeyRef / secretRef and secret volumes need a Secret of the
// overlay or of the external-objects contract in the overlay's namespace,
// with that key (ConfigMaps too may come from the contract); a Service's targetPort and a NetworkPolicy's ingress port,
// when named, need a container port of that name in the pods they select
// (a number needs that containerPort).
func ResolveReferences(objs []Object, external External) []string {
	configMaps := map[string]map[string]bool{}
	secrets := map[string]map[string]bool{}
	ns := ""
	for _, o := range objs {
		if o.Namespace != "" {
			ns = o.Namespace
		}
		switch v := o.Typed.(type) {
		case *corev1.ConfigMap:
			keys := map[string]bool{}
			for k := range v.Data {
				keys[k] = true
			}
			for k := range v.BinaryData {
				keys[k] = true
			}
			configMaps[v.Name] = keys
		case *corev1.Secret:
			keys := map[string]bool{}
			for k := range v.Data {
				keys[k] = true
			}
			for k := range v.StringData {
				keys[k] = true
			}
			secrets[v.Name] = keys
		}
	}
	for _, set := range []struct {
		objs  []ExternalObject
		known map[string]map[string]bool
	}{{external.Secrets, secrets}, {external.ConfigMaps, configMaps}} {
		for _, s := range set.objs {
			if ns == "" || slices.Contains(s.Namespaces, ns) {
				keys := map[string]bool{}
				for _, k := range s.Keys {
					keys[k] = true
				}
				set.known[s.Name] = keys
			}
		}
	}
	var bad []string
	check := func(where, kind, name, key string, optional *bool, known map[string]map[string]bool) {
		if optional != nil && *optional {
			return
		}
		keys, ok := known[name]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("%s: %s %q is not in the overlay (namespace %s)", where, kind, name, ns))
		case key != "" && !keys[key]:
			have := make([]string, 0, len(keys))
			for k := range keys {
				have = append(have, k)
			}
			sort.Strings(have)
			bad = append(bad, fmt.Sprintf("%s: %s %q has no key %q (keys %v)", where, kind, name, key, have))
		}
	}
	templates := podTemplates(objs)
	for _, pt := range templates {
		for _, c := range append(append([]corev1.Container{}, pt.spec.InitContainers...), pt.spec.Containers...) {
			w := fmt.Sprintf("%s container %q", pt.where, c.Name)
			for _, e := range c.Env {
				if e.ValueFrom == nil {
					continue
				}
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
					check(w+" env "+e.Name, "ConfigMap", r.Name, r.Key, r.Optional, configMaps)
				}
				if r := e.ValueFrom.SecretKeyRef; r != nil {
					check(w+" env "+e.Name, "Secret", r.Name, r.Key, r.Optional, secrets)
				}
			}
			for _, ef := range c.EnvFrom {
				if r := ef.ConfigMapRef; r != nil {
					check(w+" envFrom", "ConfigMap", r.Name, "", r.Optional, configMaps)
				}
				if r := ef.SecretRef; r != nil {
					check(w+" envFrom", "Secret", r.Name, "", r.Optional, secrets)
				}
			}
		}
		for _, v := range pt.spec.Volumes {
			w := fmt.Sprintf("%s volume %q", pt.where, v.Name)
			if r := v.ConfigMap; r != nil {
				check(w, "ConfigMap", r.Name, "", r.Optional, configMaps)
				for _, it := range r.Items {
					check(w, "ConfigMap", r.Name, it.Key, r.Optional, configMaps)
				}
			}
			if r := v.Secret; r != nil {
				check(w, "Secret", r.SecretName, "", r.Optional, secrets)
				for _, it := range r.Items {
					check(w, "Secret", r.SecretName, it.Key, r.Optional, secrets)
				}
			}
		}
	}
	ports := func(where string, selector map[string]string, port intstr.IntOrString) {
		var selected []podTemplate
		for _, pt := range templates {
			if len(selector) > 0 && matches(selector, pt.labels) {
				selected = append(selected, pt)
			}
		}
		if len(selected) == 0 {
			bad = append(bad, fmt.Sprintf("%s: selector %s picks no pod template of the overlay", where, labelsString(selector)))
			return
		}
		for _, pt := range selected {
			found := false
			for _, c := range pt.spec.Containers {
				for _, p := range c.Ports {
					if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
						found = true
					}
				}
			}
			if !found {
				bad = append(bad, fmt.Sprintf("%s: port %s is not a container port of %s", where, port.String(), pt.where))
			}
		}
	}
	for _, o := range objs {
		switch v := o.Typed.(type) {
		case *corev1.Service:
			for _, p := range v.Spec.Ports {
				tp := p.TargetPort
				if tp.Type == intstr.Int && tp.IntVal == 0 {
					tp = intstr.FromInt32(p.Port)
				}
				ports(fmt.Sprintf("%s port %q targetPort", o, p.Name), v.Spec.Selector, tp)
			}
		case *networkingv1.NetworkPolicy:
			for i, r := range v.Spec.Ingress {
				for _, p := range r.Ports {
					if p.Port != nil {
						ports(fmt.Sprintf("%s ingress[%d]", o, i), v.Spec.PodSelector.MatchLabels, *p.Port)
					}
				}
			}
		}
	}
	return bad
}

func matches(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// ReplicasUnderHPA lists workloads that set spec.replicas although a
// HorizontalPodAutoscaler scales them: every apply or sync would reset the
// autoscaler's choice.
func ReplicasUnderHPA(objs []Object, hpaTargets map[string]bool) []string {
	var bad []string
	for _, o := range objs {
		key := o.GVK.Kind + "/" + o.Name
		if !hpaTargets[key] {
			continue
		}
		switch v := o.Typed.(type) {
		case *appsv1.Deployment:
			if v.Spec.Replicas != nil {
				bad = append(bad, fmt.Sprintf("%s: sets replicas %d under a HorizontalPodAutoscaler", o, *v.Spec.Replicas))
			}
		case *v1alpha1.Rollout:
			if v.Spec.Replicas != nil {
				bad = append(bad, fmt.Sprintf("%s: sets replicas %d under a HorizontalPodAutoscaler", o, *v.Spec.Replicas))
			}
		}
	}
	return bad
}
