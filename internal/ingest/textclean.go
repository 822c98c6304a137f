package ingest

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"
)

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decodeText turns raw text bytes into a string: a UTF-16 file with a byte
// order mark is decoded, a UTF-8 byte order mark is dropped, Chinese text
// in GB18030 (GBK, GB2312; what Chinese Windows and Excel write) is
// recognised, and anything else is taken as UTF-8 whose invalid bytes
// cleanText later replaces with U+FFFD.
func decodeText(data []byte) string {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		return string(data[len(bomUTF8):])
	case bytes.HasPrefix(data, bomUTF16LE), bytes.HasPrefix(data, bomUTF16BE):
		// The BOM override decoder picks the byte order from the mark and
		// replaces unpaired surrogates with U+FFFD; it cannot fail.
		out, err := xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return string(data)
		}
		return string(out)
	}
	if !utf8.Valid(data) {
		if s, ok := decodeGB18030(data); ok {
			return s
		}
	}
	return string(data)
}

// decodeGB18030 decodes data as GB18030 when it is not UTF-8 with a few
// broken bytes but reads cleanly as Chinese: almost no undecodable bytes
// and CJK characters making up a good share of the text. A Latin-1 file
// fails the share test, so it stays UTF-8 with replacements.
func decodeGB18030(data []byte) (string, bool) {
	invalid, multi := 0, 0
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			invalid++
		case size > 1:
			multi++
		}
		i += size
	}
	if invalid <= multi {
		return "", false // UTF-8 with some damage
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return "", false
	}
	s := string(out)
	var bad, cjk, visible int
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			bad++
		case isCJK(r):
			cjk++
		}
		if !unicode.IsSpace(r) {
			visible++
		}
	}
	// A sniffed head may end inside a character: allow one bad rune.
	if bad > 1+visible/200 || cjk*10 < visible*3 {
		return "", false
	}
	return s, true
}

// cleanText makes extracted text safe to store and index: invalid UTF-8
// becomes U+FFFD, line ends become "\n", and NUL and byte order marks are
// removed.
func cleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.ContainsAny(s, "\r\x00\uFEFF") {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.NewReplacer("\r", "\n", "\x00", "", "\uFEFF", "").Replace(s)
	}
	return s
}

// collapseSpace joins all runs of white space (including newlines and
// no-break spaces) into single spaces and trims the ends, as a browser
// renders inline text.
func collapseSpace(s string) string {
	if s == "" {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		space = false
		sb.WriteRune(r)
	}
	return sb.String()
}

// looksBinary reports whether the start of a file is binary rather than
// text: it holds a NUL byte, more than one byte in fifty is a control
// character that text files do not use, or nearly a third of it is
// neither UTF-8 nor GB18030. Text with a few broken bytes passes, so a
// mostly-valid file is kept with replacements.
func looksBinary(head []byte) bool {
	if bytes.HasPrefix(head, bomUTF16LE) || bytes.HasPrefix(head, bomUTF16BE) {
		if len(head)%2 == 1 {
			head = head[:len(head)-1]
		}
		return looksBinary([]byte(decodeText(head)))
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	controls, invalid := 0, 0
	for i := 0; i < len(head); {
		r, size := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && size == 1 {
			// A sequence cut off by the end of the sniffed head is not
			// evidence of binary content.
			if !utf8.FullRune(head[i:]) {
				break
			}
			invalid++
		} else if isBinaryControl(r) {
			controls++
		}
		i += size
	}
	if controls*50 > len(head) {
		return true
	}
	if invalid*10 > len(head)*3 {
		_, ok := decodeGB18030(head)
		return !ok
	}
	return false
}

// isBinaryControl reports control characters that do not occur in text
// files; tab, line ends, form feed and the escape of terminal colour codes
// do.
func isBinaryControl(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x1b:
		return false
	}
	return r < 0x20 || r == 0x7f
}

// isCJK reports Han, Hiragana, Katakana and Hangul characters, and CJK
// punctuation: scripts written without spaces between words, so lines are
// joined without one.
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

// joinLines joins wrapped lines of one paragraph: with a space between
// words, without one between CJK characters, and without the hyphen of a
// word broken across lines.
func joinLines(lines []string) string {
	var buf []byte
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if len(buf) > 0 {
			last, size := utf8.DecodeLastRune(buf)
			first, _ := utf8.DecodeRuneInString(line)
			switch {
			case (last == '-' || last == 0x2) && unicode.IsLower(first) && letterBefore(buf[:len(buf)-size]):
				// "exam-" + "ple" is one word broken across lines.
				buf = buf[:len(buf)-size]
			case isCJK(last) || isCJK(first):
			default:
				buf = append(buf, ' ')
			}
		}
		buf = append(buf, line...)
	}
	return string(buf)
}

// letterBefore reports whether b ends with a letter.
func letterBefore(b []byte) bool {
	r, _ := utf8.DecodeLastRune(b)
	return unicode.IsLetter(r)
}
