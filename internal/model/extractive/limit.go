package extractive

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/text"
)

// markerEnd finds citation markers; an answer sentence ends after its
// marker.
var markerEnd = regexp.MustCompile(`\[\d+\]`)

// Limit applies a client's limits to an answer: it ends the answer before
// the first stop string, then cuts it to at most maxTokens tokens (as
// text.CountTokens counts them; 0: no cap) at the last sentence end that
// fits (after a citation marker or sentence punctuation), or, when not
// even the first sentence fits, at the last word boundary that does. The
// citations whose markers remain are kept. cut reports that the token
// cap shortened the answer (OpenAI's finish_reason "length").
func Limit(answer string, cites []schema.Citation, maxTokens int, stop []string) (out string, kept []schema.Citation, cut bool) {
	out = answer
	for _, s := range stop {
		if i := strings.Index(out, s); s != "" && i >= 0 {
			out = out[:i]
		}
	}
	out = strings.TrimRightFunc(out, unicode.IsSpace)
	if maxTokens > 0 && text.CountTokens(out) > maxTokens {
		out, cut = cutTokens(out, maxTokens), true
	}
	kept = make([]schema.Citation, 0, len(cites))
	for _, c := range cites {
		if strings.Contains(out, "["+strconv.Itoa(c.Index)+"]") {
			kept = append(kept, c)
		}
	}
	return out, kept, cut
}

// cutTokens returns the longest prefix of s within max tokens that ends
// at a sentence end, else at a word boundary ("" when no word fits).
func cutTokens(s string, max int) string {
	best := ""
	fits := func(end int) bool {
		p := strings.TrimRightFunc(s[:end], unicode.IsSpace)
		if text.CountTokens(p) <= max {
			if len(p) > len(best) {
				best = p
			}
			return true
		}
		return false
	}
	for _, m := range markerEnd.FindAllStringIndex(s, -1) {
		if !fits(m[1]) {
			break
		}
	}
	for _, sp := range text.Sentences(s) {
		if !fits(sp.End) {
			break
		}
	}
	if best != "" {
		return best
	}
	for i, r := range s {
		if unicode.IsSpace(r) && !fits(i) {
			break
		}
	}
	return best
}
