package llm

import (
	"strconv"
	"strings"
)

// citeFilter rewrites citation markers in streamed text: "[n]" stays when
// 1 ≤ n ≤ max, a group "[1, 2]" becomes "[1][2]", and numbers outside the
// range are dropped. Text that may still become a marker is held back
// until it is decided, so pieces can be passed through as they arrive.
type citeFilter struct {
	max     int
	pending strings.Builder
	// cited records valid numbers in order of first citation.
	cited   []int
	seen    map[int]bool
	invalid int
}

// maxMarker bounds a held-back marker; longer bracketed text is prose.
const maxMarker = 24

func newCiteFilter(max int) *citeFilter { return &citeFilter{max: max, seen: map[int]bool{}} }

// write takes a piece of model output and returns the text that is
// decided.
func (f *citeFilter) write(s string) string {
	var out strings.Builder
	for _, r := range s {
		if f.pending.Len() == 0 {
			if r == '[' || r == '【' {
				f.pending.WriteRune(r)
			} else {
				out.WriteRune(r)
			}
			continue
		}
		f.pending.WriteRune(r)
		switch {
		case r == ']' || r == '】':
			out.WriteString(f.resolve(f.pending.String()))
			f.pending.Reset()
		case (r >= '0' && r <= '9') || r == ',' || r == ' ' || r == '，' || r == '、':
			if f.pending.Len() > maxMarker {
				out.WriteString(f.pending.String())
				f.pending.Reset()
			}
		default:
			// Not a marker: release it (a new '[' starts another).
			p := f.pending.String()
			f.pending.Reset()
			if r == '[' || r == '【' {
				out.WriteString(p[:len(p)-len(string(r))])
				f.pending.WriteRune(r)
			} else {
				out.WriteString(p)
			}
		}
	}
	return out.String()
}

// flush returns held-back text at the end of the output.
func (f *citeFilter) flush() string {
	p := f.pending.String()
	f.pending.Reset()
	return p
}

// resolve turns a complete bracketed marker into its valid form.
func (f *citeFilter) resolve(m string) string {
	inner := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(m, "["), "【"), "]"), "】")
	fields := strings.FieldsFunc(inner, func(r rune) bool { return r == ',' || r == ' ' || r == '，' || r == '、' })
	if len(fields) == 0 {
		return m // "[]" or "[ ]" is prose
	}
	var b strings.Builder
	for _, fl := range fields {
		n, err := strconv.Atoi(fl)
		if err != nil {
			return m
		}
		if n < 1 || n > f.max {
			f.invalid++
			continue
		}
		if !f.seen[n] {
			f.seen[n] = true
			f.cited = append(f.cited, n)
		}
		b.WriteString("[" + strconv.Itoa(n) + "]")
	}
	return b.String()
}
