package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// A knowledge-base release is an OCI image whose last layer holds
// kb/kb.ragline. Kubernetes mounts it as an image volume (the layer's files
// appear under the mount path), and `oras pull` unpacks the same layer on
// clusters without image volumes (the title and unpack annotations are the
// ones oras writes for a pushed folder). Either way the pods read
// <mount>/kb/kb.ragline, and the manifest digest pins the exact snapshot.
const (
	// KBDir and KBFile are where the snapshot lies inside the artifact.
	KBDir  = "kb"
	KBFile = "kb/kb.ragline"
	// KBDigestAnnotation carries ragline's own knowledge-base digest
	// (`ragline index build` prints it) on the manifest and the config labels.
	KBDigestAnnotation = "dev.ragline.kb.digest"
)

var kbDigestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// KBImage packages a knowledge-base snapshot as a reproducible OCI image
// (same base, file, digest and time give the same manifest digest). With a
// base image (one with cp, e.g. busybox) the result also runs as the init
// container that copies the snapshot into the pod's volume on clusters
// without image volumes; nil means no base (image volumes only).
func KBImage(base v1.Image, file, kbDigest string, created time.Time) (v1.Image, error) {
	if !kbDigestRE.MatchString(kbDigest) {
		return nil, fmt.Errorf("knowledge-base digest %q is not sha256:<64 hex digits>", kbDigest)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("knowledge base: %w", err)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("knowledge base %s is empty", file)
	}
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	for _, e := range []entry{
		{hdr: &tar.Header{Typeflag: tar.TypeDir, Name: KBDir + "/", Mode: 0o755, ModTime: created, Format: tar.FormatPAX}},
		{hdr: &tar.Header{Typeflag: tar.TypeReg, Name: KBFile, Mode: 0o444, Size: int64(len(data)), ModTime: created, Format: tar.FormatPAX}, data: data},
	} {
		if err := tw.WriteHeader(e.hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	tarBytes := tarBuf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarBytes)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("knowledge-base layer: %w", err)
	}
	if base == nil {
		base = empty.Image
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer: layer,
		Annotations: map[string]string{
			"org.opencontainers.image.title": KBDir,
			"io.deis.oras.content.unpack":    "true",
		},
	})
	if err != nil {
		return nil, fmt.Errorf("add layer: %w", err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	if cf.OS == "" {
		cf.OS, cf.Architecture = "linux", "amd64"
	}
	cf.Created = v1.Time{Time: created}
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	cf.Config.Labels[KBDigestAnnotation] = kbDigest
	cf.Config.User = User
	cf.History = append(cf.History, v1.History{Created: v1.Time{Time: created}, CreatedBy: "deploy/imagebuild kb: knowledge-base snapshot " + kbDigest})
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, map[string]string{
		KBDigestAnnotation:                 kbDigest,
		"org.opencontainers.image.title":   "ragline knowledge base",
		"org.opencontainers.image.created": created.UTC().Format(time.RFC3339),
	}).(v1.Image), nil
}
