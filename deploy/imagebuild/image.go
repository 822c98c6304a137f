package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Paths inside the image.
const (
	BinaryPath   = "/usr/local/bin/ragline"
	CACertsPath  = "/etc/ssl/certs/ca-certificates.crt"
	ZoneinfoPath = "/usr/share/zoneinfo"
	// User is the numeric user and group the image runs as (distroless "nonroot").
	User = "65532:65532"
)

// DefaultCmd is the image's default arguments: serve a read-only snapshot
// from the data volume with the configuration mounted at /etc/ragline.
var DefaultCmd = []string{"serve", "--config", "/etc/ragline/ragline.yaml", "--data", "/data/kb.ragline", "--read-only"}

// Options says what to package and where to write it.
type Options struct {
	Binary, Out       string
	Version, Commit   string
	Tag               string
	CACerts, Zoneinfo string
	Arch              string
	Created           time.Time
}

// Labels returns the OCI annotations the image config carries (the same as the Dockerfile's).
func Labels(version, commit string, created time.Time) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "ragline",
		"org.opencontainers.image.description": "Retrieval-augmented question answering you can test, ship and roll back",
		"org.opencontainers.image.source":      "https://github.com/ragline/ragline",
		"org.opencontainers.image.url":         "https://github.com/ragline/ragline",
		"org.opencontainers.image.version":     version,
		"org.opencontainers.image.revision":    commit,
		"org.opencontainers.image.created":     created.UTC().Format(time.RFC3339),
	}
}

// Build writes the image as an OCI layout at o.Out (replacing it) and returns the manifest digest.
func Build(o Options) (v1.Hash, error) {
	if o.Tag == "" {
		o.Tag = "ragline:" + o.Version
	}
	layer, err := rootfsLayer(o)
	if err != nil {
		return v1.Hash{}, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("add layer: %w", err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("read config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Architecture = o.Arch
	cf.OS = "linux"
	cf.Created = v1.Time{Time: o.Created}
	cf.Config = v1.Config{
		Entrypoint:   []string{BinaryPath},
		Cmd:          DefaultCmd,
		User:         User,
		WorkingDir:   "/data",
		Env:          []string{"PATH=/usr/local/bin"},
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
		Volumes:      map[string]struct{}{"/data": {}},
		Labels:       Labels(o.Version, o.Commit, o.Created),
	}
	cf.History = []v1.History{{Created: v1.Time{Time: o.Created}, CreatedBy: "deploy/imagebuild: ragline binary, CA certificates, zoneinfo"}}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("set config: %w", err)
	}
	if err := writeLayout(o.Out, img, o.Tag); err != nil {
		return v1.Hash{}, err
	}
	return img.Digest()
}

// writeLayout writes img as the only image of an OCI layout at dir (replaced).
func writeLayout(dir string, img v1.Image, refName string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("write layout %s: %w", dir, err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": refName,
	})); err != nil {
		return fmt.Errorf("write image to %s: %w", dir, err)
	}
	return nil
}

// pullImage fetches an image (for the platform linux/amd64 from an index)
// with the credentials of $DOCKER_CONFIG.
func pullImage(ref string, opts ...remote.Option) (v1.Image, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("reference %q: %w", ref, err)
	}
	opts = append([]remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}, opts...)
	img, err := remote.Image(r, opts...)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	return img, nil
}

// pushImage pushes img to ref with the credentials of $DOCKER_CONFIG.
func pushImage(ref string, img v1.Image, opts ...remote.Option) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return fmt.Errorf("reference %q: %w", ref, err)
	}
	opts = append([]remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}, opts...)
	if err := remote.Write(r, img, opts...); err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	return nil
}

type entry struct {
	hdr  *tar.Header
	data []byte
}

// rootfsLayer builds the single layer: directories, the binary, the CA bundle and zoneinfo.
func rootfsLayer(o Options) (v1.Layer, error) {
	var entries []entry
	dirs := map[string]bool{}
	addDirs := func(p string) {
		for d := path.Dir(p); d != "/" && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	addFile := func(dst, src string, mode int64) error {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		addDirs(dst)
		entries = append(entries, entry{hdr: &tar.Header{Typeflag: tar.TypeReg, Name: dst, Mode: mode, Size: int64(len(b))}, data: b})
		return nil
	}

	if err := checkStatic(o.Binary); err != nil {
		return nil, err
	}
	if err := addFile(BinaryPath, o.Binary, 0o755); err != nil {
		return nil, fmt.Errorf("binary: %w", err)
	}
	if err := addFile(CACertsPath, o.CACerts, 0o644); err != nil {
		return nil, fmt.Errorf("CA certificates: %w", err)
	}
	zi := filepath.Clean(o.Zoneinfo)
	err := filepath.WalkDir(zi, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(zi, p)
		dst := path.Join(ZoneinfoPath, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			if rel != "." {
				dirs[dst] = true
			}
			addDirs(dst)
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			resolved := path.Clean(path.Join(path.Dir(dst), filepath.ToSlash(target)))
			if path.IsAbs(target) || !strings.HasPrefix(resolved, ZoneinfoPath+"/") {
				return nil // points outside zoneinfo: not packaged
			}
			addDirs(dst)
			entries = append(entries, entry{hdr: &tar.Header{Typeflag: tar.TypeSymlink, Name: dst, Linkname: filepath.ToSlash(target), Mode: 0o777}})
			return nil
		case d.Type().IsRegular():
			return addFile(dst, p, 0o644)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("zoneinfo %s: %w", o.Zoneinfo, err)
	}
	for d := range dirs {
		entries = append(entries, entry{hdr: &tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755}})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].hdr.Name < entries[j].hdr.Name })

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		e.hdr.Name = strings.TrimPrefix(e.hdr.Name, "/")
		e.hdr.ModTime = o.Created
		e.hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(e.hdr); err != nil {
			return nil, fmt.Errorf("tar %s: %w", e.hdr.Name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("tar %s: %w", e.hdr.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// checkStatic refuses a binary that needs a dynamic loader: the image has none.
func checkStatic(bin string) error {
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("binary %s: not an ELF executable: %w", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("binary " + bin + " is dynamically linked: build it with CGO_ENABLED=0 (make build)")
		}
	}
	return nil
}
