package cli

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ragline/ragline/internal/pgtest"
)

// The benchmarks below give the PostgreSQL figures of docs/benchmarks.md:
//
//	go test -run '^$' -bench 'Postgres' -benchtime 1x ./internal/cli/
//
// PostgreSQL runs durable (fsync on), as in production.

// BenchmarkPostgresIngestSciFact ingests the SciFact corpus into SQLite and
// into PostgreSQL, one after the other, and reports documents per second.
func BenchmarkPostgresIngestSciFact(b *testing.B) {
	pg := pgtest.Start(b, pgtest.Options{Durable: true})
	for range b.N {
		for _, kind := range []string{"sqlite", "postgres"} {
			data := b.TempDir()
			if kind == "postgres" {
				data = pg.NewDatabase(b)
			}
			t0 := time.Now()
			code, _, stderr := run(b, "ingest", "--data", data, sciFactCorpus)
			if code != 0 {
				b.Fatalf("ingest into %s: %s", kind, stderr)
			}
			b.ReportMetric(5183/time.Since(t0).Seconds(), kind+"_docs/s")
		}
	}
}

// BenchmarkPostgresReplicaFreshness runs three replicas on one database and
// uploads a small document through each in turn; it reports how long the
// other two take to find it (p50 and p99 over all probes).
func BenchmarkPostgresReplicaFreshness(b *testing.B) {
	pg := pgtest.Start(b, pgtest.Options{Durable: true})
	url := pg.NewDatabase(b)
	if code, _, stderr := run(b, "ingest", "--data", url, sciFactCorpus); code != 0 {
		b.Fatalf("ingest: %s", stderr)
	}
	var rs []*cliServer
	for range 3 {
		rs = append(rs, startServer(b, "serve", "--data", url, "--addr", "127.0.0.1:0"))
	}
	for _, r := range rs {
		r.awaitReady()
	}
	const uploads = 60
	var fresh []float64
	for range b.N {
		for i := range uploads {
			tok := liveToken(7, i)
			name := fmt.Sprintf("fresh-%d.md", i)
			up := rs[i%3]
			if code, body := up.upload("default", map[string]string{name: "# Note " + tok + "\n\nA note about " + tok + "."}); code != 200 {
				b.Fatalf("upload: %d %s\n%s", code, body, up.log())
			}
			acked := time.Now()
			for j, r := range rs {
				if j == i%3 {
					continue
				}
				for {
					keys := r.retrieveKeys(tok)
					if len(keys) > 0 && keys[0] == name {
						break
					}
					if time.Since(acked) > safetyBound {
						b.Fatalf("%s not found on replica %d", name, j+1)
					}
					time.Sleep(2 * time.Millisecond)
				}
				fresh = append(fresh, float64(time.Since(acked))/float64(time.Millisecond))
			}
		}
	}
	sort.Float64s(fresh)
	b.ReportMetric(fresh[len(fresh)/2], "freshness_p50_ms")
	b.ReportMetric(fresh[(len(fresh)*99)/100], "freshness_p99_ms")
}

// BenchmarkPostgresReplicaStartup50k builds SciFact ×10 (51,830 documents:
// the corpus ten times, every copy's ids suffixed "-1" … "-9") in
// PostgreSQL and reports how long a replica takes from start to /readyz
// answering ready.
func BenchmarkPostgresReplicaStartup50k(b *testing.B) {
	pg := pgtest.Start(b, pgtest.Options{Durable: true})
	url := pg.NewDatabase(b)
	corpus := filepath.Join(b.TempDir(), "scifact-x10.jsonl")
	writeSciFactTimes(b, corpus, 10)
	t0 := time.Now()
	if code, _, stderr := run(b, "--config", bigFileConfig(b), "ingest", "--data", url, corpus); code != 0 {
		b.Fatalf("ingest: %s", stderr)
	}
	b.ReportMetric(51830/time.Since(t0).Seconds(), "ingest_docs/s")
	for range b.N {
		t1 := time.Now()
		r := startServer(b, "serve", "--data", url, "--addr", "127.0.0.1:0")
		r.awaitReady()
		b.ReportMetric(time.Since(t1).Seconds(), "startup_s")
		r.stop()
	}
}

// bigFileConfig raises the per-file limit for the ×10 corpus file.
func bigFileConfig(b *testing.B) string {
	p := filepath.Join(b.TempDir(), "ragline.yaml")
	if err := os.WriteFile(p, []byte("ingest:\n  max_file_size: 1GiB\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

// writeSciFactTimes writes the SciFact corpus n times into one JSONL file,
// copy i > 0 with "-i" appended to every id.
func writeSciFactTimes(b *testing.B, out string, n int) {
	f, err := os.Open(sciFactCorpus)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	var docs []map[string]any
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var d map[string]any
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			b.Fatal(err)
		}
		docs = append(docs, d)
	}
	w, err := os.Create(out)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for i := range n {
		for _, d := range docs {
			c := map[string]any{}
			for k, v := range d {
				c[k] = v
			}
			if i > 0 {
				c["_id"] = fmt.Sprintf("%v-%d", d["_id"], i)
			}
			if err := enc.Encode(c); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
}

// awaitReady polls /readyz until the server says ready (indexes loaded).
func (s *cliServer) awaitReady() {
	s.t.Helper()
	start := time.Now()
	for {
		code, body := s.get("/readyz")
		if code == 200 && strings.Contains(body, `"ready"`) {
			return
		}
		if time.Since(start) > 10*safetyBound {
			s.t.Fatalf("not ready after %v: %s", 10*safetyBound, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
