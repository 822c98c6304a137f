package text

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// appendFolded appends the case-folded form of r to dst.
// ToLower(ToUpper(r)) gives every cased letter one representative, as
// simple case folding does (ς → σ, ſ → s, K → k); ß and ẞ get their full
// folding "ss" so that "Straße" and "STRASSE" agree. The other full
// foldings are ligatures that NFKC has already decomposed.
func appendFolded(dst []byte, r rune) []byte {
	switch r {
	case 'ß', 'ẞ':
		return append(dst, 's', 's')
	}
	return utf8.AppendRune(dst, unicode.ToLower(unicode.ToUpper(r)))
}

// normalizeWord returns the NFKC, case-folded form of a non-ASCII word in
// dst[:0]. Folding can leave a string that is not NFKC (a folded letter
// that composes with a following mark), so the result is normalised again
// when needed.
func normalizeWord(dst []byte, w []byte) []byte {
	if !norm.NFKC.IsNormal(w) {
		w = norm.NFKC.Bytes(w)
	}
	dst = dst[:0]
	for i := 0; i < len(w); {
		c := w[i]
		if c < utf8.RuneSelf {
			if asciiClass[c] == classUpper {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(w[i:])
		dst = appendFolded(dst, r)
		i += size
	}
	if !norm.NFKC.IsNormal(dst) {
		dst = norm.NFKC.Bytes(dst)
	}
	return dst
}

// isTermRune reports whether r may appear in a normalised term.
func isTermRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIIAlnum(byte(r))
	}
	if isVariationSelector(r) {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r)
}
