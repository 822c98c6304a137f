package main

import (
	"archive/tar"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const testKBDigest = "sha256:5f0b9c3d2e1a4b6c8d7e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e"

func writeKB(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kb.ragline")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKBImage packages a snapshot and reads it back: one layer holding
// kb/kb.ragline (what an image volume mounts and oras unpacks), the
// annotations oras needs, ragline's digest on the manifest, and the same
// manifest digest for the same snapshot (content-addressed releases).
func TestKBImage(t *testing.T) {
	created := time.Unix(1764028800, 0).UTC()
	kb := writeKB(t, "ragline snapshot v1")
	img, err := KBImage(nil, kb, testKBDigest, created)
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIManifestSchema1 || m.Annotations[KBDigestAnnotation] != testKBDigest {
		t.Errorf("manifest %s, annotations %v", m.MediaType, m.Annotations)
	}
	if len(m.Layers) != 1 || m.Layers[0].Annotations["org.opencontainers.image.title"] != "kb" || m.Layers[0].Annotations["io.deis.oras.content.unpack"] != "true" {
		t.Fatalf("layers %+v", m.Layers)
	}
	layers, _ := img.Layers()
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(rc)
	files := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = string(b)
	}
	if files[KBFile] != "ragline snapshot v1" || len(files) != 2 {
		t.Errorf("layer files %v, want kb/ and kb/kb.ragline", files)
	}

	d1, _ := img.Digest()
	again, err := KBImage(nil, kb, testKBDigest, created)
	if err != nil {
		t.Fatal(err)
	}
	if d2, _ := again.Digest(); d1 != d2 {
		t.Errorf("same snapshot, different digests %s %s", d1, d2)
	}
	other, err := KBImage(nil, writeKB(t, "ragline snapshot v2"), testKBDigest, created)
	if err != nil {
		t.Fatal(err)
	}
	if d3, _ := other.Digest(); d3 == d1 {
		t.Error("a changed snapshot kept the digest")
	}

	for _, bad := range []struct{ file, digest, want string }{
		{kb, "sha256:abc", "not sha256:"},
		{kb, "", "not sha256:"},
		{filepath.Join(t.TempDir(), "none"), testKBDigest, "no such file"},
		{writeKB(t, ""), testKBDigest, "is empty"},
	} {
		if _, err := KBImage(nil, bad.file, bad.digest, created); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("KBImage(%s, %q): %v, want %q", bad.file, bad.digest, err, bad.want)
		}
	}

	// The layout form reads back as the same image.
	dir := filepath.Join(t.TempDir(), "oci")
	if err := writeLayout(dir, img, "ragline-kb:test"); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	back, err := p.Image(d1)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := back.Digest(); d != d1 {
		t.Errorf("layout holds %s, want %s", d, d1)
	}
}

// TestPushAndAttach pushes a knowledge-base image and an SBOM referrer to a
// real OCI registry (go-containerregistry's, on loopback, with the
// referrers API) and finds the SBOM among the image's referrers.
func TestPushAndAttach(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	created := time.Unix(1764028800, 0).UTC()
	// A base image (standing in for busybox) in the same registry: the KB
	// image keeps its layers and adds the snapshot on top.
	baseImg, err := KBImage(nil, writeKB(t, "base layer"), testKBDigest, created)
	if err != nil {
		t.Fatal(err)
	}
	if err := pushImage(host+"/library/busybox:test", baseImg); err != nil {
		t.Fatal(err)
	}
	base, err := pullImage(host + "/library/busybox:test")
	if err != nil {
		t.Fatal(err)
	}
	img, err := KBImage(base, writeKB(t, "ragline snapshot"), testKBDigest, created)
	if err != nil {
		t.Fatal(err)
	}
	if ls, _ := img.Layers(); len(ls) != 2 {
		t.Errorf("%d layers, want the base's and the snapshot", len(ls))
	}
	if cf, _ := img.ConfigFile(); cf.Config.User != User {
		t.Errorf("runs as %q, want %s", cf.Config.User, User)
	}
	ref := host + "/ragline/ragline-kb:release"
	if err := pushImage(ref, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	subject := host + "/ragline/ragline-kb@" + d.String()
	pulled, err := remote.Image(mustRef(t, subject))
	if err != nil {
		t.Fatal(err)
	}
	if pd, _ := pulled.Digest(); pd != d {
		t.Fatalf("pulled %s, pushed %s", pd, d)
	}

	sbom := filepath.Join(t.TempDir(), "sbom.spdx.json")
	os.WriteFile(sbom, []byte(`{"spdxVersion":"SPDX-2.3","name":"ragline"}`), 0o644)
	ad, err := Attach(subject, sbom, "application/spdx+json", created)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Referrers(mustRef(t, subject).(name.Digest))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Digest != ad {
		t.Fatalf("referrers of %s: %+v, want the SBOM %s", subject, im.Manifests, ad)
	}
	// The referrer carries the SBOM itself.
	art, err := remote.Get(mustRef(t, host+"/ragline/ragline-kb@"+ad.String()))
	if err != nil {
		t.Fatal(err)
	}
	var am struct {
		ArtifactType string `json:"artifactType"`
		Layers       []struct {
			Digest string `json:"digest"`
		} `json:"layers"`
		Subject struct {
			Digest string `json:"digest"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(art.Manifest, &am); err != nil || len(am.Layers) != 1 || am.Subject.Digest != d.String() || am.ArtifactType != "application/spdx+json" {
		t.Fatalf("referrer manifest %s: %v", art.Manifest, err)
	}
	l, err := remote.Layer(mustRef(t, host+"/ragline/ragline-kb@"+am.Layers[0].Digest).(name.Digest))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != `{"spdxVersion":"SPDX-2.3","name":"ragline"}` {
		t.Errorf("referrer blob %q", got)
	}

	if _, err := Attach(host+"/ragline/ragline-kb:release", sbom, "application/spdx+json", created); err == nil || !strings.Contains(err.Error(), "REPOSITORY@sha256") {
		t.Errorf("attach to a tag: %v, want a digest required", err)
	}
	if _, err := Attach(host+"/ragline/ragline-kb@sha256:"+strings.Repeat("0", 64), sbom, "application/spdx+json", created); err == nil {
		t.Error("attach to a missing image succeeded")
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
