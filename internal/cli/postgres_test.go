package cli

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/pgtest"
)

// sciFactTrain is the SciFact train split beside the repository.
const (
	sciFactTrain  = "beir:../../../shared/datasets/scifact:train"
	sciFactCorpus = "../../../shared/datasets/scifact/corpus.jsonl.gz"
)

// evalReport is the part of report.json the parity test compares.
type evalReport struct {
	KBDigest  string             `json:"kb_digest"`
	Metrics   map[string]float64 `json:"metrics"`
	Questions []struct {
		ID        string `json:"id"`
		Retrieved []struct {
			ID    string  `json:"id"`
			Score float64 `json:"score"`
		} `json:"retrieved"`
		Answer string `json:"answer"`
	} `json:"questions"`
}

func evalOn(t *testing.T, data string) evalReport {
	t.Helper()
	code, out, stderr := run(t, "eval", "--dataset", sciFactTrain, "--data", data, "--json")
	if code != 0 {
		t.Fatalf("eval --data %s: exit %d: %s", data, code, stderr)
	}
	var r evalReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	for k := range r.Metrics {
		if strings.HasPrefix(k, "latency") {
			delete(r.Metrics, k)
		}
	}
	return r
}

func sameEval(t *testing.T, what string, want, got evalReport) {
	t.Helper()
	if got.KBDigest != want.KBDigest {
		t.Errorf("%s: kb digest %s, SQLite %s", what, got.KBDigest, want.KBDigest)
	}
	if !reflect.DeepEqual(got.Metrics, want.Metrics) {
		t.Errorf("%s: metrics differ:\n%v\nSQLite:\n%v", what, got.Metrics, want.Metrics)
	}
	for i := range want.Questions {
		if !reflect.DeepEqual(got.Questions[i], want.Questions[i]) {
			t.Fatalf("%s: question %s: retrieved or answered differently:\n%+v\nSQLite:\n%+v", what, want.Questions[i].ID, got.Questions[i], want.Questions[i])
		}
	}
}

// TestPostgresEvalParitySciFact ingests the SciFact corpus into SQLite and
// into a real PostgreSQL, and evaluates the train claims on both: the
// same metrics, the same ranked lists with the same scores, the same
// answers and the same knowledge-base digest. A SQLite knowledge base
// migrated into PostgreSQL and a snapshot built from PostgreSQL keep that
// digest too.
func TestPostgresEvalParitySciFact(t *testing.T) {
	pg := pgtest.Start(t)
	lite := t.TempDir()
	direct, migrated := pg.NewDatabase(t), pg.NewDatabase(t)
	for _, data := range []string{lite, direct} {
		if code, _, stderr := run(t, "ingest", "--data", data, sciFactCorpus); code != 0 {
			t.Fatalf("ingest --data %s: %s", data, stderr)
		}
	}
	want := evalOn(t, lite)
	if want.Metrics["ndcg@10"] < 0.5 || len(want.Questions) != 809 {
		t.Fatalf("SQLite evaluation looks wrong: ndcg@10 %v over %d questions", want.Metrics["ndcg@10"], len(want.Questions))
	}
	sameEval(t, "ingested into PostgreSQL", want, evalOn(t, direct))

	code, out, stderr := run(t, "migrate", "--from", lite, "--to", migrated)
	if code != 0 || strings.Count(out, want.KBDigest) != 2 {
		t.Fatalf("migrate: exit %d\n%s\n%s", code, out, stderr)
	}
	sameEval(t, "migrated into PostgreSQL", want, evalOn(t, migrated))

	snap := filepath.Join(t.TempDir(), "kb.ragline")
	code, out, stderr = run(t, "index", "build", "--from", direct, "--out", snap)
	if code != 0 || !strings.Contains(out, "digest: "+want.KBDigest) {
		t.Fatalf("index build --from postgres: exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, stderr = run(t, "index", "verify", snap)
	if code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("verify snapshot built from PostgreSQL: %s %s", out, stderr)
	}
}
