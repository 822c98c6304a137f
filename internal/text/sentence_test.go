package text

import (
	"slices"
	"testing"
)

// sentenceTexts returns the text of each span.
func sentenceTexts(s string) []string {
	var out []string
	for _, sp := range Sentences(s) {
		out = append(out, s[sp.Start:sp.End])
	}
	return out
}

func TestSentences(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{name: "empty", in: "", want: nil},
		{name: "only white space", in: " \n\t\u3000 ", want: nil},
		{name: "one sentence without punctuation", in: "  no punctuation here  ", want: []string{"no punctuation here"}},
		{name: "basic", in: "One. Two! Three? Four", want: []string{"One.", "Two!", "Three?", "Four"}},
		{name: "lower case does not start a sentence", in: "He said wait. then left.", want: []string{"He said wait. then left."}},
		{name: "digit starts a sentence", in: "It ended in 2019. 2020 was different.", want: []string{"It ended in 2019.", "2020 was different."}},
		{name: "decimal", in: "The value is 3.5 today. Next.", want: []string{"The value is 3.5 today.", "Next."}},
		{name: "no space after period", in: "See example.com.Then stop.", want: []string{"See example.com.Then stop."}},
		{name: "titles", in: "Mr. Smith met Dr. Jones. They talked.", want: []string{"Mr. Smith met Dr. Jones.", "They talked."}},
		{name: "latin abbreviations", in: "Use tools, e.g. Hammers, i.e. Heavy ones. Done.", want: []string{"Use tools, e.g. Hammers, i.e. Heavy ones.", "Done."}},
		{name: "etc and vs", in: "Apples, pears etc. Are fruit. A vs. B is next.", want: []string{"Apples, pears etc. Are fruit.", "A vs. B is next."}},
		{name: "figures and et al", in: "See Fig. 3 in Smith et al. (2019). It agrees.", want: []string{"See Fig. 3 in Smith et al. (2019).", "It agrees."}},
		{name: "dotted acronym", in: "He moved to the U.S. Army base. Then home.", want: []string{"He moved to the U.S. Army base.", "Then home."}},
		{name: "initials", in: "J. K. Rowling wrote it. Fine.", want: []string{"J. K. Rowling wrote it.", "Fine."}},
		{name: "No. before a number", in: "Item No. 5 is here. The answer is no. Then go.", want: []string{"Item No. 5 is here.", "The answer is no.", "Then go."}},
		{name: "closing quote stays", in: `He said "stop." Then he left.`, want: []string{`He said "stop."`, "Then he left."}},
		{name: "closing bracket stays", in: "(This is aside.) Main text.", want: []string{"(This is aside.)", "Main text."}},
		{name: "opening quote starts", in: `It ended. "Really?" she asked.`, want: []string{"It ended.", `"Really?" she asked.`}},
		{name: "ellipsis", in: "Wait... Go on… Now.", want: []string{"Wait...", "Go on…", "Now."}},
		{name: "repeated terminators", in: "What?! No way!!! Yes.", want: []string{"What?!", "No way!!!", "Yes."}},
		{name: "chinese", in: "今天天气很好。我们去公园吧！你去吗？", want: []string{"今天天气很好。", "我们去公园吧！", "你去吗？"}},
		{name: "chinese semicolon", in: "第一点；第二点。", want: []string{"第一点；", "第二点。"}},
		{name: "chinese closing quote", in: "他说：“今天很好。”然后走了。", want: []string{"他说：“今天很好。”", "然后走了。"}},
		{name: "japanese brackets", in: "「はい。」と言った。", want: []string{"「はい。」", "と言った。"}},
		{name: "ascii marks after cjk", in: "真的吗?好的!GPT-4模型的准确率是95%!很高", want: []string{"真的吗?", "好的!", "GPT-4模型的准确率是95%!", "很高"}},
		{name: "chinese ellipsis", in: "是的……好吧。", want: []string{"是的……", "好吧。"}},
		{name: "period inside chinese number", in: "增长了3.5倍。", want: []string{"增长了3.5倍。"}},
		{name: "blank line ends a sentence", in: "Title line\n\nBody text here", want: []string{"Title line", "Body text here"}},
		{name: "blank line with spaces and CRLF", in: "First\r\n  \r\nSecond", want: []string{"First", "Second"}},
		{name: "single newline does not", in: "a wrapped\nline of text", want: []string{"a wrapped\nline of text"}},
		{name: "list items", in: "Steps:\n- one\n* two\n• three\n1. four\n2) five", want: []string{"Steps:", "- one", "* two", "• three", "1. four", "2) five"}},
		{name: "dash without space is not a bullet", in: "The range\n-5 to 5", want: []string{"The range\n-5 to 5"}},
		{name: "trailing white space trimmed", in: "  Hi there.   Bye.  \n", want: []string{"Hi there.", "Bye."}},
		{name: "non-breaking and ideographic spaces", in: "\u00a0One.\u3000Two.\u00a0", want: []string{"One.", "Two."}},
		{name: "invalid utf-8", in: "ab\xff. Cd\xe4", want: []string{"ab\xff.", "Cd\xe4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sentenceTexts(tt.in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Sentences(%q) = %q; want %q", tt.in, got, tt.want)
			}
			checkSpans(t, tt.in, Sentences(tt.in))
		})
	}
}
