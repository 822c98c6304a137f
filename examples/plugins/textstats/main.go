// Command textstats is an example ragline plugin: a WebAssembly module
// (WASI preview 1) that reads a JSON object on stdin and writes a JSON
// result on stdout. It counts the words, lines and characters of a text,
// given inline, read from the granted directory (/data) or fetched from a
// granted host through the host function ragline.http_get.
//
// Build it with:
//
//	GOOS=wasip1 GOARCH=wasm go build -o textstats.wasm ./examples/plugins/textstats
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"unicode"
)

type input struct {
	Text string `json:"text"`
	// File is a path inside the granted directory, e.g. /data/notes.txt.
	File string `json:"file"`
	// URL is fetched through the host, which allows only granted hosts.
	URL string `json:"url"`
	// Top is how many of the most frequent words to list (default 5).
	Top int `json:"top"`
}

type count struct {
	Word  string `json:"word"`
	Count int    `json:"count"`
}

type output struct {
	Words int     `json:"words"`
	Lines int     `json:"lines"`
	Chars int     `json:"chars"`
	Top   []count `json:"top"`
	Text  string  `json:"text"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail("read input: %v", err)
	}
	text := in.Text
	switch {
	case in.File != "":
		b, err := os.ReadFile(in.File)
		if err != nil {
			fail("read %s: %v", in.File, err)
		}
		text = string(b)
	case in.URL != "":
		body, err := httpGet(in.URL)
		if err != nil {
			fail("fetch %s: %v", in.URL, err)
		}
		text = body
	}
	if in.Top <= 0 {
		in.Top = 5
	}
	out := stats(text, in.Top)
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("write output: %v", err)
	}
}

func stats(text string, top int) output {
	freq := map[string]int{}
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for _, w := range words {
		freq[w]++
	}
	counts := make([]count, 0, len(freq))
	for w, n := range freq {
		counts = append(counts, count{w, n})
	}
	sort.Slice(counts, func(i, j int) bool {
		if counts[i].Count != counts[j].Count {
			return counts[i].Count > counts[j].Count
		}
		return counts[i].Word < counts[j].Word
	})
	if len(counts) > top {
		counts = counts[:top]
	}
	lines := strings.Count(text, "\n")
	if text != "" && !strings.HasSuffix(text, "\n") {
		lines++
	}
	o := output{Words: len(words), Lines: lines, Chars: len([]rune(text)), Top: counts}
	o.Text = fmt.Sprintf("%d words, %d lines, %d characters", o.Words, o.Lines, o.Chars)
	return o
}

// fail reports on stderr and exits non-zero: the host turns that into a
// tool error.
func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "textstats: "+format+"\n", args...)
	os.Exit(1)
}
