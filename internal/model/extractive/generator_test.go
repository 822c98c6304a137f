package extractive

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/text"
)

func analyzer(t testing.TB) *text.Analyzer {
	t.Helper()
	a, err := text.NewAnalyzer(text.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// hit makes a retrieved chunk starting at character offset start.
func hit(doc, src, body string, start int, score float64, headings ...string) schema.Hit {
	return schema.Hit{
		Chunk:  schema.Chunk{ID: doc + "#0", DocumentID: doc, Text: body, Start: start, End: start + utf8.RuneCountInString(body), Headings: headings},
		Score:  score,
		Source: src,
	}
}

// stats computes document frequencies over the hits' chunks, as the index
// would over the whole corpus.
func stats(a *text.Analyzer, hits []schema.Hit, extra int) Stats {
	st := Stats{DocFreq: map[string]int{}, Total: len(hits) + extra}
	for _, h := range hits {
		seen := map[string]bool{}
		for _, t := range a.Terms(h.Chunk.Text) {
			if !seen[t] {
				seen[t] = true
				st.DocFreq[t]++
			}
		}
	}
	return st
}

var marker = regexp.MustCompile(` ?\[\d+\]`)

func TestGenerate(t *testing.T) {
	a := analyzer(t)
	vacation := hit("d1", "leave.md", "Annual leave\n\nNew employees receive 20 days of paid vacation per calendar year. Unused days expire in March.", 100, 9, "Annual leave")
	parking := hit("d2", "parking.txt", "Parking is free on level two. Visitors pay five dollars.", 0, 3)
	remote := hit("d3", "远程办公.md", "远程办公需要经理批准。员工每周最多可远程办公三天！其他时间在办公室工作。", 40, 8)
	faq := hit("d4", "faq.txt", "How often are laptops replaced? Standard laptops are replaced every three years.", 0, 5)
	dup := hit("d5", "copy.txt", "New employees receive 20 days of paid vacation per calendar year.", 0, 8.5)
	cases := []struct {
		name     string
		question string
		hits     []schema.Hit
		want     []string // cited sentences, in answer order
		noAnswer bool
	}{
		{name: "english sentence", question: "How many vacation days do new employees get?", hits: []schema.Hit{vacation, parking},
			want: []string{"New employees receive 20 days of paid vacation per calendar year."}},
		{name: "chinese boundaries", question: "每周最多可以远程办公几天？", hits: []schema.Hit{remote, parking},
			want: []string{"员工每周最多可远程办公三天！"}},
		{name: "question sentence skipped", question: "How often are laptops replaced?", hits: []schema.Hit{faq},
			want: []string{"Standard laptops are replaced every three years."}},
		{name: "redundant copy dropped", question: "How many vacation days do new employees get?", hits: []schema.Hit{vacation, dup, parking},
			want: []string{"New employees receive 20 days of paid vacation per calendar year."}},
		{name: "unrelated question", question: "What is the share price of the company stock?", hits: []schema.Hit{vacation, parking}, noAnswer: true},
		{name: "chinese unrelated", question: "公司去年的营业收入是多少？", hits: []schema.Hit{remote}, noAnswer: true},
		{name: "no hits", question: "vacation", hits: nil, noAnswer: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := New(a, Options{MaxSentences: 3, MinScore: 0.4})
			ans := g.Generate(c.question, c.hits, stats(a, c.hits, 20))
			if ans.NoAnswer != c.noAnswer {
				t.Fatalf("no_answer %v, want %v: %q", ans.NoAnswer, c.noAnswer, ans.Text)
			}
			if c.noAnswer {
				if len(ans.Citations) != 0 || ans.Text != NoAnswerText(text.DetectLanguage(c.question)) {
					t.Fatalf("no-answer output %q with %d citations", ans.Text, len(ans.Citations))
				}
				return
			}
			var got []string
			for _, cit := range ans.Citations {
				got = append(got, cit.Text)
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Fatalf("cited %q, want %q (answer %q)", got, c.want, ans.Text)
			}
			checkFaithful(t, ans, c.hits)
		})
	}
}

// checkFaithful asserts the answer is nothing but the cited sentences and
// markers, and each citation's offsets select its text in its chunk.
func checkFaithful(t *testing.T, ans Answer, hits []schema.Hit) {
	t.Helper()
	stripped := marker.ReplaceAllString(ans.Text, "")
	var joined strings.Builder
	for i, c := range ans.Citations {
		if c.Index != i+1 {
			t.Errorf("citation %d has index %d", i, c.Index)
		}
		if !strings.Contains(ans.Text, c.Text+" ["+string(rune('0'+c.Index))+"]") {
			t.Errorf("sentence %q not followed by its marker in %q", c.Text, ans.Text)
		}
		found := false
		for _, h := range hits {
			if h.Chunk.DocumentID != c.DocumentID {
				continue
			}
			r := []rune(h.Chunk.Text)
			s, e := c.Start-h.Chunk.Start, c.End-h.Chunk.Start
			if s >= 0 && e <= len(r) && string(r[s:e]) == c.Text {
				found = true
			}
		}
		if !found {
			t.Errorf("citation [%d] offsets [%d,%d) do not select %q", c.Index, c.Start, c.End, c.Text)
		}
		if i > 0 && !strings.HasSuffix(ans.Citations[i-1].Text, "！") && !strings.HasSuffix(ans.Citations[i-1].Text, "。") {
			joined.WriteByte(' ')
		}
		joined.WriteString(c.Text)
	}
	if stripped != joined.String() {
		t.Errorf("answer has text of its own:\n got %q\nwant %q", stripped, joined.String())
	}
}

func TestSourceOrderAndOffsets(t *testing.T) {
	a := analyzer(t)
	body := "The badge office opens at eight. The badge office closes at five. Lost badges cost twenty dollars to replace."
	h := hit("d1", "badges.txt", body, 1000, 5)
	g := New(a, Options{MaxSentences: 3, MinScore: 0.3})
	ans := g.Generate("When does the badge office open and close?", []schema.Hit{h}, stats(a, []schema.Hit{h}, 50))
	if len(ans.Citations) != 2 {
		t.Fatalf("want 2 sentences, got %+v", ans.Citations)
	}
	if ans.Citations[0].Start >= ans.Citations[1].Start {
		t.Errorf("not in source order: %+v", ans.Citations)
	}
	if ans.Citations[0].Start != 1000 {
		t.Errorf("first sentence starts at %d, want 1000", ans.Citations[0].Start)
	}
	checkFaithful(t, ans, []schema.Hit{h})
}

func FuzzGenerate(f *testing.F) {
	f.Add("How many days?", "New employees receive 20 days. Unused days expire.")
	f.Add("几天？", "员工每周最多可远程办公三天。其他时间在办公室。")
	a := analyzer(f)
	g := New(a, Options{MaxSentences: 3, MinScore: 0.2})
	f.Fuzz(func(t *testing.T, q, body string) {
		if !utf8.ValidString(body) {
			return
		}
		h := hit("d", "f.txt", body, 7, 1)
		ans := g.Generate(q, []schema.Hit{h}, stats(a, []schema.Hit{h}, 3))
		r := []rune(body)
		for _, c := range ans.Citations {
			s, e := c.Start-7, c.End-7
			if s < 0 || e > len(r) || s > e || string(r[s:e]) != c.Text {
				t.Fatalf("citation [%d,%d) %q not in body %q", c.Start, c.End, c.Text, body)
			}
			if !strings.Contains(ans.Text, c.Text) {
				t.Fatalf("cited text missing from answer")
			}
		}
		if ans.NoAnswer != (len(ans.Citations) == 0) {
			t.Fatalf("no_answer %v with %d citations", ans.NoAnswer, len(ans.Citations))
		}
	})
}

func BenchmarkGenerate(b *testing.B) {
	a := analyzer(b)
	var hits []schema.Hit
	para := "Vitamin D deficiency is associated with an increased risk of fractures in older adults. " +
		"Randomised trials of supplementation show mixed effects on bone density. " +
		"The effect depends on baseline levels, dose and adherence over the follow-up period. "
	for i := range 8 {
		hits = append(hits, hit("d"+string(rune('a'+i)), "x.txt", strings.Repeat(para, 4), 0, float64(10-i)))
	}
	st := stats(a, hits, 5000)
	g := New(a, Options{MaxSentences: 3, MinScore: 0.4})
	b.ReportAllocs()
	for b.Loop() {
		g.Generate("Does vitamin D supplementation reduce fractures in older adults?", hits, st)
	}
}
