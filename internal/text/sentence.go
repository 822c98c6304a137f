package text

import (
	"unicode"
	"unicode/utf8"
)

// Span is a half-open byte range [Start, End) of a string.
type Span struct{ Start, End int }

// Sentences splits s into sentences and returns their spans in order.
// Each span starts and ends on a rune boundary, has the white space around
// the sentence trimmed off, and is never empty; spans do not overlap. Text
// that has no sentence punctuation is one sentence per paragraph.
//
// A sentence ends:
//   - after . ! ? or … (and any closing quotes and brackets right after
//     them) when white space follows and then the end of the text or
//     something that starts a sentence: an upper-case or uncased letter, a
//     digit, an opening quote or bracket. A period does not end a sentence
//     after a common abbreviation ("e.g.", "Dr.", "Fig.", "U.S.", an
//     initial such as "J."), after "No." or "p." before a number, or
//     inside a number such as 3.5;
//   - after 。！？；｡ and after ! ? … ． that follow a CJK character (with
//     any closing quotes and brackets such as ”」』）), whatever follows;
//   - at a blank line, and at a line break before a list item (a line
//     starting with - * + • or a number followed by "." or ")").
func Sentences(s string) []Span {
	var spans []Span
	start := 0
	add := func(end int) {
		if sp, ok := trimSpan(s, start, end); ok {
			if spans == nil {
				spans = make([]Span, 0, len(s)/80+1)
			}
			spans = append(spans, sp)
		}
		start = end
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '.', '!', '?':
				next, end := terminator(s, i)
				if end >= 0 {
					add(end)
				}
				i = next
				continue
			case '\n':
				if lineBreakEnds(s, i+1) {
					add(i)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if isTerminator(r) {
			next, end := terminator(s, i)
			if end >= 0 {
				add(end)
			}
			i = next
			continue
		}
		i += size
	}
	add(len(s))
	return spans
}

// isTerminator reports whether r can end a sentence.
func isTerminator(r rune) bool {
	switch r {
	case '.', '!', '?', '…', '。', '！', '？', '；', '｡', '．':
		return true
	}
	return false
}

// isStrongTerminator reports whether r ends a sentence whatever follows.
func isStrongTerminator(r rune) bool {
	switch r {
	case '。', '！', '？', '；', '｡':
		return true
	}
	return false
}

// isCloser reports whether r closes a quotation or bracket, and so stays
// with the sentence it follows.
func isCloser(r rune) bool {
	switch r {
	case '"', '\'', ')', ']', '}', '”', '’', '»', '›', '」', '』', '）', '】', '》', '〉', '〕', '〗', '〙', '〛', '］', '｝', '＂', '＇':
		return true
	}
	return false
}

// isOpener reports whether r opens a quotation or bracket.
func isOpener(r rune) bool {
	switch r {
	case '"', '\'', '(', '[', '{', '“', '‘', '«', '‹', '「', '『', '（', '【', '《', '〈', '〔', '［', '｛', '¿', '¡':
		return true
	}
	return false
}

// terminator examines the run of terminators starting at s[i]. It returns
// the offset to continue scanning from and the offset at which the
// sentence ends, or -1 when the run does not end a sentence.
func terminator(s string, i int) (next, end int) {
	j := i
	strong, onlyPeriods, count := false, true, 0
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		if !isTerminator(r) {
			break
		}
		strong = strong || isStrongTerminator(r)
		onlyPeriods = onlyPeriods && r == '.'
		count++
		j += size
	}
	k := j
	for k < len(s) {
		r, size := utf8.DecodeRuneInString(s[k:])
		if !isCloser(r) {
			break
		}
		k += size
	}
	if strong || k == len(s) {
		return k, k
	}
	r, _ := utf8.DecodeRuneInString(s[k:])
	if !unicode.IsSpace(r) {
		// No space after: only CJK text ends sentences this way, and never
		// at an ASCII period (decimals, URLs, file names).
		if !onlyPeriods {
			prev, _ := utf8.DecodeLastRuneInString(s[:i])
			if isCJK(prev) || isCJK(r) {
				return k, k
			}
		}
		return j, -1
	}
	m := k
	for m < len(s) {
		r, size := utf8.DecodeRuneInString(s[m:])
		if !unicode.IsSpace(r) {
			break
		}
		m += size
	}
	if m == len(s) {
		return k, k
	}
	nr, _ := utf8.DecodeRuneInString(s[m:])
	if !startsSentence(nr) {
		return j, -1
	}
	if onlyPeriods && count == 1 && k == j && abbreviation(s[:i], nr) {
		return j, -1
	}
	return k, k
}

// startsSentence reports whether r can be the first character of a
// sentence.
func startsSentence(r rune) bool {
	if r < utf8.RuneSelf {
		cl := asciiClass[r]
		return cl == classUpper || cl == classDigit || isOpener(r)
	}
	if unicode.IsLetter(r) {
		return !unicode.IsLower(r)
	}
	return unicode.IsDigit(r) || isOpener(r)
}

// abbreviations are the words after which a period does not end a
// sentence. Words containing periods ("e.g.", "U.S.") are recognised by
// their shape instead.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "sr": true,
	"jr": true, "st": true, "mt": true, "rev": true, "gen": true, "col": true,
	"lt": true, "capt": true, "sgt": true, "hon": true, "messrs": true,
	"vs": true, "etc": true, "cf": true, "al": true, "approx": true,
	"fig": true, "figs": true, "eq": true, "eqs": true, "ref": true,
	"refs": true, "vol": true, "vols": true, "pp": true, "ed": true,
	"eds": true, "dept": true, "univ": true, "assn": true, "ca": true,
	"viz": true, "resp": true, "incl": true, "esp": true, "ibid": true,
	"jan": true, "feb": true, "apr": true, "aug": true, "sept": true,
	"oct": true, "nov": true, "dec": true,
}

// numberAbbreviations end a sentence unless a number follows ("No. 5",
// "p. 12", but "The answer is no. Then ...").
var numberAbbreviations = map[string]bool{
	"no": true, "nos": true, "p": true, "art": true, "sec": true, "ch": true,
	"chap": true, "par": true, "op": true,
}

// abbreviation reports whether the text before a period ends with an
// abbreviation; next is the first character after the white space that
// follows the period.
func abbreviation(before string, next rune) bool {
	// The word before the period: ASCII letters and inner periods.
	w := len(before)
	for w > 0 && (isASCIILetter(before[w-1]) || before[w-1] == '.') && len(before)-w < 16 {
		w--
	}
	if w > 0 {
		r, _ := utf8.DecodeLastRuneInString(before[:w])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	word := before[w:]
	if word == "" || word[0] == '.' {
		return false
	}
	if len(word) == 1 {
		return asciiClass[word[0]] == classUpper // an initial
	}
	var buf [16]byte
	lower := buf[:0]
	dotted, part := false, 0
	for k := 0; k < len(word); k++ {
		c := word[k]
		if c == '.' {
			dotted = true
			if part == 0 || part > 2 {
				part = 99
			}
			if part == 99 {
				break
			}
			part = 0
			continue
		}
		part++
		if asciiClass[c] == classUpper {
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	if dotted {
		return part >= 1 && part <= 2 // e.g, i.e, U.S, Ph.D
	}
	if abbreviations[string(lower)] {
		return true
	}
	return numberAbbreviations[string(lower)] && next < utf8.RuneSelf && asciiClass[next] == classDigit
}

// lineBreakEnds reports whether a line break just before s[i] ends a
// sentence: the next line is blank or starts a list item.
func lineBreakEnds(s string, i int) bool {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v') {
		i++
	}
	if i >= len(s) {
		return false
	}
	switch c := s[i]; {
	case c == '\n':
		return true
	case c == '-' || c == '*' || c == '+':
		return i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t')
	case c >= '0' && c <= '9':
		j := i
		for j < len(s) && j-i < 4 && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		return j+1 < len(s) && (s[j] == '.' || s[j] == ')') && (s[j+1] == ' ' || s[j+1] == '\t')
	case c >= utf8.RuneSelf:
		r, _ := utf8.DecodeRuneInString(s[i:])
		return r == '•' || r == '◦' || r == '▪' || r == '‣' || r == '●' || r == '○' || r == '■' || r == '□'
	}
	return false
}

// trimSpan trims white space off both ends of s[start:end] and reports
// whether anything is left.
func trimSpan(s string, start, end int) (Span, bool) {
	for start < end {
		c := s[start]
		if c < utf8.RuneSelf {
			if asciiClass[c] != classSpace {
				break
			}
			start++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[start:end])
		if !unicode.IsSpace(r) {
			break
		}
		start += size
	}
	for end > start {
		c := s[end-1]
		if c < utf8.RuneSelf {
			if asciiClass[c] != classSpace {
				break
			}
			end--
			continue
		}
		r, size := utf8.DecodeLastRuneInString(s[start:end])
		if !unicode.IsSpace(r) {
			break
		}
		end -= size
	}
	return Span{start, end}, start < end
}
