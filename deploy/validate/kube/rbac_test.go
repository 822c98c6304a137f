package kube

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// TestTektonRBAC validates the pipeline's and the EventListener's RBAC with
// the Kubernetes validators and checks the pipeline's least privilege: no
// Secrets, no wildcards, no delete, no RBAC objects, and its ClusterRole
// granted only per environment namespace (RoleBindings).
func TestTektonRBAC(t *testing.T) {
	path := filepath.Join(repo, "deploy/tekton/rbac/rbac.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := DecodeAll(b, path)
	if err != nil {
		t.Fatal(err)
	}
	boundNamespaces := map[string]bool{}
	for _, o := range objs {
		if errs := Validate(o.Typed); len(errs) > 0 {
			t.Errorf("%s: %s", o, ErrorsString(errs))
		}
		switch v := o.Typed.(type) {
		case *rbacv1.ClusterRole:
			for _, r := range v.Rules {
				for _, bad := range []string{"*", "secrets", "roles", "rolebindings", "clusterroles", "clusterrolebindings"} {
					if slices.Contains(r.Resources, bad) || slices.Contains(r.APIGroups, "*") {
						t.Errorf("%s grants %v on %v", o, r.Verbs, r.Resources)
					}
				}
				for _, verb := range r.Verbs {
					if verb == "*" || verb == "delete" || verb == "deletecollection" || verb == "escalate" || verb == "bind" || verb == "impersonate" {
						t.Errorf("%s grants %q on %v", o, verb, r.Resources)
					}
				}
			}
		case *rbacv1.ClusterRoleBinding:
			if v.RoleRef.Name == "ragline-deployer" || v.RoleRef.Name == "cluster-admin" {
				t.Errorf("%s binds %s cluster-wide", o, v.RoleRef.Name)
			}
		case *rbacv1.RoleBinding:
			if v.RoleRef.Name == "ragline-deployer" {
				// Trust boundary: main's deployer reaches dev and staging only,
				// the promote pipeline's deployer prod only; pull requests
				// (ragline-pr) and builds (ragline-build) deploy nowhere.
				want := "ragline-deployer"
				if v.Namespace == "ragline-prod" {
					want = "ragline-prod-deployer"
				}
				for _, s := range v.Subjects {
					if s.Kind != "ServiceAccount" || s.Name != want || s.Namespace != "ragline-ci" {
						t.Errorf("%s binds ragline-deployer in %s to %s %s/%s, want only %s", o, v.Namespace, s.Kind, s.Namespace, s.Name, want)
					}
				}
				boundNamespaces[v.Namespace] = true
			}
		case *rbacv1.Role:
			for _, r := range v.Rules {
				if len(r.ResourceNames) == 0 || slices.ContainsFunc(r.Verbs, func(verb string) bool { return verb != "get" }) {
					t.Errorf("%s: rules beyond get on named objects: %+v", o, r)
				}
			}
		}
	}
	for _, env := range envs {
		if !boundNamespaces["ragline-"+env] {
			t.Errorf("no deployer can deploy to ragline-%s", env)
		}
	}
}
