package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
)

// Keys of the keyed test server, by what they may do.
const (
	readerKey = "rl_reader-key-0123456789abcdef0123456789"
	loaderKey = "rl_loader-key-0123456789abcdef0123456789"
	rootKey   = "rl_root-key-0123456789abcdef0123456789"
	scopedKey = "rl_scoped-key-0123456789abcdef0123456789"
	legacyKey = "legacy-secret"
)

// keyedServer serves a knowledge base with a "handbook" collection (the
// default) and an "hr" collection, guarded by the keys above. It returns
// the ids of one document in each collection.
func keyedServer(t *testing.T, mod func(*config.Config)) (srv *httptest.Server, handbookDoc, hrDoc string) {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.Collection = "handbook"
	cfg.Server.APIKey = config.NewSecret(legacyKey)
	cfg.Server.Keys = []config.APIKey{
		{Name: "reader", Hash: HashKey(readerKey), Scopes: []string{"chat"}},
		{Name: "loader", Hash: HashKey(loaderKey), Scopes: []string{"ingest"}},
		{Name: "root", Hash: HashKey(rootKey), Scopes: []string{"admin"}},
		{Name: "scoped", Hash: HashKey(scopedKey), Scopes: []string{"chat", "ingest"}, Collections: []string{"handbook"}},
	}
	if mod != nil {
		mod(cfg)
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		t.Fatalf("test configuration: %v", errs)
	}
	k, err := kb.Open(ctx, cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	ids := map[string]string{}
	for col, body := range map[string]string{
		"handbook": "# Parking\n\nParking is free for employees on level two of the garage.\n",
		"hr":       "# Salaries\n\nSalary reviews happen every March for all staff.\n",
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, col+".md"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if rep, err := k.Ingest(ctx, col, []string{dir}, nil); err != nil || rep.Failed > 0 {
			t.Fatalf("ingest %s: %+v %v", col, rep, err)
		}
		docs, err := k.Documents(ctx, col)
		if err != nil || len(docs) != 1 {
			t.Fatalf("documents of %s: %v %v", col, docs, err)
		}
		ids[col] = docs[0].ID
	}
	srv = httptest.NewServer(New(k, Options{Config: cfg}))
	t.Cleanup(srv.Close)
	return srv, ids["handbook"], ids["hr"]
}

// request is one call to the API.
type request struct {
	method, path string
	header       http.Header
	body         func(t *testing.T) (string, io.Reader) // content type and body
}

func bearer(key string) http.Header { return http.Header{"Authorization": {"Bearer " + key}} }

func jsonBody(s string) func(*testing.T) (string, io.Reader) {
	return func(*testing.T) (string, io.Reader) { return "application/json", strings.NewReader(s) }
}

func uploadBody(name, text string) func(*testing.T) (string, io.Reader) {
	return func(t *testing.T) (string, io.Reader) {
		return multipartBody(t, map[string][]byte{name: []byte(text)})
	}
}

// send makes the request and returns the response with its decoded body.
func send(t *testing.T, base string, rq request) (*http.Response, map[string]any) {
	t.Helper()
	var body io.Reader
	ctype := ""
	if rq.body != nil {
		ctype, body = rq.body(t)
	}
	req, err := http.NewRequest(rq.method, base+rq.path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range rq.header {
		req.Header[k] = v
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

func TestKeysAndScopes(t *testing.T) {
	srv, handbookDoc, hrDoc := keyedServer(t, nil)
	chat := jsonBody(`{"message":"Is parking free for employees?"}`)
	cases := []struct {
		name  string
		req   request
		code  int
		typ   string // error type, when code is not 200
		field string // error field, when set
	}{
		{"no key", request{method: "POST", path: "/v1/chat", body: chat}, 401, "unauthorized", ""},
		{"wrong key", request{method: "POST", path: "/v1/chat", header: bearer("rl_wrong"), body: chat}, 401, "unauthorized", ""},
		{"not a bearer token", request{method: "POST", path: "/v1/chat", header: http.Header{"Authorization": {"Basic " + readerKey}}, body: chat}, 401, "unauthorized", ""},
		{"X-API-Key", request{method: "POST", path: "/v1/chat", header: http.Header{"X-Api-Key": {readerKey}}, body: chat}, 200, "", ""},
		{"lower-case bearer", request{method: "POST", path: "/v1/chat", header: http.Header{"Authorization": {"bearer " + readerKey}}, body: chat}, 200, "", ""},

		{"chat key: chat", request{method: "POST", path: "/v1/chat", header: bearer(readerKey), body: chat}, 200, "", ""},
		{"chat key: completions", request{method: "POST", path: "/v1/chat/completions", header: bearer(readerKey), body: jsonBody(`{"model":"hr","messages":[{"role":"user","content":"When are salary reviews?"}]}`)}, 200, "", ""},
		{"chat key: document", request{method: "GET", path: "/v1/documents/" + hrDoc, header: bearer(readerKey)}, 200, "", ""},
		{"chat key: upload", request{method: "POST", path: "/v1/collections/hr/documents", header: bearer(readerKey), body: uploadBody("a.md", "alpha")}, 403, "forbidden", ""},
		{"chat key: delete", request{method: "DELETE", path: "/v1/documents/" + hrDoc, header: bearer(readerKey)}, 403, "forbidden", ""},

		{"ingest key: upload", request{method: "POST", path: "/v1/collections/hr/documents", header: bearer(loaderKey), body: uploadBody("b.md", "Bonuses are paid in December.")}, 200, "", ""},
		{"ingest key: chat", request{method: "POST", path: "/v1/chat", header: bearer(loaderKey), body: chat}, 403, "forbidden", ""},
		{"ingest key: session", request{method: "GET", path: "/v1/sessions/abcdefgh", header: bearer(loaderKey)}, 403, "forbidden", ""},
		{"ingest key: models", request{method: "GET", path: "/v1/models", header: bearer(loaderKey)}, 403, "forbidden", ""},

		{"admin key: chat", request{method: "POST", path: "/v1/chat", header: bearer(rootKey), body: chat}, 200, "", ""},
		{"admin key: upload", request{method: "POST", path: "/v1/collections/ops/documents", header: bearer(rootKey), body: uploadBody("c.md", "The on-call rota changes weekly.")}, 200, "", ""},
		{"admin key: collections", request{method: "GET", path: "/v1/collections", header: bearer(rootKey)}, 200, "", ""},
		{"legacy api_key: chat", request{method: "POST", path: "/v1/chat", header: bearer(legacyKey), body: chat}, 200, "", ""},
		{"legacy api_key: upload", request{method: "POST", path: "/v1/collections/hr/documents", header: bearer(legacyKey), body: uploadBody("d.md", "Payslips arrive on the 25th.")}, 200, "", ""},

		{"collection key: chat, its collection", request{method: "POST", path: "/v1/chat", header: bearer(scopedKey), body: jsonBody(`{"message":"Is parking free?","collection":"handbook"}`)}, 200, "", ""},
		{"collection key: chat, default collection", request{method: "POST", path: "/v1/chat", header: bearer(scopedKey), body: chat}, 200, "", ""},
		{"collection key: chat, other", request{method: "POST", path: "/v1/chat", header: bearer(scopedKey), body: jsonBody(`{"message":"When are salary reviews?","collection":"hr"}`)}, 404, "not_found", "collection"},
		{"collection key: streamed chat, other", request{method: "POST", path: "/v1/chat", header: bearer(scopedKey), body: jsonBody(`{"message":"When are salary reviews?","collection":"hr","stream":true}`)}, 404, "not_found", "collection"},
		{"collection key: invoke, its collection", request{method: "POST", path: "/v1/invoke", header: bearer(scopedKey), body: jsonBody(`{"target":"retrieve","input":{"query":"parking"}}`)}, 200, "", ""},
		{"collection key: invoke retrieve, other", request{method: "POST", path: "/v1/invoke", header: bearer(scopedKey), body: jsonBody(`{"target":"retrieve","input":{"query":"salary","collection":"hr"}}`)}, 404, "not_found", "input.collection"},
		{"collection key: invoke answer, other", request{method: "POST", path: "/v1/invoke", header: bearer(scopedKey), body: jsonBody(`{"target":"answer","input":{"question":"salary?","collection":"hr"}}`)}, 404, "not_found", "input.collection"},
		{"collection key: completions, default model", request{method: "POST", path: "/v1/chat/completions", header: bearer(scopedKey), body: jsonBody(`{"model":"default","messages":[{"role":"user","content":"Is parking free?"}]}`)}, 200, "", ""},
		{"collection key: completions, other model", request{method: "POST", path: "/v1/chat/completions", header: bearer(scopedKey), body: jsonBody(`{"model":"hr","messages":[{"role":"user","content":"When are salary reviews?"}]}`)}, 404, "not_found", "model"},
		{"collection key: completions, unknown model", request{method: "POST", path: "/v1/chat/completions", header: bearer(scopedKey), body: jsonBody(`{"model":"nope","messages":[{"role":"user","content":"x"}]}`)}, 404, "not_found", "model"},
		{"collection key: model, other", request{method: "GET", path: "/v1/models/hr", header: bearer(scopedKey)}, 404, "not_found", "model"},
		{"collection key: model, default", request{method: "GET", path: "/v1/models/default", header: bearer(scopedKey)}, 200, "", ""},
		{"collection key: document, its collection", request{method: "GET", path: "/v1/documents/" + handbookDoc, header: bearer(scopedKey)}, 200, "", ""},
		{"collection key: document, other", request{method: "GET", path: "/v1/documents/" + hrDoc, header: bearer(scopedKey)}, 404, "not_found", "id"},
		{"collection key: missing document", request{method: "GET", path: "/v1/documents/nope", header: bearer(scopedKey)}, 404, "not_found", "id"},
		{"collection key: documents, other", request{method: "GET", path: "/v1/collections/hr/documents", header: bearer(scopedKey)}, 404, "not_found", "collection"},
		{"collection key: upload, its collection", request{method: "POST", path: "/v1/collections/handbook/documents", header: bearer(scopedKey), body: uploadBody("e.md", "Lockers are on level one.")}, 200, "", ""},
		{"collection key: upload, other", request{method: "POST", path: "/v1/collections/hr/documents", header: bearer(scopedKey), body: uploadBody("f.md", "Overtime is paid double.")}, 404, "not_found", "collection"},
		{"collection key: delete, other", request{method: "DELETE", path: "/v1/documents/" + hrDoc, header: bearer(scopedKey)}, 404, "not_found", "id"},
		{"ingest key: delete", request{method: "DELETE", path: "/v1/documents/" + hrDoc, header: bearer(loaderKey)}, 200, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, out := send(t, srv.URL, c.req)
			if resp.StatusCode != c.code {
				t.Fatalf("%s %s: %d, want %d: %v", c.req.method, c.req.path, resp.StatusCode, c.code, out)
			}
			if c.code == 200 {
				return
			}
			e, _ := out["error"].(map[string]any)
			if e == nil || e["type"] != c.typ || e["message"] == "" {
				t.Fatalf("error %v, want type %s", out, c.typ)
			}
			if c.field != "" && (e["field"] != c.field || e["param"] != c.field) {
				t.Errorf("field %v, param %v, want %s", e["field"], e["param"], c.field)
			}
			if c.code == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer: %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// TestCollectionListings checks that a key limited to some collections
// sees only those in listings.
func TestCollectionListings(t *testing.T) {
	srv, _, _ := keyedServer(t, nil)
	cases := []struct {
		name, key, path, list, id string
		want                      []string
	}{
		{"collections, limited key", scopedKey, "/v1/collections", "collections", "name", []string{"handbook"}},
		{"collections, any collection", readerKey, "/v1/collections", "collections", "name", []string{"handbook", "hr"}},
		{"models, limited key", scopedKey, "/v1/models", "data", "id", []string{"default", "handbook"}},
		{"models, any collection", readerKey, "/v1/models", "data", "id", []string{"default", "handbook", "hr"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, out := send(t, srv.URL, request{method: "GET", path: c.path, header: bearer(c.key)})
			if resp.StatusCode != 200 {
				t.Fatalf("%d %v", resp.StatusCode, out)
			}
			var got []string
			for _, it := range out[c.list].([]any) {
				got = append(got, it.(map[string]any)[c.id].(string))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("listed %v, want %v", got, c.want)
			}
		})
	}
}

// TestProbesNeedNoKey checks the routes that must answer without a key.
func TestProbesNeedNoKey(t *testing.T) {
	srv, _, _ := keyedServer(t, nil)
	for _, path := range []string{"/healthz", "/readyz", "/version", "/metrics", "/openapi.json"} {
		t.Run(path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("%d without a key", resp.StatusCode)
			}
		})
	}
}

func TestKeyring(t *testing.T) {
	cfg := config.Default().Server
	cfg.Keys = []config.APIKey{
		{Name: "a", Hash: HashKey("key-a"), Scopes: []string{"chat"}},
		{Name: "b", Hash: HashKey("key-b"), Scopes: []string{"ingest"}, Collections: []string{"x"}},
	}
	kr := newKeyring(&cfg)
	cases := []struct {
		key, want string
	}{
		{"key-a", "a"},
		{"key-b", "b"},
		{"key-c", ""},
		{"", ""},
		{HashKey("key-a"), ""}, // the hash is not the key
	}
	for _, c := range cases {
		name := ""
		if got := kr.lookup(c.key); got != nil {
			name = got.name
		}
		if name != c.want {
			t.Errorf("lookup(%q) = %q, want %q", c.key, name, c.want)
		}
	}
	if kr.open() || !newKeyring(&config.Default().Server).open() {
		t.Error("open mode: want it exactly when no key is configured")
	}
	if h := HashKey("abc"); h != "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("HashKey = %s", h)
	}
}
