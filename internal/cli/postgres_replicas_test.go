package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ragline/ragline/internal/pgtest"
	"github.com/ragline/ragline/internal/store"
)

// upload posts files (name → content) to a collection of a server and
// returns the status and body.
func (s *cliServer) upload(collection string, files map[string]string) (int, string) {
	s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for name, content := range files {
		w, err := mw.CreateFormFile("file", name)
		if err != nil {
			s.t.Fatal(err)
		}
		_, _ = io.WriteString(w, content)
	}
	mw.Close()
	resp, err := client.Post(s.base+"/v1/collections/"+collection+"/documents", mw.FormDataContentType(), &body)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// retrieveKeys returns the document keys /v1/invoke retrieve ranks for
// query, best first.
func (s *cliServer) retrieveKeys(query string) []string {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"target": "retrieve", "input": map[string]any{"query": query, "top_k": 5}})
	resp, err := client.Post(s.base+"/v1/invoke", "application/json", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("retrieve on %s: %s: %s\n%s", s.base, resp.Status, b, s.log())
	}
	var out struct {
		Hits []struct {
			DocKey string `json:"doc_key"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		s.t.Fatal(err)
	}
	keys := make([]string, len(out.Hits))
	for i, h := range out.Hits {
		keys[i] = h.DocKey
	}
	return keys
}

// awaitSearch polls a server until query finds (or, with found false, no
// longer finds) the document key, and returns how long that took. The
// bound is a safety net against hangs; freshness is measured in
// docs/benchmarks.md, not asserted here.
func (s *cliServer) awaitSearch(query, key string, found bool) time.Duration {
	s.t.Helper()
	start := time.Now()
	var keys []string
	for time.Since(start) < safetyBound {
		keys = s.retrieveKeys(query)
		// A folder ingested from the CLI keys its files under the
		// folder's name.
		is := func(k string) bool { return k == key || strings.HasSuffix(k, "/"+key) }
		has := len(keys) > 0 && is(keys[0])
		if !found {
			has = false
			for _, k := range keys {
				has = has || is(k)
			}
		}
		if has == found {
			return time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatalf("%s: %q still %v after %v (ranked %v)", s.base, query, map[bool]string{true: "not found", false: "found"}[found], safetyBound, keys)
	return 0
}

// pgKB starts a throwaway PostgreSQL with the quick-start documents
// ingested into a database, and returns the server and the database URL.
func pgKB(t *testing.T) (*pgtest.Server, string) {
	t.Helper()
	pg := pgtest.Start(t)
	url := pg.NewDatabase(t)
	if code, _, stderr := run(t, "ingest", "--data", url, quickstartDocs); code != 0 {
		t.Fatalf("ingest into PostgreSQL: %s", stderr)
	}
	return pg, url
}

// TestPostgresReplicas runs three real `ragline serve` processes on one
// database: an upload to the first is found by the other two, a delete on
// the third disappears everywhere, and the same key uploaded through two
// replicas at once leaves one whole version.
func TestPostgresReplicas(t *testing.T) {
	_, url := pgKB(t)
	var rs []*cliServer
	for range 3 {
		rs = append(rs, startServer(t, "serve", "--data", url, "--addr", "127.0.0.1:0"))
	}
	digest := func(r *cliServer) string {
		_, body := r.get("/version")
		var v struct {
			KB string `json:"kb_digest"`
		}
		_ = json.Unmarshal([]byte(body), &v)
		return v.KB
	}
	before := digest(rs[1])
	const query = "xylophone quartz crossing"
	if code, body := rs[0].upload("default", map[string]string{"zebra.md": "# Zebra\n\nThe zebra crossing rule mentions a xylophone and quartz."}); code != 200 {
		t.Fatalf("upload: %d %s", code, body)
	}
	for i, r := range rs[1:] {
		t.Logf("replica %d found the upload after %v", i+2, r.awaitSearch(query, "zebra.md", true))
	}
	// The knowledge-base digest each replica reports follows too.
	if after := digest(rs[1]); after == before || after != digest(rs[0]) || after != digest(rs[2]) {
		t.Errorf("digest on replica 2 %s (before %s), replica 1 %s, replica 3 %s", after, before, digest(rs[0]), digest(rs[2]))
	}

	code, body := rs[2].get("/v1/collections/default/documents")
	if code != 200 {
		t.Fatalf("list: %d %s", code, body)
	}
	id := store.DocumentID("default", "zebra.md")
	if !strings.Contains(body, id) {
		t.Fatalf("zebra.md (%s) not listed on replica 3: %s", id, body)
	}
	req, _ := http.NewRequest(http.MethodDelete, rs[2].base+"/v1/documents/"+id, nil)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("delete on replica 3: %v %v", resp, err)
	}
	resp.Body.Close()
	for i, r := range rs[:2] {
		t.Logf("replica %d dropped the deleted document after %v", i+1, r.awaitSearch(query, "zebra.md", false))
	}

	// Two replicas upload the same key at once, five times over; the two
	// versions have different numbers of chunks.
	versions := map[string]string{
		"a": "# Same\n\n" + strings.Repeat("Alpha paragraph about the same document key.\n\n", 3),
		"b": "# Same\n\n" + strings.Repeat("Beta paragraph about the same document key, longer than alpha's.\n\n", 300),
	}
	for round := range 5 {
		var wg sync.WaitGroup
		for i, v := range []string{"a", "b"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				text := versions[v] + fmt.Sprintf("Round %d.", round)
				if code, body := rs[i].upload("default", map[string]string{"same.md": text}); code != 200 {
					t.Errorf("upload %s through replica %d: %d %s", v, i+1, code, body)
				}
			}()
		}
		wg.Wait()
	}
	st, err := store.OpenPostgres(context.Background(), url, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkWholeDocuments(t, st, 1, "same.md")
}

// checkWholeDocuments checks that the database holds want documents whose
// key starts with prefix, each with exactly the chunks of its stored text.
func checkWholeDocuments(t *testing.T, st *store.Postgres, want int, prefix string) {
	t.Helper()
	ctx := context.Background()
	docs, err := st.Documents(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range docs {
		if !strings.HasPrefix(d.Key, prefix) {
			continue
		}
		n++
		full, err := st.Document(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := st.DocumentChunks(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		runes := []rune(full.Text)
		covered := 0
		for i, r := range recs {
			c := r.Chunk
			if c.Ordinal != i || c.End > len(runes) || string(runes[c.Start:c.End]) != c.Text {
				t.Fatalf("%s: chunk %d does not belong to the stored text", d.Key, i)
			}
			covered = max(covered, c.End)
		}
		if len(recs) == 0 || covered < len(runes)-len("Round 0.")-2 && !strings.HasSuffix(strings.TrimSpace(full.Text), strings.TrimSpace(recs[len(recs)-1].Chunk.Text)) {
			t.Fatalf("%s: %d chunks cover %d of %d characters: a partial document", d.Key, len(recs), covered, len(runes))
		}
	}
	if n != want {
		t.Fatalf("%d documents with key %s*, want %d", n, prefix, want)
	}
}

// TestPostgresOutage stops PostgreSQL under a running replica: searches
// and answers go on from memory, /readyz says degraded with 200, uploads
// fail with 503 store_unavailable. When PostgreSQL is back, a document
// written by the CLI meanwhile reaches the replica and uploads work again.
func TestPostgresOutage(t *testing.T) {
	pg, url := pgKB(t)
	r := startServer(t, "serve", "--data", url, "--addr", "127.0.0.1:0")
	const question = "How many vacation days do new employees get?"
	before := r.chat(question)
	if before.NoAnswer || len(before.Citations) == 0 {
		t.Fatalf("before the outage: %+v", before)
	}

	pg.Stop(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(r.log())
		}
	})
	if during := r.chat(question); during.Answer != before.Answer {
		t.Fatalf("answer during the outage differs:\n%s\nbefore:\n%s", during.Answer, before.Answer)
	}
	if keys := r.retrieveKeys("vacation days"); len(keys) == 0 {
		t.Fatal("retrieve during the outage found nothing")
	}
	code, body := r.get("/readyz")
	if code != 200 || !strings.Contains(body, `"degraded"`) {
		t.Fatalf("/readyz during the outage: %d %s", code, body)
	}
	start := time.Now()
	code, body = r.upload("default", map[string]string{"new.md": "# New\n\nA new policy on kumquat gardening."})
	t.Logf("upload during the outage answered %d after %v", code, time.Since(start))
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"store_unavailable"`) {
		t.Fatalf("upload during the outage: %d %s", code, body)
	}

	pg.Restart(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cli.md"), []byte("# CLI\n\nWritten from the command line about pomegranate logistics."), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, "ingest", "--data", url, dir); code != 0 {
		t.Fatalf("CLI ingest after restart: %s", stderr)
	}
	t.Logf("the replica caught up after %v", r.awaitSearch("pomegranate logistics", "cli.md", true))
	deadline := time.Now().Add(safetyBound)
	for {
		code, body = r.upload("default", map[string]string{"new.md": "# New\n\nA new policy on kumquat gardening."})
		if code == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code != 200 {
		t.Fatalf("upload after the outage: %d %s", code, body)
	}
	r.awaitSearch("kumquat gardening", "new.md", true)
	if log := r.log(); !strings.Contains(log, "PostgreSQL connection lost") || !strings.Contains(log, "PostgreSQL connection up") {
		t.Errorf("the server did not log losing and regaining the database:\n%s", log)
	}
	if code, body := r.get("/readyz"); code != 200 || !strings.Contains(body, `"ready"`) {
		t.Fatalf("/readyz after the outage: %d %s", code, body)
	}
}

// TestPostgresKillDuringUpload kills a replica with SIGKILL while it
// stores a 500-file upload: every document in the database is whole, and
// uploading again completes the set.
func TestPostgresKillDuringUpload(t *testing.T) {
	pg := pgtest.Start(t)
	url := pg.NewDatabase(t)
	dir := t.TempDir()
	writeCorpus(t, dir, 500)
	files := map[string]string{}
	for i := range 500 {
		name := fmt.Sprintf("f%04d.txt", i)
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	r := startServer(t, "serve", "--data", url, "--addr", "127.0.0.1:0")
	st, err := store.OpenPostgres(context.Background(), url, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	go func() {
		// The upload fails when the server dies; that is the point.
		_, _ = uploadQuiet(r.base, files)
	}()
	var seen int
	deadline := time.Now().Add(safetyBound)
	for time.Now().Before(deadline) {
		docs, err := st.Documents(context.Background(), "")
		if err == nil && len(docs) > 0 {
			seen = len(docs)
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-r.done
	docs, err := st.Documents(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("killed after %d documents were visible; %d stored", seen, len(docs))
	if seen == 0 || len(docs) >= 500 {
		t.Fatalf("the kill did not land mid-upload (%d of 500 stored)", len(docs))
	}
	checkWholeDocuments(t, st, len(docs), "f")

	r2 := startServer(t, "serve", "--data", url, "--addr", "127.0.0.1:0")
	if code, body := r2.upload("default", files); code != 200 {
		t.Fatalf("upload again: %d %s", code, body)
	}
	checkWholeDocuments(t, st, 500, "f")
}

// uploadQuiet posts files without a test helper's checks.
func uploadQuiet(base string, files map[string]string) (int, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for name, content := range files {
		w, err := mw.CreateFormFile("file", name)
		if err != nil {
			return 0, err
		}
		_, _ = io.WriteString(w, content)
	}
	mw.Close()
	resp, err := client.Post(base+"/v1/collections/default/documents", mw.FormDataContentType(), &body)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

var _ = exec.Command
