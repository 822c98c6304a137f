package kube

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// PodRules lists every breach of ragline's container rules in a pod spec:
// each container runs as non-root with a read-only root filesystem, no
// privilege escalation, all capabilities dropped, the RuntimeDefault seccomp
// profile, and requests and limits for CPU and memory. Serving containers
// (server true) also need a liveness probe on /healthz and a readiness probe
// on /readyz (init containers run to completion and have no probes).
func PodRules(where string, spec corev1.PodSpec, server bool) []string {
	var bad []string
	add := func(c, format string, args ...any) {
		bad = append(bad, fmt.Sprintf("%s: container %q: ", where, c)+fmt.Sprintf(format, args...))
	}
	podSC := spec.SecurityContext
	cs := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	if len(cs) == 0 {
		bad = append(bad, where+": no containers")
	}
	for i, c := range cs {
		isInit := i < len(spec.InitContainers)
		sc := c.SecurityContext
		if sc == nil {
			add(c.Name, "no securityContext")
			continue
		}
		nonRoot := sc.RunAsNonRoot
		if nonRoot == nil && podSC != nil {
			nonRoot = podSC.RunAsNonRoot
		}
		if nonRoot == nil || !*nonRoot {
			add(c.Name, "runAsNonRoot is not true")
		}
		if uid := runAsUser(sc, podSC); uid != nil && *uid == 0 {
			add(c.Name, "runs as UID 0")
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			add(c.Name, "readOnlyRootFilesystem is not true")
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			add(c.Name, "allowPrivilegeEscalation is not false")
		}
		if sc.Privileged != nil && *sc.Privileged {
			add(c.Name, "privileged")
		}
		if sc.Capabilities == nil || !dropsAll(sc.Capabilities.Drop) {
			add(c.Name, "capabilities do not drop ALL")
		} else if len(sc.Capabilities.Add) > 0 {
			add(c.Name, "adds capabilities %v", sc.Capabilities.Add)
		}
		seccomp := sc.SeccompProfile
		if seccomp == nil && podSC != nil {
			seccomp = podSC.SeccompProfile
		}
		if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
			add(c.Name, "seccompProfile is not RuntimeDefault")
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[r]; !ok {
				add(c.Name, "no %s request", r)
			}
			if _, ok := c.Resources.Limits[r]; !ok {
				add(c.Name, "no %s limit", r)
			}
		}
		if server && !isInit {
			if !httpProbe(c.LivenessProbe, "/healthz") {
				add(c.Name, "liveness probe is not an HTTP GET of /healthz")
			}
			if !httpProbe(c.ReadinessProbe, "/readyz") {
				add(c.Name, "readiness probe is not an HTTP GET of /readyz")
			}
		}
	}
	return bad
}

func runAsUser(sc *corev1.SecurityContext, pod *corev1.PodSecurityContext) *int64 {
	if sc.RunAsUser != nil {
		return sc.RunAsUser
	}
	if pod != nil {
		return pod.RunAsUser
	}
	return nil
}

func dropsAll(caps []corev1.Capability) bool {
	for _, c := range caps {
		if c == "ALL" {
			return true
		}
	}
	return false
}

func httpProbe(p *corev1.Probe, path string) bool {
	return p != nil && p.HTTPGet != nil && p.HTTPGet.Path == path
}

// EnvRules lists environment variables that carry a literal value where a
// Secret reference is required: any variable whose name suggests a secret.
func EnvRules(where string, spec corev1.PodSpec) []string {
	var bad []string
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		for _, e := range c.Env {
			if looksSecret(e.Name) && (e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
				bad = append(bad, fmt.Sprintf("%s: container %q: env %s must come from a Secret (secretKeyRef), not a literal", where, c.Name, e.Name))
			}
		}
	}
	return bad
}

func looksSecret(name string) bool {
	for _, w := range []string{"PASSWORD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "CREDENTIAL"} {
		if containsFold(name, w) {
			return true
		}
	}
	return false
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToUpper(s), strings.ToUpper(sub))
}
