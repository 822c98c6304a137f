package extractive

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// TestTocLineMatchesPattern checks tocLine against the regular expression
// it writes out, on table-of-contents lines, sentences and random
// strings over the characters that matter.
func TestTocLineMatchesPattern(t *testing.T) {
	re := regexp.MustCompile(`\.{4,}|…{2,}|·{4,}|\s\d{1,3}\s*$`)
	cases := []string{
		"", "1", " 1", "12", "Leave policy 12", "Leave policy ..... 12", "Leave policy\t7 \n",
		"Chapter 1234", "In 2019 we grew 12", "a 1234", "x1 2", "目录……3", "··· 4", "·····",
		"The office opens at 9.", "Room 101", "Figure 3 shows 4 bars", " 123 ", "\n999\t",
	}
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []string{".", "…", "·", " ", "\t", "\n", "\r", "\f", "\v", "1", "2", "0", "9", "a", "Z", "年", "\u00a0"}
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		if got, want := tocLine(s), re.MatchString(s); got != want {
			t.Fatalf("tocLine(%q) = %v; the pattern says %v", s, got, want)
		}
	}
}
