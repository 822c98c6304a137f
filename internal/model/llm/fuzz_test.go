package llm

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCiteFilter checks the citation filter on arbitrary model output,
// however it is split: the output is the same for any split, every
// marker left names a valid source, and text outside markers is kept.
func FuzzCiteFilter(f *testing.F) {
	f.Add("Twenty days [1], see [2, 9] and [x].", 3)
	f.Add("【1】【12】[[3]] [ ] [1", 2)
	f.Add(strings.Repeat("[1", 30), 1)
	f.Fuzz(func(t *testing.T, s string, split int) {
		if !utf8.ValidString(s) {
			return
		}
		whole := newCiteFilter(3)
		a := whole.write(s) + whole.flush()
		parts := newCiteFilter(3)
		var b strings.Builder
		rs := []rune(s)
		step := max(1, split%7+1)
		for i := 0; i < len(rs); i += step {
			b.WriteString(parts.write(string(rs[i:min(i+step, len(rs))])))
		}
		b.WriteString(parts.flush())
		if a != b.String() {
			t.Fatalf("split changes output: %q vs %q", a, b.String())
		}
		for _, n := range whole.cited {
			if n < 1 || n > 3 {
				t.Fatalf("cited %d", n)
			}
		}
		if !strings.ContainsAny(s, "[]【】") && a != s {
			t.Fatalf("text without brackets changed: %q -> %q", s, a)
		}
	})
}
