package text

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func mustAnalyzer(t testing.TB, o Options) *Analyzer {
	t.Helper()
	a, err := NewAnalyzer(o)
	if err != nil {
		t.Fatalf("NewAnalyzer(%+v): %v", o, err)
	}
	return a
}

func TestNewAnalyzerOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{name: "zero value", opts: Options{}},
		{name: "explicit defaults", opts: Options{Stemming: "english", CJK: "bigram"}},
		{name: "no stemming", opts: Options{Stemming: "none"}},
		{name: "gse", opts: Options{CJK: "gse"}, wantErr: gseWantErr},
		{name: "unknown stemming", opts: Options{Stemming: "porter"}, wantErr: `unknown stemming "porter"`},
		{name: "unknown cjk", opts: Options{CJK: "unigram"}, wantErr: `unknown CJK mode "unigram"`},
		{name: "stemming is case sensitive", opts: Options{Stemming: "English"}, wantErr: "unknown stemming"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := NewAnalyzer(tt.opts)
			if tt.wantErr == "" {
				if err != nil || a == nil {
					t.Fatalf("NewAnalyzer() = %v, %v; want an analyzer", a, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewAnalyzer() error = %v; want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestTerms(t *testing.T) {
	english := Options{}
	plain := Options{Stemming: "none", StopWords: []string{}}
	tests := []struct {
		name string
		opts Options
		in   string
		want []string
	}{
		{name: "empty", opts: english, in: "", want: nil},
		{name: "only punctuation and space", opts: english, in: " ,.;:!? -- \t\n", want: nil},
		{name: "stemming", opts: english, in: "running studies runners generously", want: []string{"run", "studi", "runner", "generous"}},
		{name: "stop words removed before stemming", opts: english, in: "The cat is on the mat and it was being fed", want: []string{"cat", "mat", "fed"}},
		{name: "case folding", opts: plain, in: "HELLO Hello hello", want: []string{"hello", "hello", "hello"}},
		{name: "unicode case folding", opts: plain, in: "ΣΟΦΟΣ σοφος σοφοσ Straße STRASSE", want: []string{"σοφοσ", "σοφοσ", "σοφοσ", "strasse", "strasse"}},
		{name: "full-width forms", opts: plain, in: "ＡＢＣ１２３ ｈｅｌｌｏ", want: []string{"abc", "123", "abc123", "hello"}},
		{name: "ligatures and superscripts", opts: plain, in: "ﬁle x² ½", want: []string{"file", "x", "2", "x2", "1", "2"}},
		{name: "combining accent composes", opts: plain, in: "cafe\u0301 café", want: []string{"café", "café"}},
		{name: "numbers kept", opts: english, in: "In 2023 the rate was 95%", want: []string{"2023", "rate", "95"}},
		{name: "decimal splits", opts: plain, in: "3.5 1,000", want: []string{"3", "5", "1", "000"}},
		{name: "hyphen splits", opts: plain, in: "e-mail state-of-the-art", want: []string{"e", "mail", "state", "of", "the", "art"}},
		{name: "contraction joins", opts: plain, in: "don't O’Neill rock'n'roll", want: []string{"dont", "oneill", "rocknroll"}},
		{name: "possessive dropped", opts: plain, in: "John's Mary’s cats' it's", want: []string{"john", "mary", "cats", "it"}},
		{name: "stray apostrophes", opts: plain, in: "'quoted' 90's rock' ' x", want: []string{"quoted", "90", "s", "rock", "x"}},
		{name: "contraction is a stop word", opts: english, in: "I don't know", want: []string{"know"}},
		{name: "codes split at letter-digit boundaries", opts: english, in: "covid19 GPT-4 h2o 1990s", want: []string{"covid", "19", "covid19", "gpt", "4", "h", "2", "o", "h2o", "1990", "s", "1990s"}},
		{name: "underscore separates", opts: plain, in: "snake_case", want: []string{"snake", "case"}},
		{name: "chinese bigrams", opts: english, in: "准确率", want: []string{"准确", "确率"}},
		{name: "single cjk character is a unigram", opts: english, in: "是", want: []string{"是"}},
		{name: "chinese punctuation never forms terms", opts: english, in: "你好，世界。「测试」！", want: []string{"你好", "世界", "测试"}},
		{name: "mixed chinese and latin", opts: english, in: "GPT-4模型的准确率是95%", want: []string{"gpt", "4", "模型", "型的", "的准", "准确", "确率", "率是", "95"}},
		{name: "japanese with prolonged sound mark", opts: english, in: "コーヒー", want: []string{"コー", "ーヒ", "ヒー"}},
		{name: "half-width katakana", opts: english, in: "ｺｰﾋｰ", want: []string{"コー", "ーヒ", "ヒー"}},
		{name: "half-width voicing mark stays with its letter", opts: english, in: "ｶﾞｽ", want: []string{"ガス"}},
		{name: "korean", opts: english, in: "한국어 텍스트", want: []string{"한국", "국어", "텍스", "스트"}},
		{name: "full-width ascii between chinese", opts: english, in: "使用ＡＰＩ接口", want: []string{"使用", "api", "接口"}},
		{name: "ideographic space separates", opts: english, in: "中文\u3000文本", want: []string{"中文", "文本"}},
		{name: "cyrillic not stemmed", opts: english, in: "Привет мир", want: []string{"привет", "мир"}},
		{name: "latin with diacritics stemmed", opts: english, in: "naïve cafés", want: []string{"naïv", "café"}},
		{name: "invalid utf-8 separates", opts: plain, in: "ab\xffcd", want: []string{"ab", "cd"}},
		{name: "emoji separates", opts: plain, in: "good👍job", want: []string{"good", "job"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustAnalyzer(t, tt.opts)
			got := a.Terms(tt.in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Terms(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTokensSpans(t *testing.T) {
	a := mustAnalyzer(t, Options{})
	tests := []struct {
		name string
		in   string
		want []Token
	}{
		{
			name: "spans cover the source word",
			in:   "Running, John's dogs",
			want: []Token{{"run", 0, 7}, {"john", 9, 15}, {"dog", 16, 20}},
		},
		{
			name: "bigram spans cover two characters",
			in:   "GPT模型好",
			want: []Token{{"gpt", 0, 3}, {"模型", 3, 9}, {"型好", 6, 12}},
		},
		{
			name: "full-width span is in source bytes",
			in:   "ＡＢ c",
			want: []Token{{"ab", 0, 6}, {"c", 7, 8}},
		},
		{
			name: "normalisation that splits shares the span",
			in:   "½",
			want: []Token{{"1", 0, 2}, {"2", 0, 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := a.Tokens(tt.in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Tokens(%q) = %v; want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestStopWordOptions(t *testing.T) {
	tests := []struct {
		name string
		stop []string
		in   string
		want []string
	}{
		{name: "nil uses the default list", stop: nil, in: "the cat and the hat", want: []string{"cat", "hat"}},
		{name: "empty list keeps everything", stop: []string{}, in: "the cat", want: []string{"the", "cat"}},
		{name: "custom list is normalised", stop: []string{"CAT", "Ｈat"}, in: "the cat hat", want: []string{"the"}},
		{name: "entries with apostrophes", stop: []string{"don't"}, in: "don't dont stop", want: []string{"stop"}},
		{name: "stop words are matched before stemming", stop: []string{"run"}, in: "run running", want: []string{"run"}},
		{name: "cjk stop words", stop: []string{"模型"}, in: "模型 准确", want: []string{"准确"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustAnalyzer(t, Options{StopWords: tt.stop})
			if got := a.Terms(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Terms(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDefaultStopWordsAreNormalised(t *testing.T) {
	plain := mustAnalyzer(t, Options{Stemming: "none", StopWords: []string{}})
	seen := map[string]bool{}
	for _, w := range DefaultStopWords {
		t.Run(w, func(t *testing.T) {
			if got := plain.Terms(w); !slices.Equal(got, []string{w}) {
				t.Errorf("Terms(%q) = %q; want the entry unchanged", w, got)
			}
			if seen[w] {
				t.Errorf("%q listed twice", w)
			}
			seen[w] = true
		})
	}
	if n := len(DefaultStopWords); n < 100 || n > 200 {
		t.Errorf("len(DefaultStopWords) = %d; want a standard-size list", n)
	}
}

func TestVersion(t *testing.T) {
	base := mustAnalyzer(t, Options{}).Version()
	tests := []struct {
		name string
		opts Options
		same bool
	}{
		{name: "explicit defaults", opts: Options{Stemming: "english", CJK: "bigram", StopWords: DefaultStopWords}, same: true},
		{name: "same stop words in another order and case", opts: Options{StopWords: reversedUpper(DefaultStopWords)}, same: true},
		{name: "no stemming", opts: Options{Stemming: "none"}},
		{name: "no stop words", opts: Options{StopWords: []string{}}},
		{name: "other stop words", opts: Options{StopWords: []string{"the"}}},
	}
	if !strings.HasPrefix(base, "text/2;stem=english;stop=") || !strings.Contains(base, ";cjk=bigram") {
		t.Fatalf("Version() = %q; want text/2;stem=english;stop=…;cjk=bigram…", base)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustAnalyzer(t, tt.opts).Version()
			if (got == base) != tt.same {
				t.Errorf("Version() = %q, default %q; want same=%v", got, base, tt.same)
			}
		})
	}
}

func reversedUpper(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[len(words)-1-i] = strings.ToUpper(w)
	}
	return out
}

func TestTermsMatchTokens(t *testing.T) {
	a := mustAnalyzer(t, Options{})
	for _, in := range []string{
		"The quick brown fox's e-mail, 3.5 ＡＢＣ",
		"GPT-4模型的准确率是95%。コーヒー한국어",
	} {
		t.Run(in, func(t *testing.T) {
			var fromTokens []string
			for _, tok := range a.Tokens(in) {
				fromTokens = append(fromTokens, tok.Term)
			}
			if got := a.Terms(in); !slices.Equal(got, fromTokens) {
				t.Errorf("Terms() = %q; Tokens() terms = %q", got, fromTokens)
			}
		})
	}
}

func TestAnalyzerConcurrentUse(t *testing.T) {
	a := mustAnalyzer(t, Options{})
	in := strings.Repeat("Researchers studied the running dogs' behaviour; 研究人员观察了狗。 ", 20)
	want := a.Terms(in)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if got := a.Terms(in); !slices.Equal(got, want) {
					errs[g] = fmt.Errorf("goroutine %d got %q", g, got)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
