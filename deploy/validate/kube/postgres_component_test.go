package kube

import (
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// TestPostgresComponent renders every overlay with the PostgreSQL
// component added and checks the result: valid objects, a writable server
// whose store URL and password come from the ragline-postgres Secret (the
// password never in the arguments), no snapshot volume, claim or init
// container, egress to
// PostgreSQL, and the container rules of the plain overlays.
func TestPostgresComponent(t *testing.T) {
	// krusty refuses absolute paths, so the deploy tree is copied into an
	// in-memory file system with a kustomization per overlay beside it.
	fs := filesys.MakeFsInMemory()
	root := filepath.Join(repo, "deploy")
	err := filepath.WalkDir(root, func(path string, d iofs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "validate" || rel == "imagebuild" {
				return filepath.SkipDir
			}
			return fs.MkdirAll("/deploy/" + rel)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return fs.WriteFile("/deploy/"+rel, b)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			dir := "/deploy/kubernetes/with-postgres-" + env
			k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../overlays/" + env + "\ncomponents:\n  - ../components/postgres\n"
			if err := fs.MkdirAll(dir); err != nil {
				t.Fatal(err)
			}
			if err := fs.WriteFile(dir+"/kustomization.yaml", []byte(k)); err != nil {
				t.Fatal(err)
			}
			objs, err := RenderFS(fs, dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				if errs := Validate(o.Typed); len(errs) > 0 {
					t.Errorf("%s: %s", o, ErrorsString(errs))
				}
				if o.GVK.Kind == "Secret" {
					t.Errorf("%s: the component references the Secret, it never contains it", o)
				}
			}
			if n := len(find(objs, "PersistentVolumeClaim", "")); n != 0 {
				t.Errorf("%d PersistentVolumeClaims left; the database replaces the shared volume", n)
			}
			d := one[*appsv1.Deployment](t, objs, "Deployment", "ragline")
			for _, bad := range append(PodRules(d.Name, d.Spec.Template.Spec, true), EnvRules(d.Name, d.Spec.Template.Spec)...) {
				t.Error(bad)
			}
			c := d.Spec.Template.Spec.Containers[0]
			if slices.Contains(c.Args, "--read-only") || !slices.Contains(c.Args, "--data=$(RAGLINE_STORE_URL)") {
				t.Errorf("args %v: want a writable server on $(RAGLINE_STORE_URL)", c.Args)
			}
			fromSecret := map[string]string{}
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == "ragline-postgres" {
					fromSecret[e.Name] = e.ValueFrom.SecretKeyRef.Key
				}
			}
			if fromSecret["RAGLINE_STORE_URL"] != "url" || fromSecret["PGPASSWORD"] != "password" {
				t.Errorf("env from Secret ragline-postgres: %v", fromSecret)
			}
			for _, a := range c.Args {
				if strings.Contains(a, "PGPASSWORD") {
					t.Errorf("the password must not reach the arguments: %s", a)
				}
			}
			if n := len(d.Spec.Template.Spec.InitContainers); n != 0 {
				t.Errorf("%d init containers left; no snapshot is copied when the database is the knowledge base", n)
			}
			for _, v := range d.Spec.Template.Spec.Volumes {
				if v.PersistentVolumeClaim != nil {
					t.Errorf("volume %s still mounts a claim", v.Name)
				}
			}
			np := one[*networkingv1.NetworkPolicy](t, objs, "NetworkPolicy", "ragline")
			reaches := false
			for _, e := range np.Spec.Egress {
				for _, p := range e.Ports {
					reaches = reaches || (p.Port != nil && p.Port.IntValue() == 5432)
				}
			}
			if !reaches {
				t.Error("NetworkPolicy: no egress to PostgreSQL on 5432")
			}
		})
	}
}
