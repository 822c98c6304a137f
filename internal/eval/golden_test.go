package eval

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenGolden(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"set/golden.jsonl": `{"id":"a","question":"How long?","answers":["16 weeks"],"relevant_ids":["leave.md"],"relevant_passages":["16 weeks of leave"],"tags":["en"]}
# a comment line
{"id":"b","question":"几天？","answers":[],"relevant_ids":{"zh.md":2,"other.md":0},"tags":["zh","no_answer"],"metadata":{"owner":"hr"}}
`,
		"set/dataset.yaml":  "name: handbook\ncorpus: docs\n",
		"set/docs/leave.md": "# Leave\n",
	})
	for _, spec := range []string{filepath.Join(dir, "set/golden.jsonl"), "golden:" + filepath.Join(dir, "set/golden.jsonl")} {
		ds, err := Open(spec)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Name != "golden:handbook" || len(ds.Queries) != 2 || len(ds.CorpusPaths) != 1 || ds.CorpusPaths[0] != filepath.Join(dir, "set/docs") {
			t.Fatalf("dataset = %+v", ds)
		}
		a, b := ds.Queries[0], ds.Queries[1]
		if a.Relevant["leave.md"] != 1 || a.Passages[0] != "16 weeks of leave" || a.Tags[0] != "en" {
			t.Errorf("a = %+v", a)
		}
		if len(b.Relevant) != 1 || b.Relevant["zh.md"] != 2 || len(b.Answers) != 0 {
			t.Errorf("b = %+v (grade 0 must not count as relevant)", b)
		}
	}
}

func TestOpenGoldenErrors(t *testing.T) {
	tests := []struct{ name, body, sidecar, want string }{
		{"misspelt key", `{"id":"a","question":"q","relevent_ids":["x"]}`, "", `golden.jsonl:1: json: unknown field "relevent_ids"`},
		{"missing id", `{"question":"q"}`, "", "golden.jsonl:1: id: is required"},
		{"empty question", `{"id":"a","question":" "}`, "", "golden.jsonl:1: question: is required"},
		{"duplicate id", "{\"id\":\"a\",\"question\":\"q\"}\n{\"id\":\"a\",\"question\":\"r\"}", "", `golden.jsonl:2: id: "a" already used on line 1`},
		{"bad grades", `{"id":"a","question":"q","relevant_ids":{"x":"high"}}`, "", "golden.jsonl:1: relevant_ids: want a list"},
		{"negative grade", `{"id":"a","question":"q","relevant_ids":{"x":-1}}`, "", `relevant_ids: "x": grade -1 is negative`},
		{"empty answer", `{"id":"a","question":"q","answers":[""]}`, "", "golden.jsonl:1: answers[0]: is empty"},
		{"broken JSON", `{"id":"a",`, "", "golden.jsonl:1:"},
		{"no questions", "\n\n", "", "no questions"},
		{"missing corpus", `{"id":"a","question":"q"}`, "corpus: nowhere\n", "dataset.yaml: corpus:"},
		{"unknown sidecar key", `{"id":"a","question":"q"}`, "corpse: docs\n", "dataset.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"golden.jsonl": tt.body}
			if tt.sidecar != "" {
				files["dataset.yaml"] = tt.sidecar
			}
			writeFiles(t, dir, files)
			_, err := Open(filepath.Join(dir, "golden.jsonl"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestQuickstartGoldenSet(t *testing.T) {
	ds, err := Open("../../examples/quickstart/golden.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.CorpusPaths) != 1 {
		t.Fatalf("corpus = %v", ds.CorpusPaths)
	}
	docs := map[string]bool{}
	entries, _ := os.ReadDir(ds.CorpusPaths[0])
	for _, e := range entries {
		docs[e.Name()] = true
	}
	for _, q := range ds.Queries {
		for id := range q.Relevant {
			if !docs[id] {
				t.Errorf("%s: relevant id %q is not a corpus file", q.ID, id)
			}
		}
		// Every reference answer occurs in a reference passage.
		for _, a := range q.Answers {
			found := false
			for _, p := range q.Passages {
				found = found || strings.Contains(p, a)
			}
			if !found {
				t.Errorf("%s: answer %q is in no reference passage", q.ID, a)
			}
		}
	}
}
