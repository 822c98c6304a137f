package text

import (
	"unicode"
	"unicode/utf8"
)

// greekNames spells the lower-case Greek letters the way English text
// writes them when a font lacks the symbol: "IFN-γ" and "IFN-gamma",
// "TNF-α" and "TNF-alpha", "NF-κB" and "NF-kappaB" must meet. Final
// sigma is folded to σ before the look-up; μ includes the micro sign,
// which NFKC maps to it.
var greekNames = map[rune]string{
	'α': "alpha", 'β': "beta", 'γ': "gamma", 'δ': "delta", 'ε': "epsilon",
	'ζ': "zeta", 'η': "eta", 'θ': "theta", 'ι': "iota", 'κ': "kappa",
	'λ': "lambda", 'μ': "mu", 'ν': "nu", 'ξ': "xi", 'ο': "omicron",
	'π': "pi", 'ρ': "rho", 'σ': "sigma", 'τ': "tau", 'υ': "upsilon",
	'φ': "phi", 'χ': "chi", 'ψ': "psi", 'ω': "omega",
	'ϕ': "phi", 'ϑ': "theta", 'ϵ': "epsilon", 'ϰ': "kappa", 'ϱ': "rho", 'ϖ': "pi",
}

// spellGreek returns w, a normalised word, with its Greek letters
// replaced by their names in dst[:0] when the letters are symbols rather
// than Greek text: the word is a single Greek letter ("γ") or mixes Greek
// letters with Latin letters or digits ("κb", "1β", "α7"). Words written
// in Greek are left alone (ok is false).
func spellGreek(dst, w []byte) (out []byte, ok bool) {
	greek, other := 0, false
	for i := 0; i < len(w); {
		r, size := utf8.DecodeRune(w[i:])
		i += size
		switch {
		case greekNames[r] != "":
			greek++
		case unicode.Is(unicode.Greek, r) || unicode.IsMark(r):
			// A Greek letter without a name here (accented: Greek
			// text), or a mark: not evidence of a symbol.
		case isTermRune(r):
			other = true
		}
	}
	if greek == 0 || (greek > 1 && !other) {
		return dst, false
	}
	dst = dst[:0]
	for i := 0; i < len(w); {
		r, size := utf8.DecodeRune(w[i:])
		if name := greekNames[r]; name != "" {
			dst = append(dst, name...)
		} else {
			dst = append(dst, w[i:i+size]...)
		}
		i += size
	}
	return dst, true
}
