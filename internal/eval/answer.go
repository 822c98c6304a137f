package eval

import (
	"strings"
	"unicode"
)

// NormalizeAnswer prepares an answer text for comparison.
//
// English text gets the SQuAD normalisation: lower case, ASCII
// punctuation removed, the articles "a", "an" and "the" removed, runs of
// white space collapsed to one space. Text containing CJK characters or
// CJK punctuation gets the CMRC 2018 treatment instead: full-width forms
// folded to ASCII, lower case, punctuation (ASCII and Unicode) and white
// space removed, except that one space is kept between two words of a
// non-CJK script ("两万 公里" becomes "两万公里", "乔丹 Michael Jordan"
// becomes "乔丹michael jordan").
func NormalizeAnswer(s string) string {
	return normalizeAnswer(s, hasCJK(s))
}

// ExactMatch returns 1 when pred equals any reference after
// NormalizeAnswer, else 0. The pair is normalised as Chinese when either
// side contains CJK characters. It is 0 when refs is empty.
func ExactMatch(pred string, refs []string) float64 {
	for _, ref := range refs {
		zh := hasCJK(pred) || hasCJK(ref)
		if normalizeAnswer(pred, zh) == normalizeAnswer(ref, zh) {
			return 1
		}
	}
	return 0
}

// F1 returns the best token F1 of pred against refs, 0 when refs is
// empty.
//
// English pairs use the SQuAD definition: bag-of-words overlap of the
// normalised tokens. Pairs where either side contains CJK characters use
// the CMRC 2018 definition: every CJK character is a token, other runs of
// letters and digits are tokens, punctuation is dropped, and the overlap
// is the longest common run of consecutive tokens, as the official CMRC
// script computes it. Two answers that normalise to nothing score 1.
func F1(pred string, refs []string) float64 {
	best := 0.0
	for _, ref := range refs {
		var f float64
		if hasCJK(pred) || hasCJK(ref) {
			f = f1Score(cjkTokens(pred), cjkTokens(ref), longestCommonRun)
		} else {
			f = f1Score(strings.Fields(normalizeAnswer(pred, false)),
				strings.Fields(normalizeAnswer(ref, false)), bagOverlap)
		}
		best = max(best, f)
	}
	return best
}

// f1Score combines precision and recall of pred against ref given an
// overlap count.
func f1Score(pred, ref []string, overlap func(a, b []string) int) float64 {
	if len(pred) == 0 || len(ref) == 0 {
		if len(pred) == len(ref) {
			return 1
		}
		return 0
	}
	n := overlap(pred, ref)
	if n == 0 {
		return 0
	}
	p := float64(n) / float64(len(pred))
	r := float64(n) / float64(len(ref))
	return 2 * p * r / (p + r)
}

// bagOverlap counts tokens shared by a and b with multiplicity.
func bagOverlap(a, b []string) int {
	counts := make(map[string]int, len(b))
	for _, t := range b {
		counts[t]++
	}
	n := 0
	for _, t := range a {
		if counts[t] > 0 {
			counts[t]--
			n++
		}
	}
	return n
}

// longestCommonRun returns the length of the longest run of consecutive
// tokens that occurs in both a and b.
func longestCommonRun(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	best := 0
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
				best = max(best, cur[j+1])
			} else {
				cur[j+1] = 0
			}
		}
		prev, cur = cur, prev
	}
	return best
}

// normalizeAnswer applies the Chinese or the English normalisation.
func normalizeAnswer(s string, zh bool) string {
	if zh {
		return normalizeChinese(s)
	}
	s = strings.ToLower(s)
	s = strings.Map(func(r rune) rune {
		if r < 0x80 && isASCIIPunct(byte(r)) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(removeArticles(s)), " ")
}

// normalizeChinese folds width and case and drops punctuation and white
// space. One space is kept where white space separates two non-CJK
// characters, so Latin words inside Chinese text ("迈克尔 Michael Jordan")
// stay separate tokens for F1 and exact match agrees with F1.
func normalizeChinese(s string) string {
	var b strings.Builder
	space, prevCJK := false, true
	for _, r := range s {
		r = unicode.ToLower(foldWidth(r))
		switch {
		case unicode.IsSpace(r):
			space = true
		case isAnswerPunct(r):
		default:
			cjk := isCJK(r)
			if space && !prevCJK && !cjk {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
			space, prevCJK = false, cjk
		}
	}
	return b.String()
}

// removeArticles replaces the whole words "a", "an" and "the" with a
// space, where a word is a maximal run of letters, digits and underscores
// (the \b(a|an|the)\b of the SQuAD script).
func removeArticles(s string) string {
	var b strings.Builder
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		switch s[start:end] {
		case "a", "an", "the":
			b.WriteByte(' ')
		default:
			b.WriteString(s[start:end])
		}
		start = -1
	}
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_' {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
		b.WriteRune(r)
	}
	flush(len(s))
	return b.String()
}

// cjkTokens splits s CMRC-style after the Chinese normalisation: each CJK
// character is a token, and so is each remaining run of other characters
// between spaces.
func cjkTokens(s string) []string {
	s = normalizeChinese(s)
	var toks []string
	start := -1
	for i, r := range s {
		switch {
		case r == ' ' || isCJK(r):
			if start >= 0 {
				toks = append(toks, s[start:i])
				start = -1
			}
			if r != ' ' {
				toks = append(toks, string(r))
			}
		case start < 0:
			start = i
		}
	}
	if start >= 0 {
		toks = append(toks, s[start:])
	}
	return toks
}

// foldWidth maps full-width ASCII variants and the ideographic space to
// their ASCII forms, so "２００８" and "2008" compare equal.
func foldWidth(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

// isAnswerPunct reports whether r is punctuation for the Chinese
// normalisation: Python's string.punctuation or any Unicode punctuation.
func isAnswerPunct(r rune) bool {
	if r < 0x80 {
		return isASCIIPunct(byte(r))
	}
	return unicode.IsPunct(r)
}

// isASCIIPunct reports whether c is in Python's string.punctuation, the
// set the SQuAD script removes.
func isASCIIPunct(c byte) bool {
	return strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) >= 0
}

// isCJK reports whether r is a Chinese, Japanese or Korean character that
// counts as a token on its own.
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// hasCJK reports whether s contains a CJK character or CJK punctuation
// (the CJK Symbols and Punctuation block, full-width forms), which
// selects the Chinese normalisation.
func hasCJK(s string) bool {
	for _, r := range s {
		if r < 0x1100 {
			continue
		}
		if isCJK(r) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF) {
			return true
		}
	}
	return false
}
