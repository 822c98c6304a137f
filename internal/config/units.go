package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ByteSize is a size in bytes written as an integer or with a unit
// ("64MiB", "10MB", "512KiB").
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"B", 1},
}

// ParseByteSize parses "64MiB", "10MB", "1024" or "1024B".
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q (want e.g. 64MiB, 10MB or a byte count)", s)
	}
	return ByteSize(n * float64(mult)), nil
}

// UnmarshalYAML accepts a byte count or a string with a unit.
func (b *ByteSize) UnmarshalYAML(unmarshal func(any) error) error {
	var v any
	if err := unmarshal(&v); err != nil {
		return err
	}
	switch x := v.(type) {
	case uint64:
		*b = ByteSize(x)
	case int64:
		if x < 0 {
			return fmt.Errorf("size must not be negative")
		}
		*b = ByteSize(x)
	case int:
		if x < 0 {
			return fmt.Errorf("size must not be negative")
		}
		*b = ByteSize(x)
	case string:
		n, err := ParseByteSize(x)
		if err != nil {
			return err
		}
		*b = n
	default:
		return fmt.Errorf("invalid size %v (want e.g. 64MiB)", v)
	}
	return nil
}

// Duration is a time.Duration written as "30s", "2m" or "1h30m".
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(unmarshal func(any) error) error {
	var s string
	if err := unmarshal(&s); err != nil {
		return fmt.Errorf("invalid duration (want e.g. 30s)")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q (want e.g. 30s)", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// StopWords is a preset name ("english", "none") or an explicit word list.
type StopWords struct {
	Preset string
	Words  []string
}

// UnmarshalYAML accepts a preset name or a list of words.
func (s *StopWords) UnmarshalYAML(unmarshal func(any) error) error {
	var name string
	if err := unmarshal(&name); err == nil {
		*s = StopWords{Preset: name}
		return nil
	}
	var words []string
	if err := unmarshal(&words); err != nil {
		return fmt.Errorf("want \"english\", \"none\" or a list of words")
	}
	*s = StopWords{Words: words}
	return nil
}

// MarshalJSON writes the preset name or the word list.
func (s StopWords) MarshalJSON() ([]byte, error) {
	if s.Words != nil {
		return json.Marshal(s.Words)
	}
	return json.Marshal(s.Preset)
}
