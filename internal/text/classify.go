package text

import "unicode"

// asciiClass classifies the ASCII bytes the hot loops look at, so that
// they avoid unicode table look-ups for the common case.
var asciiClass = func() (t [128]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = classDigit
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = classLower
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = classUpper
	}
	for _, c := range " \t\n\v\f\r" {
		t[c] = classSpace
	}
	for c := 0; c < 128; c++ {
		if t[c] == 0 && c > ' ' && c < 127 {
			t[c] = classPunct
		}
	}
	return t
}()

const (
	classOther uint8 = iota // control characters
	classDigit
	classLower
	classUpper
	classSpace
	classPunct
)

// isASCIIAlnum reports whether c is an ASCII letter or digit.
func isASCIIAlnum(c byte) bool {
	return c < 128 && asciiClass[c] >= classDigit && asciiClass[c] <= classUpper
}

// isASCIILetter reports whether c is an ASCII letter.
func isASCIILetter(c byte) bool {
	return c < 128 && (asciiClass[c] == classLower || asciiClass[c] == classUpper)
}

// isCJK reports whether r is a Han, Hiragana, Katakana or Hangul letter,
// the characters that are analysed character by character rather than as
// space-separated words. The prolonged sound mark (ー) and the ideographic
// zero (〇) are included because they occur inside such runs although
// Unicode assigns them to the Common script or to category Nl.
func isCJK(r rune) bool {
	switch {
	case r < 0x1100:
		return false
	case r >= 0x4E00 && r <= 0x9FFF: // CJK Unified Ideographs
		return true
	case r >= 0x3041 && r <= 0x3096: // Hiragana letters
		return true
	case r >= 0x30A1 && r <= 0x30FA: // Katakana letters
		return true
	case r >= 0xAC00 && r <= 0xD7A3: // Hangul syllables
		return true
	case r == 0x30FC || r == 0xFF70 || r == 0x3007:
		return true
	case r == 0xFF9E || r == 0xFF9F: // half-width voicing marks attach
		return false
	}
	if !unicode.IsLetter(r) {
		return false
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// isCJKAttach reports whether r belongs to the CJK character before it:
// combining marks (including the kana voicing marks and variation
// selectors) and the half-width voicing marks.
func isCJKAttach(r rune) bool {
	if r == 0xFF9E || r == 0xFF9F {
		return true
	}
	return r >= 0x300 && unicode.IsMark(r)
}

// isWordRune reports whether a non-ASCII rune is part of a word: a letter,
// mark or number. Callers test isCJK first.
func isWordRune(r rune) bool {
	if r == 0xFF9E || r == 0xFF9F {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r)
}

// isApostrophe reports whether r joins the letters around it into one word.
func isApostrophe(r rune) bool {
	return r == '\'' || r == '\u2019'
}

// isVariationSelector reports whether r only selects a glyph variant and
// is therefore dropped from terms.
func isVariationSelector(r rune) bool {
	return (r >= 0xFE00 && r <= 0xFE0F) || (r >= 0xE0100 && r <= 0xE01EF) ||
		(r >= 0x180B && r <= 0x180D) || r == 0x180F
}
