package text

import (
	"unicode"
	"unicode/utf8"
)

// DetectLanguage guesses the dominant language of s from its letters:
// "zh" when Han characters dominate, "en" when Latin letters dominate and
// "" when neither does (other scripts, Japanese kana, no letters at all).
//
// A Han character carries about as much as three Latin letters, so Han
// characters count three times: "使用Python读取CSV文件" is "zh" although it
// has more Latin letters than Han characters. Kana and Hangul count like
// Han characters but for neither side, so Japanese and Korean give "".
// It is a cheap heuristic for choosing analysis defaults, not a language
// identifier: any Latin-script language reports "en".
func DetectLanguage(s string) string {
	han, latin, other := 0, 0, 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if isASCIILetter(c) {
				latin++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case isCJK(r):
			if isHan(r) {
				han += 3
			} else {
				other += 3
			}
		case !unicode.IsLetter(r):
		case unicode.Is(unicode.Latin, r):
			latin++
		default:
			other++
		}
	}
	switch {
	case han > latin+other:
		return "zh"
	case latin > han+other:
		return "en"
	}
	return ""
}
