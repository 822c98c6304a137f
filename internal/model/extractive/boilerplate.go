package extractive

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	// Bylines and document furniture: "Owner: People Team", "Version 4.2",
	// "Last updated …", "Page 3 of 9", "Skip to main content", "作者：…",
	// "目录". Only punctuation, symbols and spaces may come before the
	// label (bullets, emphasis marks): a sentence that merely holds the
	// word ("这本书的作者是鲁迅。") is not a byline. Labels that are
	// also ordinary words need what makes them labels: a colon, a
	// version number, or nothing else on the line.
	furnitureRE = regexp.MustCompile(`(?i)^[^\p{L}\p{N}]*((policy |document )?owner\s*:|maintained by\b|written by\b|authors?\s*:|last (updated|revised|reviewed)\b|applies to\s*:|effective date\b|version \d|page \d+( of \d+)?\W*$|(table of )?contents\W*$|skip to (main )?content|copyright\b|©|all rights reserved)|^[^\p{L}\p{N}]*((负责人|负责部门|维护部门|作者|发布日期|更新日期|最后更新|适用范围|版本)\s*[:：]|版本\s*\d|(目录|第\s*\d+\s*页)[^\p{L}\p{N}]*$|版权所有)`)
	// A section number opening a line.
	numberedRE = regexp.MustCompile(`^(\d+(\.\d+)*\.?|[一二三四五六七八九十]+、)\s*\S`)
	// Separators that join the parts of a header or navigation trail.
	separatorRE = regexp.MustCompile(`\s[·|›»>/]\s|\s[·|›»]$|^[·|›»]\s`)
)

// quotable reports whether a sentence can stand as an answer. Headings,
// questions (FAQ prompts), bylines, navigation trails, table-of-contents
// lines and other page furniture are context, never answers.
func quotable(sent string, headings []string, title string) bool {
	s := strings.TrimSpace(sent)
	return !isHeading(s, headings, title) && quotableText(s)
}

// isHeading reports whether the trimmed sentence s is one of the chunk's
// headings or the document's title.
func isHeading(s string, headings []string, title string) bool {
	for _, h := range headings {
		if strings.TrimSpace(h) == s {
			return true
		}
	}
	return title != "" && strings.TrimSpace(title) == s
}

// quotableText is quotable's test of the sentence alone (s trimmed): it
// depends on nothing but the text, so the sentence cache keeps it, and a
// question pays only for the comparison with headings and title.
func quotableText(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	if r == '?' || r == '？' {
		return false
	}
	if tocLine(s) || furnitureRE.MatchString(s) {
		return false
	}
	if !endsSentence(s) && separatorRE.MatchString(s) {
		return false
	}
	// A numbered heading the loader did not mark ("5.2 Client meals").
	if !endsSentence(s) && numberedRE.MatchString(s) {
		return false
	}
	// Too short to state anything: a label, a table cell, a menu item.
	words, han := 0, 0
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		for _, c := range f {
			if c >= 0x2E80 {
				han++
			}
		}
		words++
	}
	if han >= 6 {
		return true
	}
	return words >= 4 || (words >= 2 && endsSentence(s))
}

// endsSentence reports whether s ends like a sentence, not a label.
func endsSentence(s string) bool {
	s = strings.TrimRight(s, `"'”’)）」』*_ `)
	r, _ := utf8.DecodeLastRuneInString(s)
	switch r {
	case '.', '!', '。', '！', '；', ';', '…':
		return true
	}
	return false
}

// tocLine reports whether s looks like a table-of-contents line: dot
// leaders ("....", "……", "····") or a page number of one to three digits
// after a space at the end. It is the pattern
// `\.{4,}|…{2,}|·{4,}|\s\d{1,3}\s*$` written out, which a regular
// expression would search for at every position of every sentence.
func tocLine(s string) bool {
	if strings.Contains(s, "....") || strings.Contains(s, "……") || strings.Contains(s, "····") {
		return true
	}
	s = strings.TrimRight(s, "\t\n\f\r ")
	n := 0
	for n < len(s) && n <= 3 && s[len(s)-1-n] >= '0' && s[len(s)-1-n] <= '9' {
		n++
	}
	if n == 0 || n > 3 || n == len(s) {
		return false
	}
	switch s[len(s)-1-n] {
	case '\t', '\n', '\f', '\r', ' ':
		return true
	}
	return false
}
