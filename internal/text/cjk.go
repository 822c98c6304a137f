package text

import (
	"unicode"
	"unicode/utf8"
)

// cjkRun scans the run of CJK characters starting at s[i], emits its
// terms and returns the offset just past it. A character is a CJK letter
// with the marks that follow it.
func (a *Analyzer) cjkRun(s string, i int, sc *scratch, emit emitFunc) int {
	runStart := i
	chars := sc.chars[:0]
	han, other := false, false
scan:
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isCJK(r):
			chars = append(chars, i)
			if a.useGSE {
				if isHan(r) {
					han = true
				} else {
					other = true
				}
			}
		case len(chars) > 0 && isCJKAttach(r):
			// Part of the previous character.
		default:
			break scan
		}
		i += size
	}
	chars = append(chars, i) // sentinel: the end of the last character
	sc.chars = chars
	n := len(chars) - 1
	if n == 0 {
		// Not reachable from analyze, which calls this on a CJK rune;
		// guarantees progress anyway.
		_, size := utf8.DecodeRuneInString(s[runStart:])
		return runStart + size
	}

	if a.useGSE && han && !other && a.gseRun(s, chars, sc, emit) {
		return i
	}
	if n == 1 {
		a.cjkTerm(s, chars[0], chars[1], sc, emit)
		return i
	}
	for k := 0; k+2 <= n; k++ {
		a.cjkTerm(s, chars[k], chars[k+2], sc, emit)
	}
	return i
}

// cjkTerm emits the term for the CJK characters s[start:end]. The common
// case, characters that NFKC and case folding leave alone, emits a
// substring of s without allocating.
func (a *Analyzer) cjkTerm(s string, start, end int, sc *scratch, emit emitFunc) {
	t := s[start:end]
	if !cjkStable(t) {
		sc.norm = normalizeWord(sc.norm, []byte(t))
		w := sc.norm[:0]
		for j := 0; j < len(sc.norm); {
			r, size := utf8.DecodeRune(sc.norm[j:])
			if isTermRune(r) {
				w = append(w, sc.norm[j:j+size]...)
			}
			j += size
		}
		if len(w) == 0 {
			return
		}
		t = string(w)
	}
	if a.stopCJK {
		if _, ok := a.stop[t]; ok {
			return
		}
	}
	emit(t, start, end)
}

// isHan reports whether the CJK character r is a Chinese character rather
// than kana or Hangul.
func isHan(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || r == 0x3007 || unicode.Is(unicode.Han, r)
}

// cjkStable reports whether t is made only of characters from the main
// Han, kana and Hangul blocks, which normalisation leaves unchanged.
func cjkStable(t string) bool {
	for _, r := range t {
		switch {
		case r >= 0x4E00 && r <= 0x9FFF:
		case r >= 0x3041 && r <= 0x3096:
		case r >= 0x30A1 && r <= 0x30FA:
		case r == 0x30FC:
		case r >= 0xAC00 && r <= 0xD7A3:
		default:
			return false
		}
	}
	return true
}

// gseRun segments a run of Chinese characters (byte offsets in chars, the
// last being the run's end) into dictionary words and emits them. It
// reports false, having emitted nothing, when the segmenter is unavailable
// or returns segments that do not tile the run, so that the caller can fall
// back to bigrams.
func (a *Analyzer) gseRun(s string, chars []int, sc *scratch, emit emitFunc) bool {
	start, end := chars[0], chars[len(chars)-1]
	cuts, ok := gseSegment(s[start:end])
	if !ok {
		return false
	}
	// Keep only the cuts that fall between our characters, so that a mark
	// stays with its letter.
	prev, k := start, 1
	for _, c := range cuts {
		c += start
		for k < len(chars) && chars[k] < c {
			k++
		}
		if k < len(chars) && chars[k] == c && c > prev {
			a.cjkTerm(s, prev, c, sc, emit)
			prev = c
		}
	}
	if prev < end {
		a.cjkTerm(s, prev, end, sc, emit)
	}
	return true
}
