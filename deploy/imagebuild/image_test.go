package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// buildRagline builds the real binary from the repository root with the
// Makefile's flags, so the test packages exactly what `make image` packages.
func buildRagline(t *testing.T, version, commit string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ragline")
	cmd := exec.Command("go", "build", "-trimpath",
		"-ldflags", "-s -w -X github.com/ragline/ragline/internal/cli.Version="+version+" -X github.com/ragline/ragline/internal/cli.Commit="+commit,
		"-o", bin, "./cmd/ragline")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ragline: %v\n%s", err, out)
	}
	return bin
}

// readLayer returns every entry of the image's layers, by path, with file contents.
func readLayer(t *testing.T, img v1.Image) (map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	hdrs, files := map[string]*tar.Header{}, map[string][]byte{}
	for _, l := range layers {
		mt, err := l.MediaType()
		if err != nil || mt != types.OCILayer {
			t.Fatalf("layer media type %q (%v), want %q", mt, err, types.OCILayer)
		}
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			name := "/" + strings.TrimSuffix(h.Name, "/")
			hdrs[name] = h
			if h.Typeflag == tar.TypeReg {
				b, err := io.ReadAll(tr)
				if err != nil {
					t.Fatal(err)
				}
				files[name] = b
			}
		}
		rc.Close()
	}
	return hdrs, files
}

func TestImageLayoutReadBack(t *testing.T) {
	bin := buildRagline(t, "v9.8.7", "0123abc")
	out := filepath.Join(t.TempDir(), "oci")
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	opts := Options{Binary: bin, Out: out, Version: "v9.8.7", Commit: "0123abc",
		CACerts: "/etc/ssl/certs/ca-certificates.crt", Zoneinfo: "/usr/share/zoneinfo", Arch: "amd64", Created: created}
	digest, err := Build(opts)
	if err != nil {
		t.Fatal(err)
	}

	// Read the layout back the way a registry push or a runtime would.
	p, err := layout.FromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("index has %d manifests, want 1", len(im.Manifests))
	}
	desc := im.Manifests[0]
	if desc.Digest != digest || desc.MediaType != types.OCIManifestSchema1 {
		t.Fatalf("index entry %s %s, want %s %s", desc.Digest, desc.MediaType, digest, types.OCIManifestSchema1)
	}
	if got := desc.Annotations["org.opencontainers.image.ref.name"]; got != "ragline:v9.8.7" {
		t.Errorf("ref.name = %q", got)
	}
	img, err := idx.Image(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"/usr/local/bin/ragline"}) {
		t.Errorf("entrypoint %q", c.Entrypoint)
	}
	if !slices.Equal(c.Cmd, DefaultCmd) {
		t.Errorf("cmd %q", c.Cmd)
	}
	if c.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532", c.User)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}
	for k, want := range map[string]string{
		"org.opencontainers.image.title":    "ragline",
		"org.opencontainers.image.version":  "v9.8.7",
		"org.opencontainers.image.revision": "0123abc",
		"org.opencontainers.image.created":  "2026-01-02T03:04:05Z",
		"org.opencontainers.image.source":   "https://github.com/ragline/ragline",
	} {
		if got := c.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}

	hdrs, files := readLayer(t, img)
	// Nothing but the binary, the CA bundle, zoneinfo and their parent directories.
	parents := map[string]bool{"/usr": true, "/usr/local": true, "/usr/local/bin": true, "/etc": true,
		"/etc/ssl": true, "/etc/ssl/certs": true, "/usr/share": true, "/usr/share/zoneinfo": true}
	zones := 0
	for name, h := range hdrs {
		switch {
		case name == BinaryPath, name == CACertsPath:
		case strings.HasPrefix(name, ZoneinfoPath+"/"):
			if h.Typeflag == tar.TypeReg {
				zones++
			}
		case parents[name] && h.Typeflag == tar.TypeDir:
		default:
			t.Errorf("unexpected entry %s (type %c)", name, h.Typeflag)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s owned by %d:%d", name, h.Uid, h.Gid)
		}
		if !h.ModTime.Equal(created) {
			t.Errorf("%s mtime %s, want %s (reproducible)", name, h.ModTime, created)
		}
	}
	if zones < 300 {
		t.Errorf("only %d zoneinfo files", zones)
	}
	if hdrs[ZoneinfoPath+"/Europe/Berlin"] == nil {
		t.Error("zoneinfo lacks Europe/Berlin")
	}
	if h := hdrs[BinaryPath]; h == nil || h.Mode&0o111 == 0 {
		t.Fatalf("binary missing or not executable: %+v", h)
	}
	wantBin, _ := os.ReadFile(bin)
	if !bytes.Equal(files[BinaryPath], wantBin) {
		t.Error("binary in the image differs from the one built")
	}
	wantCA, _ := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if !bytes.Equal(files[CACertsPath], wantCA) {
		t.Error("CA bundle differs")
	}

	// The packaged binary runs and reports the version and commit it was stamped with.
	run := filepath.Join(t.TempDir(), "ragline")
	if err := os.WriteFile(run, files[BinaryPath], 0o755); err != nil {
		t.Fatal(err)
	}
	out2, err := exec.Command(run, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("ragline version: %v\n%s", err, out2)
	}
	if !strings.Contains(string(out2), "v9.8.7") || !strings.Contains(string(out2), "0123abc") {
		t.Errorf("ragline version printed %q", out2)
	}

	// Same inputs, same digest: the build is reproducible.
	opts.Out = filepath.Join(t.TempDir(), "oci2")
	digest2, err := Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	if digest2 != digest {
		t.Errorf("rebuild digest %s != %s", digest2, digest)
	}
}

func TestBuildRejectsDynamicOrMissingBinary(t *testing.T) {
	dir := t.TempDir()
	notELF := filepath.Join(dir, "script")
	os.WriteFile(notELF, []byte("#!/bin/sh\necho hi\n"), 0o755)
	for name, bin := range map[string]string{
		"not ELF": notELF,
		"missing": filepath.Join(dir, "nope"),
		"dynamic": "/bin/ls", // linked against the C library: needs a loader the image lacks
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Build(Options{Binary: bin, Out: filepath.Join(dir, "oci-"+strings.ReplaceAll(name, " ", "")),
				CACerts: "/etc/ssl/certs/ca-certificates.crt", Zoneinfo: "/usr/share/zoneinfo", Version: "v1", Arch: "amd64"})
			if err == nil {
				t.Fatalf("Build(%s) succeeded", bin)
			}
		})
	}
}

func TestCreationTime(t *testing.T) {
	tests := []struct {
		flag, epoch string
		want        time.Time
		wantErr     bool
	}{
		{"", "", time.Unix(0, 0).UTC(), false},
		{"", "1700000000", time.Unix(1700000000, 0).UTC(), false},
		{"2026-01-02T03:04:05Z", "1700000000", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), false},
		{"yesterday", "", time.Time{}, true},
		{"", "soon", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := creationTime(tt.flag, tt.epoch)
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("creationTime(%q, %q) = %v, %v", tt.flag, tt.epoch, got, err)
		}
	}
}
