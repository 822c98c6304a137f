package eval

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestOpenBEIR(t *testing.T) {
	ds, err := Open("beir:testdata/beir/tiny")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Name != "beir:tiny:test" {
		t.Errorf("Name = %q, want beir:tiny:test", ds.Name)
	}
	var keys []string
	for _, d := range ds.Corpus {
		keys = append(keys, d.Key)
		if d.Source != "corpus.jsonl.gz" || d.Type != "text" || d.Blocks != nil {
			t.Errorf("doc %q: Source %q Type %q Blocks %v", d.Key, d.Source, d.Type, d.Blocks)
		}
		checkHash(t, d.Key, d.Title, d.Text, d.Hash)
	}
	if want := []string{"d1", "42", "d3"}; !reflect.DeepEqual(keys, want) {
		t.Fatalf("corpus keys = %q, want %q", keys, want)
	}
	d1 := ds.Corpus[0]
	if d1.Title != "Aspirin and headaches" || d1.Text != "Aspirin relieves tension headaches in adults." {
		t.Errorf("d1 = %q / %q", d1.Title, d1.Text)
	}
	if want := map[string]string{"url": "https://example.org/d1", "year": "2001"}; !reflect.DeepEqual(d1.Metadata, want) {
		t.Errorf("d1 metadata = %v, want %v", d1.Metadata, want)
	}
	if ds.Corpus[1].Metadata != nil {
		t.Errorf("empty metadata should stay nil, got %v", ds.Corpus[1].Metadata)
	}
	if d3 := ds.Corpus[2]; d3.Title != "" || d3.Text != "A record without a title.\nIt has two lines." {
		t.Errorf("d3 = %q / %q", d3.Title, d3.Text)
	}
	want := []Query{
		{ID: "q1", Text: "Does aspirin help headaches?", Relevant: map[string]int{"d1": 2, "42": 1}},
		{ID: "q3", Text: "Two-line records?", Relevant: map[string]int{"d3": 1, "missing-doc": 1}},
	}
	if !reflect.DeepEqual(ds.Queries, want) {
		t.Errorf("queries = %+v, want %+v", ds.Queries, want)
	}
}

func TestOpenBEIRSplit(t *testing.T) {
	ds, err := Open("beir:testdata/beir/tiny:dev")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Name != "beir:tiny:dev" || len(ds.Queries) != 1 || ds.Queries[0].ID != "q2" {
		t.Errorf("got %q with queries %+v, want beir:tiny:dev with q2 only", ds.Name, ds.Queries)
	}
}

func TestSplitBEIRSpec(t *testing.T) {
	tests := []struct{ in, dir, split string }{
		{"data/scifact", "data/scifact", "test"},
		{"data/scifact:train", "data/scifact", "train"},
		{"data/scifact:", "data/scifact:", "test"},
		{`C:\data\scifact`, `C:\data\scifact`, "test"},
		{`C:\data\scifact:dev`, `C:\data\scifact`, "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			dir, split := splitBEIRSpec(tt.in)
			if dir != tt.dir || split != tt.split {
				t.Errorf("splitBEIRSpec(%q) = %q, %q; want %q, %q", tt.in, dir, split, tt.dir, tt.split)
			}
		})
	}
}

func TestOpenBEIRPlainCorpusAndLongLine(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("word ", 50_000) // well past bufio's 64 KiB default
	writeFiles(t, dir, map[string]string{
		"corpus.jsonl":    `{"_id":"big","title":"Long","text":"` + long + `"}` + "\r\n",
		"queries.jsonl":   `{"_id":"q","text":"long"}`,
		"qrels/test.tsv":  "q\tbig\t1",
		"corpus.jsonl.gz": "not used when corpus.jsonl exists",
	})
	ds, err := Open("beir:" + dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Corpus) != 1 || ds.Corpus[0].Text != long || ds.Corpus[0].Source != "corpus.jsonl" {
		t.Errorf("long record not read intact from corpus.jsonl")
	}
	if len(ds.Queries) != 1 {
		t.Errorf("queries = %d, want 1", len(ds.Queries))
	}
}

func TestOpenCranfield(t *testing.T) {
	ds, err := Open("cranfield:testdata/cranfield")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Name != "cranfield" || len(ds.Corpus) != 3 {
		t.Fatalf("got %q with %d docs, want cranfield with 3", ds.Name, len(ds.Corpus))
	}
	d1 := ds.Corpus[0]
	if d1.Key != "1" || d1.Source != "cran.all.1400" || d1.Language != "en" {
		t.Errorf("doc 1 Key %q Source %q Language %q", d1.Key, d1.Source, d1.Language)
	}
	if d1.Title != "first title line continued ." {
		t.Errorf("doc 1 Title = %q", d1.Title)
	}
	if want := "first title line\ncontinued .\n  body text line one .\nbody line two ."; d1.Text != want {
		t.Errorf("doc 1 Text = %q, want %q", d1.Text, want)
	}
	if want := map[string]string{"author": "smith,j.", "bibliography": "j. ae. scs. 25, 1958, 324."}; !reflect.DeepEqual(d1.Metadata, want) {
		t.Errorf("doc 1 Metadata = %v, want %v", d1.Metadata, want)
	}
	// Repeated markers inside the abstract are dropped and the text runs on.
	if d2 := ds.Corpus[1]; d2.Text != "second doc .\nstray marker follows .\nstill body .\nmore body ." || d2.Metadata != nil {
		t.Errorf("doc 2 Text = %q Metadata = %v", d2.Text, d2.Metadata)
	}
	if d3 := ds.Corpus[2]; d3.Key != "3" || d3.Title != "" || d3.Text != "" {
		t.Errorf("empty doc 3 = %+v", d3)
	}
	for _, d := range ds.Corpus {
		checkHash(t, d.Key, d.Title, d.Text, d.Hash)
	}
	want := []Query{
		{ID: "1", Text: "what is the first doc about .", Relevant: map[string]int{"1": 4, "2": 1}},
		{ID: "2", Text: "second query .", Relevant: map[string]int{"2": 3}},
	}
	if !reflect.DeepEqual(ds.Queries, want) {
		t.Errorf("queries = %+v, want %+v", ds.Queries, want)
	}
}

func TestOpenCMRC(t *testing.T) {
	ds, err := Open("cmrc:testdata/cmrc/a.json,testdata/cmrc/b.json")
	if err != nil {
		t.Fatal(err)
	}
	var keys, sources []string
	for _, d := range ds.Corpus {
		keys = append(keys, d.Key)
		sources = append(sources, d.Source)
		if d.Language != "zh" || d.Type != "text" {
			t.Errorf("doc %q Language %q Type %q", d.Key, d.Language, d.Type)
		}
		checkHash(t, d.Key, d.Title, d.Text, d.Hash)
	}
	if want := []string{"A_0", "A_1", "B_0"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("corpus keys = %q, want %q", keys, want)
	}
	if want := []string{"a.json", "a.json", "b.json"}; !reflect.DeepEqual(sources, want) {
		t.Errorf("sources = %q, want %q", sources, want)
	}
	if d := ds.Corpus[0]; d.Title != "长城" || !strings.HasPrefix(d.Text, "长城是中国古代") {
		t.Errorf("A_0 = %q / %q", d.Title, d.Text)
	}
	want := []Query{
		{ID: "A_0_Q0", Text: "长城是什么？", Relevant: map[string]int{"A_0": 1}, Answers: []string{"中国古代的军事防御工程", "军事防御工程"}},
		{ID: "A_0_Q1", Text: "长城有多长？", Relevant: map[string]int{"A_0": 1}, Answers: []string{"两万公里", "20000.0"}},
		{ID: "A_1_Q0", Text: "黄河是第几长河？", Relevant: map[string]int{"A_1": 1}, Answers: []string{}},
	}
	if !reflect.DeepEqual(ds.Queries, want) {
		t.Errorf("queries = %+v, want %+v", ds.Queries, want)
	}
}

func TestOpenErrors(t *testing.T) {
	good := func() map[string]string {
		return map[string]string{
			"beir/corpus.jsonl":    `{"_id":"d1","text":"x"}` + "\n",
			"beir/queries.jsonl":   `{"_id":"q1","text":"x"}` + "\n",
			"beir/qrels/test.tsv":  "query-id\tcorpus-id\tscore\nq1\td1\t1\n",
			"cran/cran.all.1400":   ".I 1\r\n.T\r\nt\r\n.W\r\nw\r\n",
			"cran/cran.qry":        ".I 001\r\n.W\r\nq\r\n",
			"cran/cranqrel":        "1 1 2\r\n",
			"cmrc/c.json":          `[{"context_id":"C0","context_text":"x","qas":[{"query_id":"Q","query_text":"y","answers":["x"]}]}]`,
			"cmrc/second.json":     `[{"context_id":"C1","context_text":"z","qas":[]}]`,
			"beirgz/queries.jsonl": `{"_id":"q1","text":"x"}`,
		}
	}
	tests := []struct {
		name    string
		change  map[string]string // files replaced in the good layout; "" deletes
		spec    string
		wantIs  error
		wantMsg string
	}{
		{name: "unknown scheme", spec: "trec:DIR", wantIs: ErrUnknownScheme, wantMsg: `"trec"`},
		{name: "no scheme", spec: "scifact", wantMsg: "want SCHEME:PATH"},
		{name: "empty path", spec: "beir:", wantMsg: "want SCHEME:PATH"},
		{name: "beir missing dir", spec: "beir:{dir}/nope", wantIs: fs.ErrNotExist, wantMsg: "corpus.jsonl"},
		{name: "beir missing queries", change: map[string]string{"beir/queries.jsonl": ""}, spec: "beir:{dir}/beir", wantIs: fs.ErrNotExist, wantMsg: "queries.jsonl"},
		{name: "beir missing split", spec: "beir:{dir}/beir:dev", wantIs: fs.ErrNotExist, wantMsg: "dev.tsv"},
		{name: "beir bad corpus json", change: map[string]string{"beir/corpus.jsonl": `{"_id":"d1","text":"x"}` + "\n\n" + `{"_id":"d2",` + "\n"}, spec: "beir:{dir}/beir", wantMsg: "beir/corpus.jsonl:3: invalid JSON"},
		{name: "beir missing id", change: map[string]string{"beir/corpus.jsonl": `{"text":"x"}`}, spec: "beir:{dir}/beir", wantMsg: `corpus.jsonl:1: missing "_id"`},
		{name: "beir duplicate doc", change: map[string]string{"beir/corpus.jsonl": `{"_id":"d1"}` + "\n" + `{"_id":"d1"}`}, spec: "beir:{dir}/beir", wantMsg: `corpus.jsonl:2: duplicate document id "d1"`},
		{name: "beir bad query json", change: map[string]string{"beir/queries.jsonl": `{"_id":"q1","text":"x"}` + "\n" + `[1]`}, spec: "beir:{dir}/beir", wantMsg: "queries.jsonl:2: invalid JSON"},
		{name: "beir bad score", change: map[string]string{"beir/qrels/test.tsv": "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td1\thigh\n"}, spec: "beir:{dir}/beir", wantMsg: `test.tsv:3: score "high" is not an integer`},
		{name: "beir short row", change: map[string]string{"beir/qrels/test.tsv": "q1\td1\n"}, spec: "beir:{dir}/beir", wantMsg: "test.tsv:1: want 3 fields"},
		{name: "beir unknown query", change: map[string]string{"beir/qrels/test.tsv": "q1\td1\t1\nq9\td1\t1\n"}, spec: "beir:{dir}/beir", wantMsg: `test.tsv:2: query "q9" is not in the queries file`},
		{name: "beir corrupt gzip", change: map[string]string{"beirgz/corpus.jsonl.gz": "plain text, not gzip"}, spec: "beir:{dir}/beirgz", wantMsg: "corpus.jsonl.gz"},
		{name: "cranfield missing", change: map[string]string{"cran/cranqrel": ""}, spec: "cranfield:{dir}/cran", wantIs: fs.ErrNotExist, wantMsg: "cranqrel"},
		{name: "cranfield text before .I", change: map[string]string{"cran/cran.all.1400": "stray\r\n.I 1\r\n.W\r\nw"}, spec: "cranfield:{dir}/cran", wantMsg: "cran.all.1400:1: content before the first .I"},
		{name: "cranfield text before marker", change: map[string]string{"cran/cran.qry": ".I 1\r\n.W\r\nq\r\n.I 2\r\norphan"}, spec: "cranfield:{dir}/cran", wantMsg: `cran.qry:5: text before any field marker in record "2"`},
		{name: "cranfield empty id", change: map[string]string{"cran/cran.all.1400": ".I 1\r\n.W\r\nw\r\n.I\r\n"}, spec: "cranfield:{dir}/cran", wantMsg: "cran.all.1400:4: .I without an id"},
		{name: "cranfield duplicate doc", change: map[string]string{"cran/cran.all.1400": ".I 1\r\n.W\r\nw\r\n.I 1\r\n.W\r\nv"}, spec: "cranfield:{dir}/cran", wantMsg: `cran.all.1400:4: duplicate document id "1"`},
		{name: "cranfield query out of range", change: map[string]string{"cran/cranqrel": "1 1 2\r\n2 1 2"}, spec: "cranfield:{dir}/cran", wantMsg: `cranqrel:2: query number "2" is not in 1..1`},
		{name: "cranfield bad code", change: map[string]string{"cran/cranqrel": "1 1 2\r\n1 1 0\r\n"}, spec: "cranfield:{dir}/cran", wantMsg: `cranqrel:2: relevance code "0"`},
		{name: "cranfield short row", change: map[string]string{"cran/cranqrel": "\r\n1 1\r\n"}, spec: "cranfield:{dir}/cran", wantMsg: "cranqrel:2: want 3 fields"},
		{name: "cmrc missing file", spec: "cmrc:{dir}/cmrc/c.json,{dir}/cmrc/none.json", wantIs: fs.ErrNotExist, wantMsg: "none.json"},
		{name: "cmrc empty name", spec: "cmrc:{dir}/cmrc/c.json,", wantMsg: "empty file name"},
		{name: "cmrc not an array", change: map[string]string{"cmrc/c.json": "\n {\"data\": []}"}, spec: "cmrc:{dir}/cmrc/c.json", wantMsg: "c.json:2:2: want a JSON array"},
		{name: "cmrc syntax error", change: map[string]string{"cmrc/c.json": "[\n{\"context_id\": \"C0\",\n \"context_text\": }]"}, spec: "cmrc:{dir}/cmrc/c.json", wantMsg: "c.json:3:"},
		{name: "cmrc type error", change: map[string]string{"cmrc/c.json": "[\n{\"context_id\": 7}]"}, spec: "cmrc:{dir}/cmrc/c.json", wantMsg: "c.json:2:"},
		{name: "cmrc truncated", change: map[string]string{"cmrc/c.json": `[{"context_id":"C0","context_text":"x"}`}, spec: "cmrc:{dir}/cmrc/c.json", wantMsg: "c.json:1:"},
		{name: "cmrc missing id", change: map[string]string{"cmrc/c.json": "[{\"context_id\":\"C0\"},\n {\"context_text\":\"x\"}]"}, spec: "cmrc:{dir}/cmrc/c.json", wantMsg: `c.json:2:2: passage without "context_id"`},
		{name: "cmrc bad answer", change: map[string]string{"cmrc/c.json": `[{"context_id":"C0","qas":[{"query_id":"Q","answers":[true]}]}]`}, spec: "cmrc:{dir}/cmrc/c.json", wantMsg: `c.json:1:2: query "Q": answer 1: want a string`},
		{name: "cmrc answer object without text", change: map[string]string{"cmrc/c.json": `[{"context_id":"C0","qas":[{"query_id":"Q","answers":[{"answer_start":1}]}]}]`}, spec: "cmrc:{dir}/cmrc/c.json", wantMsg: `object without a string "text"`},
		{name: "cmrc duplicate passage across files", change: map[string]string{"cmrc/second.json": "[\n" + `{"context_id":"C0","context_text":"z"}]`}, spec: "cmrc:{dir}/cmrc/c.json,{dir}/cmrc/second.json", wantMsg: `second.json:2:1: duplicate passage id "C0"`},
		{name: "cmrc duplicate query", change: map[string]string{"cmrc/c.json": `[{"context_id":"C0","qas":[{"query_id":"Q","answers":[]},{"query_id":"Q","answers":[]}]}]`}, spec: "cmrc:{dir}/cmrc/c.json", wantMsg: `duplicate query id "Q"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := good()
			for name, content := range tt.change {
				files[name] = content
			}
			writeFiles(t, dir, files)
			spec := strings.ReplaceAll(tt.spec, "{dir}", dir)
			ds, err := Open(spec)
			if err == nil {
				t.Fatalf("Open(%q) = %+v, want error", spec, ds)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q does not wrap %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

// TestOpenErrorsGood checks that the layout TestOpenErrors starts from is
// itself valid, so each error case fails for its own reason.
func TestOpenErrorsGood(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"_id":"d1","text":"x"}`))
	zw.Close()
	writeFiles(t, dir, map[string]string{
		"beir/corpus.jsonl":      `{"_id":"d1","text":"x"}` + "\n",
		"beir/queries.jsonl":     `{"_id":"q1","text":"x"}` + "\n",
		"beir/qrels/test.tsv":    "query-id\tcorpus-id\tscore\nq1\td1\t1\n",
		"beirgz/corpus.jsonl.gz": gz.String(),
		"beirgz/queries.jsonl":   `{"_id":"q1","text":"x"}`,
		"beirgz/qrels/test.tsv":  "q1\td1\t1",
		"cran/cran.all.1400":     ".I 1\r\n.T\r\nt\r\n.W\r\nw\r\n",
		"cran/cran.qry":          ".I 001\r\n.W\r\nq\r\n",
		"cran/cranqrel":          "1 1 2\r\n",
		"cmrc/c.json":            `[{"context_id":"C0","context_text":"x","qas":[{"query_id":"Q","query_text":"y","answers":["x"]}]}]`,
	})
	for _, spec := range []string{"beir:" + dir + "/beir", "beir:" + dir + "/beirgz", "cranfield:" + dir + "/cran", "cmrc:" + dir + "/cmrc/c.json"} {
		ds, err := Open(spec)
		if err != nil {
			t.Errorf("Open(%q): %v", spec, err)
			continue
		}
		if len(ds.Corpus) != 1 || len(ds.Queries) != 1 {
			t.Errorf("Open(%q): %d docs, %d queries; want 1 and 1", spec, len(ds.Corpus), len(ds.Queries))
		}
	}
}

// writeFiles creates files under dir; an empty content means "absent".
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if content == "" {
			continue
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkHash verifies the documented Hash definition.
func checkHash(t *testing.T, key, title, text, got string) {
	t.Helper()
	sum := sha256.Sum256([]byte(key + "\x00" + title + "\x00" + text))
	if want := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("doc %q Hash = %s, want %s", key, got, want)
	}
}
