//go:build gse

package text

import (
	"slices"
	"strings"
	"testing"
)

const gseWantErr = ""

func TestGSEVersion(t *testing.T) {
	base := mustAnalyzer(t, Options{}).Version()
	if got := mustAnalyzer(t, Options{CJK: "gse"}).Version(); got == base {
		t.Errorf("gse and bigram analyzers share version %q", got)
	}
}

func TestGSE(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the gse dictionary (about 2 s, 130 MB)")
	}
	a := mustAnalyzer(t, Options{CJK: "gse"})
	if zhSegmenter() == nil {
		t.Fatal("the embedded gse dictionary did not load")
	}
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{name: "dictionary words", in: "中华人民共和国成立了", want: []string{"中华人民共和国", "成立", "了"}},
		{name: "mixed text", in: "GPT-4模型的准确率", want: []string{"gpt", "4", "模型", "的", "准确率"}},
		{name: "kana runs fall back to bigrams", in: "コーヒー", want: []string{"コー", "ーヒ", "ヒー"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := a.Terms(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Terms(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
	t.Run("segments tile the run", func(t *testing.T) {
		in := "据报道，北京大学的研究人员开发了一种新的机器学习算法。"
		var b strings.Builder
		prev := 0
		for _, tok := range a.Tokens(in) {
			if tok.Start < prev {
				t.Fatalf("token %v overlaps the previous one", tok)
			}
			prev = tok.End
			b.WriteString(tok.Term)
		}
		want := strings.NewReplacer("，", "", "。", "").Replace(in)
		if b.String() != want {
			t.Errorf("terms joined = %q; want %q", b.String(), want)
		}
	})
}
