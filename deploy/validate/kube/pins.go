package kube

import (
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

// Pins is deploy/pins.yaml: third-party images with the tag they came from
// and their digest, the images this repository builds, and catalog tasks.
type Pins struct {
	Images []struct {
		Ref        string `json:"ref"`
		Digest     string `json:"digest"`
		Unverified string `json:"unverified"`
		UsedBy     string `json:"used-by"`
	} `json:"images"`
	Built []string `json:"built"`
	Tasks []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		URL     string `json:"url"`
		Commit  string `json:"commit"`
		Path    string `json:"path"`
	} `json:"tasks"`
}

// LoadPins reads the pin file strictly and checks each entry is either
// pinned (sha256 digest) or says why not (unverified).
func LoadPins(path string) (Pins, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Pins{}, err
	}
	var p Pins
	if err := yaml.UnmarshalStrict(b, &p); err != nil {
		return Pins{}, fmt.Errorf("%s: %w", path, err)
	}
	for _, im := range p.Images {
		switch {
		case strings.Contains(im.Ref, "@"):
			return Pins{}, fmt.Errorf("%s: ref %q must be the tag it came from; the digest goes in digest", path, im.Ref)
		case im.Digest == "" && im.Unverified == "":
			return Pins{}, fmt.Errorf("%s: %s has neither a digest nor an unverified reason", path, im.Ref)
		case im.Digest != "" && (!strings.HasPrefix(im.Digest, "sha256:") || len(im.Digest) != 71):
			return Pins{}, fmt.Errorf("%s: %s digest %q is not sha256:<64 hex>", path, im.Ref, im.Digest)
		}
	}
	return p, nil
}

// Check returns "" when image is allowed by the pins: a built image (any tag
// or digest of a repository in built), or REF@DIGEST of a pinned entry, or
// REF of an entry whose digest could not be verified. Otherwise it says why.
func (p Pins) Check(image string) string {
	repo := image
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if j := strings.LastIndex(repo, ":"); j > strings.LastIndex(repo, "/") {
		repo = repo[:j]
	}
	for _, b := range p.Built {
		if repo == b {
			return ""
		}
	}
	for _, im := range p.Images {
		switch {
		case im.Digest != "" && image == im.Ref+"@"+im.Digest:
			return ""
		case im.Digest != "" && image == im.Ref:
			return fmt.Sprintf("image %q must be pinned by its recorded digest: %s@%s", image, im.Ref, im.Digest)
		case im.Digest == "" && image == im.Ref:
			return ""
		}
	}
	return fmt.Sprintf("image %q is not in deploy/pins.yaml", image)
}
