package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Resolver returns the current digest of an image reference.
type Resolver func(ref string) (string, error)

// RegistryResolver asks the registry (HEAD of the manifest or index), with
// the credentials of $DOCKER_CONFIG.
func RegistryResolver(opts ...remote.Option) Resolver {
	return func(ref string) (string, error) {
		r, err := name.ParseReference(ref)
		if err != nil {
			return "", err
		}
		d, err := remote.Head(r, append([]remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}, opts...)...)
		if err != nil {
			return "", err
		}
		return d.Digest.String(), nil
	}
}

var refLine = regexp.MustCompile(`^(\s*)- ref: (\S+)\s*$`)

// Pin resolves every `- ref:` of the pin file, records its digest (dropping
// the `unverified` note) and rewrites each use of the reference in files
// (REF or REF@sha256:old) to REF@sha256:new. It returns the references it
// pinned. A reference that does not resolve is an error and nothing is written.
func Pin(pinFile string, files []string, resolve Resolver) ([]string, error) {
	b, err := os.ReadFile(pinFile)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(b), "\n")
	digests := map[string]string{}
	var order []string
	var out []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		m := refLine.FindStringSubmatch(l)
		out = append(out, l)
		if m == nil {
			continue
		}
		ref := m[2]
		d, err := resolve(ref)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		digests[ref] = d
		order = append(order, ref)
		indent := m[1] + "  "
		out = append(out, indent+"digest: "+d)
		// Drop the entry's old digest and unverified lines.
		for i+1 < len(lines) && (strings.HasPrefix(lines[i+1], indent+"digest:") || strings.HasPrefix(lines[i+1], indent+"unverified:")) {
			i++
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		s := string(data)
		for _, ref := range order {
			re := regexp.MustCompile(regexp.QuoteMeta(ref) + `(@sha256:[0-9a-f]{64})?`)
			s = re.ReplaceAllString(s, ref+"@"+digests[ref])
		}
		if s != string(data) {
			if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
				return nil, err
			}
		}
	}
	if err := os.WriteFile(pinFile, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		return nil, err
	}
	return order, nil
}

// PinTargets lists the files whose image references Pin rewrites: the
// Dockerfile and the YAML under deploy/ (not the validators' fixtures).
func PinTargets(root string) ([]string, error) {
	files := []string{filepath.Join(root, "Dockerfile")}
	err := filepath.WalkDir(filepath.Join(root, "deploy"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "validate") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".yaml") && filepath.Base(p) != "pins.yaml" {
			files = append(files, p)
		}
		return nil
	})
	return files, err
}

func runPin(args []string) int {
	root := "../.."
	if len(args) > 0 {
		root = args[0]
	}
	files, err := PinTargets(root)
	if err == nil {
		var pinned []string
		pinned, err = Pin(filepath.Join(root, "deploy/pins.yaml"), files, RegistryResolver())
		w := bufio.NewWriter(os.Stdout)
		for _, p := range pinned {
			fmt.Fprintln(w, "pinned", p)
		}
		w.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild pin:", err)
		return 1
	}
	return 0
}
