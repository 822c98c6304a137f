package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Secret holds a credential. It prints as "<redacted>" in every format so
// it can never leak through logs, errors or `config` output. Its YAML value
// may be a literal or a reference: "${NAME}" reads an environment variable
// and "${file:/path}" reads a file (trailing newline trimmed).
type Secret struct {
	ref   string
	value string
}

// NewSecret returns a Secret holding value.
func NewSecret(value string) Secret { return Secret{value: value} }

// Value returns the resolved secret.
func (s Secret) Value() string { return s.value }

// IsSet reports whether the secret has a non-empty value.
func (s Secret) IsSet() bool { return s.value != "" }

// String implements fmt.Stringer without revealing the value.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return "<redacted>"
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON hides the value.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML hides the value.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// UnmarshalYAML keeps the raw reference; resolve turns it into a value.
func (s *Secret) UnmarshalYAML(unmarshal func(any) error) error {
	var raw string
	if err := unmarshal(&raw); err != nil {
		return fmt.Errorf("want a string")
	}
	*s = Secret{ref: raw}
	return nil
}

var secretRef = regexp.MustCompile(`\$\{([^}]*)\}`)

// resolve expands ${NAME} and ${file:/path} references in the raw value; a
// relative file path is taken relative to dir.
func (s *Secret) resolve(dir string) error {
	var firstErr error
	s.value = secretRef.ReplaceAllStringFunc(s.ref, func(m string) string {
		name := m[2 : len(m)-1]
		if path, ok := strings.CutPrefix(name, "file:"); ok {
			if !filepath.IsAbs(path) && dir != "" {
				path = filepath.Join(dir, path)
			}
			b, err := os.ReadFile(path)
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("secret file %s: %v", path, err)
			}
			return strings.TrimRight(string(b), "\r\n")
		}
		v, ok := os.LookupEnv(name)
		if !ok && firstErr == nil {
			firstErr = fmt.Errorf("environment variable %s is not set", name)
		}
		return v
	})
	return firstErr
}
