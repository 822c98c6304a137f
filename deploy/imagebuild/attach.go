package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// emptyConfig is the OCI empty descriptor's content ("{}"), the config of an artifact manifest.
var emptyConfig = []byte("{}")

// rawManifest is a manifest pushed as written.
type rawManifest struct {
	body []byte
	mt   types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.body, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// Attach pushes file as an OCI 1.1 artifact whose subject is the image at
// subject (REPO@sha256:...), so that registries list it as a referrer of
// the image (or, without the referrers API, under the sha256-<digest> tag
// index, which go-containerregistry maintains). It returns the artifact's
// manifest digest. The SBOM travels with the image this way and its digest
// is what the pipeline reports.
func Attach(subject, file, artifactType string, created time.Time, opts ...remote.Option) (v1.Hash, error) {
	ref, err := name.NewDigest(subject)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("subject %q must be REPOSITORY@sha256:...: %w", subject, err)
	}
	opts = append([]remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}, opts...)
	desc, err := remote.Head(ref, opts...)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("subject %s: %w", subject, err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return v1.Hash{}, err
	}
	if len(data) == 0 {
		return v1.Hash{}, fmt.Errorf("%s is empty", file)
	}
	blob := static.NewLayer(data, types.MediaType(artifactType))
	cfg := static.NewLayer(emptyConfig, types.OCIEmptyJSON)
	for _, l := range []v1.Layer{cfg, blob} {
		if err := remote.WriteLayer(ref.Context(), l, opts...); err != nil {
			return v1.Hash{}, fmt.Errorf("upload blob: %w", err)
		}
	}
	sum := sha256.Sum256(data)
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     string(types.OCIManifestSchema1),
		"artifactType":  artifactType,
		"config": map[string]any{
			"mediaType": string(types.OCIEmptyJSON),
			"digest":    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
			"size":      2,
			"data":      "e30=",
		},
		"layers": []any{map[string]any{
			"mediaType":   artifactType,
			"digest":      "sha256:" + hex.EncodeToString(sum[:]),
			"size":        len(data),
			"annotations": map[string]string{"org.opencontainers.image.title": filepath.Base(file)},
		}},
		"subject": map[string]any{
			"mediaType": string(desc.MediaType),
			"digest":    desc.Digest.String(),
			"size":      desc.Size,
		},
		"annotations": map[string]string{"org.opencontainers.image.created": created.UTC().Format(time.RFC3339)},
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return v1.Hash{}, err
	}
	b := bytes.TrimSpace(body.Bytes())
	h, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		return v1.Hash{}, err
	}
	if err := remote.Put(ref.Context().Digest(h.String()), rawManifest{body: b, mt: types.OCIManifestSchema1}, opts...); err != nil {
		return v1.Hash{}, fmt.Errorf("push artifact: %w", err)
	}
	return h, nil
}
