package text

import "testing"

func TestCountTokens(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{name: "empty", in: "", want: 0},
		{name: "white space is free", in: " \t\n\u3000", want: 0},
		{name: "one short word", in: "hello", want: 2},
		{name: "ten short words", in: "the cat sat on the mat and it was fine", want: 11},
		{name: "long word costs more", in: "internationalization", want: 5},
		{name: "punctuation run", in: "...", want: 1},
		{name: "long punctuation run", in: "----------", want: 3},
		{name: "digits in groups of three", in: "1234567", want: 3},
		{name: "sentence", in: "The model reached 95% accuracy.", want: 8},
		{name: "cjk character each", in: "准确率是", want: 4},
		{name: "chinese punctuation", in: "你好，世界。", want: 6},
		{name: "mixed", in: "GPT-4模型的准确率是95%", want: 13},
		{name: "non-ascii word", in: "naïve", want: 2},
		{name: "emoji", in: "👍", want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CountTokens(tt.in); got != tt.want {
				t.Errorf("CountTokens(%q) = %d; want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestCountTokensSumsOverSentences(t *testing.T) {
	s := "Large language models are trained on text. They predict the next token! " +
		"研究人员开发了一种新的算法。它很快。 Results: 95% of 1,000 cases (p < 0.05)."
	sum := 0
	for _, sp := range Sentences(s) {
		sum += CountTokens(s[sp.Start:sp.End])
	}
	if whole := CountTokens(s); whole > sum {
		t.Errorf("CountTokens(whole) = %d > sum over sentences %d", whole, sum)
	}
}
