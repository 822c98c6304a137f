package text

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// runeStarts returns the offsets at which decoding s rune by rune starts
// a rune, plus len(s): the only offsets a span may use.
func runeStarts(s string) map[int]bool {
	starts := make(map[int]bool, len(s)+1)
	for i := range s {
		starts[i] = true
	}
	starts[len(s)] = true
	return starts
}

// checkSpans fails t unless spans are valid sentence spans of s: in range,
// on rune boundaries, ordered, non-overlapping, non-empty, trimmed, and
// together covering every character of s that is not white space.
func checkSpans(t *testing.T, s string, spans []Span) {
	t.Helper()
	starts := runeStarts(s)
	prev := 0
	for i, sp := range spans {
		if sp.Start < prev || sp.End <= sp.Start || sp.End > len(s) {
			t.Fatalf("span %d %v out of order or empty (previous end %d, len %d)", i, sp, prev, len(s))
		}
		if !starts[sp.Start] || !starts[sp.End] {
			t.Fatalf("span %d %v not on rune boundaries in %q", i, sp, s)
		}
		first, _ := utf8.DecodeRuneInString(s[sp.Start:sp.End])
		last, _ := utf8.DecodeLastRuneInString(s[sp.Start:sp.End])
		if unicode.IsSpace(first) || unicode.IsSpace(last) {
			t.Fatalf("span %d %q not trimmed", i, s[sp.Start:sp.End])
		}
		if gap := s[prev:sp.Start]; strings.TrimSpace(gap) != "" {
			t.Fatalf("text %q before span %d belongs to no sentence", gap, i)
		}
		prev = sp.End
	}
	if gap := s[prev:]; strings.TrimSpace(gap) != "" {
		t.Fatalf("trailing text %q belongs to no sentence", gap)
	}
}

// fuzzSeeds are inputs that exercise the interesting paths of the
// analyzer and the sentence splitter.
var fuzzSeeds = []string{
	"",
	"The runners' don't e-mail 3.5 GPT-4. Dr. Smith went home! Really?",
	"GPT-4模型的准确率是95%。他说：“好。”然后走了！",
	"ＡＢＣ１２３ Straße ﬁle ½ x² cafe\u0301",
	"コーヒーを飲みます。ｶﾞｽ 한국어 텍스트",
	"List:\n- one\n2) two\n\n\r\nEnd… of it...",
	"\xff\xfe invalid \xe4\xb8 bytes. Next",
	"\u0301\u0301 marks first 〇〇 々 ー ﾞ",
	"U.S. e.g. No. 5 J. K. et al. (2019) etc. vs. Fig. 2",
}

func FuzzAnalyzer(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	analyzers := []*Analyzer{
		mustAnalyzer(f, Options{}),
		mustAnalyzer(f, Options{Stemming: "none", StopWords: []string{}}),
	}
	plain := analyzers[1]
	if gseAvailable {
		analyzers = append(analyzers, mustAnalyzer(f, Options{CJK: "gse"}))
		// Load the gse dictionary now: loading it inside the first input
		// would count against the fuzzer's time limit for one input.
		analyzers[2].Terms("中文")
	}
	f.Fuzz(func(t *testing.T, s string) {
		starts := runeStarts(s)
		for _, a := range analyzers {
			toks := a.Tokens(s)
			terms := a.Terms(s)
			if len(terms) != len(toks) {
				t.Fatalf("%s: %d terms but %d tokens", a.Version(), len(terms), len(toks))
			}
			prevStart := 0
			for i, tok := range toks {
				if tok.Start < prevStart || tok.End <= tok.Start || tok.End > len(s) {
					t.Fatalf("token %d %+v out of range or order (len %d)", i, tok, len(s))
				}
				if !starts[tok.Start] || !starts[tok.End] {
					t.Fatalf("token %d %+v not on rune boundaries", i, tok)
				}
				prevStart = tok.Start
				if tok.Term == "" || terms[i] != tok.Term {
					t.Fatalf("token %d term %q, Terms()[%d] = %q", i, tok.Term, i, terms[i])
				}
				if !utf8.ValidString(tok.Term) {
					t.Fatalf("term %q is not valid UTF-8", tok.Term)
				}
				hasCJK := false
				for _, r := range tok.Term {
					if !isTermRune(r) {
						t.Fatalf("term %q contains %q", tok.Term, r)
					}
					hasCJK = hasCJK || isCJK(r)
				}
				// A normalised term analyses to itself (a code of letters
				// and digits to its parts and itself), so writing it into
				// an index and reading it back never changes it.
				if a == plain && !hasCJK {
					if again := plain.Terms(tok.Term); len(again) == 0 || again[len(again)-1] != tok.Term {
						t.Fatalf("term %q re-analyses to %q", tok.Term, again)
					}
				}
			}
		}
	})
}

func FuzzSentences(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkSpans(t, s, Sentences(s))
	})
}

func FuzzCountTokens(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		na, nb := CountTokens(a), CountTokens(b)
		if na < 0 || nb < 0 {
			t.Fatalf("negative count %d %d", na, nb)
		}
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			// Joining invalid UTF-8 can complete a character across the
			// seam ("\xe2\x80" + "\x81" is an em quad), so the laws
			// below hold for valid text only.
			return
		}
		if n := CountTokens(a + b); n < na {
			t.Fatalf("CountTokens(a+b) = %d < CountTokens(a) = %d", n, na)
		}
		if n := CountTokens(a + " " + b); n > na+nb {
			t.Fatalf("CountTokens(a+\" \"+b) = %d > %d + %d", n, na, nb)
		}
		if strings.TrimSpace(a) != "" && na == 0 && strings.IndexFunc(a, unicode.IsControl) < 0 {
			t.Fatalf("CountTokens(%q) = 0", a)
		}
	})
}
