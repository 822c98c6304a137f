package eval

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The fuzz targets feed arbitrary bytes to the dataset parsers and answer
// metrics: they must return an error or a result, never panic, and the
// results must keep their documented invariants.

func FuzzParseSMART(f *testing.F) {
	for _, name := range []string{"testdata/cranfield/cran.all.1400", "testdata/cranfield/cran.qry"} {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(".I 1\n.W\n.W\n.I\n"))
	f.Add([]byte("x\n.I 2\r\ny"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parseSMART(bytes.NewReader(data), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz:") {
				t.Errorf("error %q does not name the input", err)
			}
			return
		}
		for _, r := range recs {
			if r.id == "" || r.line < 1 {
				t.Errorf("record %+v has no id or line", r)
			}
		}
	})
}

func FuzzParseCranQrels(f *testing.F) {
	if data, err := os.ReadFile("testdata/cranfield/cranqrel"); err == nil {
		f.Add(data, 3)
	}
	f.Add([]byte("1 2 -1\n\n2 x 4"), 2)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		qrels, err := parseCranQrels(bytes.NewReader(data), "fuzz", n)
		if err != nil {
			return
		}
		for q, rel := range qrels {
			if q < 1 || q > n {
				t.Errorf("query number %d outside 1..%d", q, n)
			}
			for _, g := range rel {
				if g < 1 || g > 4 {
					t.Errorf("grade %d outside 1..4", g)
				}
			}
		}
	})
}

func FuzzParseBEIR(f *testing.F) {
	f.Add([]byte(`{"_id":"d1","title":"t","text":"x","metadata":{"a":1}}`+"\n"+`{"_id":2}`), []byte("query-id\tcorpus-id\tscore\nd1\td1\t1\n2 d1 0"))
	f.Add([]byte(`{"_id":null}`), []byte("x\ty\tz"))
	f.Fuzz(func(t *testing.T, corpus, qrels []byte) {
		docs, err := parseBEIRCorpus(bytes.NewReader(corpus), "corpus.jsonl")
		if err != nil {
			return
		}
		// Reuse the corpus records as queries so qrels can refer to them.
		queries := make([]Query, len(docs))
		for i, d := range docs {
			if d.Key == "" {
				t.Errorf("document with empty key")
			}
			queries[i] = Query{ID: d.Key}
		}
		rels, err := parseBEIRQrels(bytes.NewReader(qrels), "test.tsv", queries)
		if err != nil {
			return
		}
		for _, rel := range rels {
			for _, g := range rel {
				if g <= 0 {
					t.Errorf("non-positive grade %d kept", g)
				}
			}
		}
	})
}

func FuzzParseCMRC(f *testing.F) {
	for _, name := range []string{"testdata/cmrc/a.json", "testdata/cmrc/b.json"} {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`[{"context_id":"x","qas":[{"query_id":"q","answers":[1e3,{"text":""}]}]},]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, queries, err := parseCMRC(data, "fuzz.json", map[string]bool{})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json:") {
				t.Errorf("error %q does not name the input", err)
			}
			return
		}
		keys := map[string]bool{}
		for _, d := range docs {
			keys[d.Key] = true
		}
		for _, q := range queries {
			if len(q.Relevant) != 1 {
				t.Errorf("query %q relevant to %d passages", q.ID, len(q.Relevant))
			}
			for k := range q.Relevant {
				if !keys[k] {
					t.Errorf("query %q relevant to unknown passage %q", q.ID, k)
				}
			}
		}
	})
}

func FuzzAnswerMetrics(f *testing.F) {
	f.Add("The cat sat", "a cat")
	f.Add("北京大学", "北京")
	f.Add("２００８年", "2008 年。")
	f.Add("", "\x00\xff")
	f.Fuzz(func(t *testing.T, pred, ref string) {
		em, f1 := ExactMatch(pred, []string{ref}), F1(pred, []string{ref})
		if em != 0 && em != 1 {
			t.Errorf("ExactMatch = %v", em)
		}
		if f1 < 0 || f1 > 1 {
			t.Errorf("F1 = %v outside [0, 1]", f1)
		}
		if em == 1 && f1 != 1 {
			t.Errorf("exact match but F1 = %v", f1)
		}
		if F1(ref, []string{pred}) != f1 {
			t.Errorf("F1 is not symmetric")
		}
		_ = NormalizeAnswer(pred)
	})
}
