package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ragline/ragline/internal/agent"
	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/mcp"
	"github.com/ragline/ragline/internal/model/openai"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/tool"
)

// The ACL-leak suite: collection "alpha" (A) is open to the limited keys,
// collection "beta" (B, the configured default) holds a secret. Whatever
// route, key and way of naming B a request uses, nothing of B — its text,
// its document id, its source, even whether it exists — reaches a key
// limited to A. Admin and unlimited keys read B through the same requests,
// which proves each probe can see a leak.

// Keys of the ACL suite.
const (
	aclAdmin   = "rl_acl-admin-0123456789abcdef0123456789"
	aclChatA   = "rl_acl-chat-a-0123456789abcdef012345678"
	aclIngestA = "rl_acl-ingest-a-0123456789abcdef0123456"
	aclChat    = "rl_acl-chat-0123456789abcdef0123456789"
)

// The secret of collection B, as it could show up anywhere.
const (
	aclSecret = "zebraquartz"
	aclSource = "vault-beta"
)

// aclFixture is the server of the suite.
type aclFixture struct {
	url    string
	bDoc   string // B's document
	aDoc   string // A's document
	absent string // a document id that does not exist, shaped like bDoc
}

// toolCallingModel is an OpenAI-compatible chat server scripted as a
// model that does what a question asks: it calls search_documents and the
// imported MCP tools on collection B, then repeats every tool result in
// its answer, so anything a tool returned would reach the caller.
func toolCallingModel(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		last := req.Messages[len(req.Messages)-1]
		msg := map[string]any{"role": "assistant"}
		finish := "stop"
		if last.Role == "user" {
			coll := "beta"
			if strings.Contains(last.Content, "gamma") {
				coll = "gamma"
			}
			var calls []map[string]any
			for i, c := range [][2]string{
				{"search_documents", `{"query":"vault code","collection":"` + coll + `"}`},
				{"kb_search_documents", `{"query":"vault code","collection":"` + coll + `"}`},
				{"kb_ask", `{"question":"What is the vault code?","collection":"` + coll + `"}`},
			} {
				calls = append(calls, map[string]any{"id": fmt.Sprintf("call_%d", i), "type": "function",
					"function": map[string]any{"name": c[0], "arguments": c[1]}})
			}
			msg["tool_calls"], finish = calls, "tool_calls"
		} else {
			var results []string
			for _, m := range req.Messages {
				if m.Role == "tool" {
					results = append(results, m.Content)
				}
			}
			msg["content"] = "Tool results: " + strings.Join(results, " | ")
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-acl", "object": "chat.completion", "model": "scripted",
			"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}},
			"usage":   map[string]int{"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// newACLFixture builds the suite's server: rules that name collections
// every way a rule can, a tool-calling model, ragline's own MCP server
// imported as MCP tools ("kb_search_documents", "kb_ask"), and the four
// kinds of key.
func newACLFixture(t *testing.T) aclFixture {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.Collection = "beta"
	cfg.Server.Keys = []config.APIKey{
		{Name: "admin", Hash: HashKey(aclAdmin), Scopes: []string{"admin"}},
		{Name: "chat-a", Hash: HashKey(aclChatA), Scopes: []string{"chat"}, Collections: []string{"alpha"}},
		{Name: "ingest-a", Hash: HashKey(aclIngestA), Scopes: []string{"ingest"}, Collections: []string{"alpha"}},
		{Name: "chat", Hash: HashKey(aclChat), Scopes: []string{"chat"}},
	}
	cfg.Tools.Invoke = map[string][]string{"search_documents": {"chat-a", "chat"}, "kb_search_documents": {"chat-a", "chat"}, "kb_ask": {"chat-a", "chat"}}
	cfg.Agent.Tools = []string{"search_documents", "kb_search_documents", "kb_ask"}
	cfg.Agent.Rules = []config.RuleConfig{
		{Name: "lookup", When: config.RuleMatch{Regex: []string{`^lookup (?P<coll>[a-z]+): (?P<q>.+)$`}}, Action: "tool",
			Tool: "search_documents", Arguments: map[string]any{"collection": `{{.Group "coll"}}`, "query": `{{.Group "q"}}`}},
		{Name: "mcp-lookup", When: config.RuleMatch{Regex: []string{`^remote (?P<coll>[a-z]+): (?P<q>.+)$`}}, Action: "tool",
			Tool: "kb_search_documents", Arguments: map[string]any{"collection": `{{.Group "coll"}}`, "query": `{{.Group "q"}}`}},
		{Name: "fixed", When: config.RuleMatch{Keywords: []string{"fixedvault"}}, Action: "tool",
			Tool: "search_documents", Arguments: map[string]any{"collection": "beta", "query": aclSecret}},
		{Name: "unnamed", When: config.RuleMatch{Keywords: []string{"plainvault"}}, Action: "tool",
			Tool: "search_documents", Arguments: map[string]any{"query": aclSecret}},
		{Name: "route", When: config.RuleMatch{Keywords: []string{"routevault"}}, Action: "retrieve", Collection: "beta"},
	}
	k, err := kb.Open(ctx, cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	ids := map[string]string{}
	for col, f := range map[string][2]string{
		"alpha": {"parking-alpha.md", "# Parking\n\nParking is free for employees on level two of the garage.\n"},
		"beta":  {aclSource + ".md", "# Vault\n\nThe vault code is " + strings.ToUpper(aclSecret) + " 7741, changed every March.\n"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, f[0]), []byte(f[1]), 0o644); err != nil {
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

	// ragline's own MCP server over the same knowledge base, imported as
	// an MCP server named "kb": its tools take any collection.
	inner := tool.NewRegistry(tool.Options{})
	if err := inner.Register(tool.SearchDocuments(k, 5)); err != nil {
		t.Fatal(err)
	}
	innerAgent, err := agent.New(k, agent.Options{Config: config.Default(), Tools: inner})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := mcp.NewServer(inner, func(ctx context.Context, q, c string) (schema.Response, error) {
		return innerAgent.Run(ctx, agent.Request{Question: q, Collection: c})
	})
	if err != nil {
		t.Fatal(err)
	}
	mcpSrv := httptest.NewServer(sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return ms }, nil))
	t.Cleanup(mcpSrv.Close)
	client, err := mcp.Connect(ctx, config.MCPServerConfig{Name: "kb", URL: mcpSrv.URL, Timeout: config.Duration(10 * time.Second), Risk: "low"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })

	reg := tool.NewRegistry(tool.Options{})
	if err := tool.RegisterBuiltins(reg, cfg, k); err != nil {
		t.Fatal(err)
	}
	for _, tl := range client.Tools() {
		if err := reg.Register(tl); err != nil {
			t.Fatal(err)
		}
	}
	llm := toolCallingModel(t)
	chat, err := openai.New(openai.Options{Provider: "openai", BaseURL: llm.URL + "/v1", Model: "scripted", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ag, err := agent.New(k, agent.Options{Config: cfg, Tools: reg, Chat: chat})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(k, Options{Config: cfg, Agent: ag, Tools: reg}))
	t.Cleanup(srv.Close)
	absent := strings.Repeat("0", len(ids["beta"]))
	return aclFixture{url: srv.URL, bDoc: ids["beta"], aDoc: ids["alpha"], absent: absent}
}

// aclProbe is one request of the suite, written with {C} for the
// collection it names and {D} for the document.
type aclProbe struct {
	name         string
	method, path string
	body         string // JSON, or "upload" for a multipart upload
	// reveals: an unlimited key with the chat (or ingest) scope gets B's
	// secret back from this probe, so a limited key getting it is a leak
	// the probe would see.
	reveals bool
	// sameAsAbsent: naming an absent collection ("gamma") or document
	// must answer exactly as naming B.
	sameAsAbsent bool
}

// aclProbes lists every route that reads or writes a collection's
// content, with each way of naming the collection it offers.
var aclProbes = []aclProbe{
	{"chat: body field", "POST", "/v1/chat", `{"message":"What is the vault code?","collection":"{C}"}`, true, true},
	{"chat: streamed", "POST", "/v1/chat", `{"message":"What is the vault code?","collection":"{C}","stream":true}`, true, true},
	{"chat: default collection", "POST", "/v1/chat", `{"message":"What is the vault code?"}`, true, false},
	{"chat: rule routes to B", "POST", "/v1/chat", `{"message":"routevault: what is the code?","collection":"alpha"}`, true, false},
	{"chat: rule tool, collection from the question", "POST", "/v1/chat", `{"message":"lookup {C}: vault code","collection":"alpha"}`, true, true},
	{"chat: rule tool, fixed collection", "POST", "/v1/chat", `{"message":"fixedvault please","collection":"alpha"}`, true, false},
	{"chat: rule tool, MCP-imported", "POST", "/v1/chat", `{"message":"remote {C}: vault code","collection":"alpha"}`, true, true},
	{"chat: tool-calling loop", "POST", "/v1/chat", `{"message":"Search {C} for the vault code.","collection":"alpha"}`, true, false},
	{"invoke: retrieve", "POST", "/v1/invoke", `{"target":"retrieve","input":{"query":"vault code","collection":"{C}"}}`, true, true},
	{"invoke: retrieve, default", "POST", "/v1/invoke", `{"target":"retrieve","input":{"query":"vault code"}}`, true, false},
	{"invoke: answer", "POST", "/v1/invoke", `{"target":"answer","input":{"question":"What is the vault code?","collection":"{C}"}}`, true, true},
	{"invoke: search_documents", "POST", "/v1/invoke", `{"target":"search_documents","input":{"query":"vault code","collection":"{C}"}}`, true, true},
	{"invoke: search_documents, default", "POST", "/v1/invoke", `{"target":"search_documents","input":{"query":"vault code"}}`, true, false},
	{"invoke: MCP-imported search", "POST", "/v1/invoke", `{"target":"kb_search_documents","input":{"query":"vault code","collection":"{C}"}}`, true, true},
	{"invoke: MCP-imported ask", "POST", "/v1/invoke", `{"target":"kb_ask","input":{"question":"What is the vault code?","collection":"{C}"}}`, true, true},
	{"completions: model", "POST", "/v1/chat/completions", `{"model":"{C}","messages":[{"role":"user","content":"What is the vault code?"}]}`, true, true},
	{"completions: streamed", "POST", "/v1/chat/completions", `{"model":"{C}","stream":true,"messages":[{"role":"user","content":"What is the vault code?"}]}`, true, true},
	{"completions: default model", "POST", "/v1/chat/completions", `{"model":"default","messages":[{"role":"user","content":"What is the vault code?"}]}`, true, false},
	{"model", "GET", "/v1/models/{C}", "", false, true},
	{"models", "GET", "/v1/models", "", false, false},
	{"collections", "GET", "/v1/collections", "", false, false},
	{"documents of a collection", "GET", "/v1/collections/{C}/documents", "", true, true},
	{"document", "GET", "/v1/documents/{D}", "", true, true},
	{"page image", "GET", "/v1/documents/{D}/pages/1.png", "", false, true},
	{"upload", "POST", "/v1/collections/{C}/documents", "upload", false, true},
	{"delete", "DELETE", "/v1/documents/{D}", "", false, true},
}

// aclSend makes one probe request and returns its status and raw body.
func aclSend(t *testing.T, base, key string, p aclProbe, coll, doc string) (int, string) {
	t.Helper()
	fill := func(s string) string { return strings.NewReplacer("{C}", coll, "{D}", doc).Replace(s) }
	var body io.Reader
	ctype := ""
	switch p.body {
	case "":
	case "upload":
		ctype, body = multipartBody(t, map[string][]byte{"note.md": []byte("# Note\n\nA harmless note.\n")})
	default:
		ctype, body = "application/json", strings.NewReader(fill(p.body))
	}
	req, err := http.NewRequest(p.method, base+fill(p.path), body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// leaks names what of collection B a response body shows; B's document
// id counts unless the request named it itself.
func (f aclFixture) leaks(body string, named ...string) []string {
	var found []string
	low := strings.ToLower(body)
	markers := []string{aclSecret, aclSource}
	if len(named) == 0 {
		markers = append(markers, strings.ToLower(f.bDoc))
	}
	for _, m := range markers {
		if strings.Contains(low, m) {
			found = append(found, m)
		}
	}
	if strings.Contains(low, `"beta"`) && !strings.Contains(low, `collection \"beta\" does not exist`) && !strings.Contains(low, `model \"beta\" does not exist`) {
		found = append(found, `the name "beta" outside a not-found error`)
	}
	return found
}

func TestACLLeaks(t *testing.T) {
	f := newACLFixture(t)
	for _, p := range aclProbes {
		t.Run(p.name, func(t *testing.T) {
			doc := f.bDoc
			// The write probes run last for each key, so that the
			// delete does not take the document from the others.
			for _, key := range []struct {
				name, key string
				limited   bool
			}{{"chat limited to A", aclChatA, true}, {"ingest limited to A", aclIngestA, true}, {"unlimited chat", aclChat, false}, {"admin", aclAdmin, false}} {
				if p.method == "DELETE" && !key.limited {
					continue // the unlimited keys would delete B's document
				}
				code, body := aclSend(t, f.url, key.key, p, "beta", doc)
				if key.limited {
					var named []string
					if strings.Contains(p.path, "{D}") {
						named = append(named, doc)
					}
					if leaked := f.leaks(body, named...); len(leaked) > 0 {
						t.Errorf("%s: %d %s\nleaks %s", key.name, code, clipBody(body), strings.Join(leaked, ", "))
					}
					if p.sameAsAbsent && !strings.Contains(body, "lacks scope") {
						// Forbidden and absent must look the same: same status,
						// same body once the names are swapped.
						aCode, aBody := aclSend(t, f.url, key.key, p, "gamma", f.absent)
						swapped := strings.NewReplacer("gamma", "beta", f.absent, doc).Replace(aBody)
						if aCode != code || normalBody(swapped) != normalBody(body) {
							t.Errorf("%s: B answers %d %s\nan absent collection answers %d %s", key.name, code, clipBody(body), aCode, clipBody(aBody))
						}
					}
					continue
				}
				scope := "chat"
				if p.method == "DELETE" || p.body == "upload" {
					scope = "ingest"
				}
				if p.reveals && scope == "chat" && len(f.leaks(body)) == 0 {
					t.Errorf("%s: %d %s\nshows nothing of B: the probe cannot see a leak", key.name, code, clipBody(body))
				}
			}
		})
	}
}

// normalBody drops what differs between any two responses (durations,
// times, ids made per request) so that bodies can be compared.
func normalBody(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				switch k {
				case "duration_ms", "created", "id", "session_id", "digest":
					x[k] = nil
				default:
					x[k] = walk(val)
				}
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return v
	}
	b, _ := json.Marshal(walk(v))
	return string(b)
}

// storedID matches the store's name of a session in an error message.
var storedID = regexp.MustCompile(`[0-9a-f]{32}`)

func clipBody(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// TestACLSessionsAndFeedback checks that a conversation about B held by
// an unlimited key is invisible to a key limited to A: reading it,
// listing it and rating it answer as for a session that does not exist.
func TestACLSessionsAndFeedback(t *testing.T) {
	f := newACLFixture(t)
	code, body := aclSend(t, f.url, aclAdmin, aclProbe{method: "POST", path: "/v1/chat",
		body: `{"message":"What is the vault code?","collection":"beta","session_id":"admin-session-1"}`}, "", "")
	if code != http.StatusOK || len(f.leaks(body)) == 0 {
		t.Fatalf("admin conversation about B: %d %s", code, clipBody(body))
	}
	for _, p := range []aclProbe{
		{name: "session", method: "GET", path: "/v1/sessions/{C}"},
		{name: "delete session", method: "DELETE", path: "/v1/sessions/{C}"},
		{name: "feedback", method: "POST", path: "/v1/feedback", body: `{"session_id":"{C}","turn":1,"rating":"down"}`},
		{name: "sessions", method: "GET", path: "/v1/sessions"},
		{name: "continue the session", method: "POST", path: "/v1/chat", body: `{"message":"And the code again?","collection":"alpha","session_id":"{C}"}`},
	} {
		for _, key := range []string{aclChatA, aclChat} {
			if p.name == "continue the session" && key == aclChat {
				continue // this key may read B itself: only the limited key tells
			}
			code, body := aclSend(t, f.url, key, p, "admin-session-1", "")
			if leaked := f.leaks(body); len(leaked) > 0 {
				t.Errorf("%s with another key: %d %s\nleaks %s", p.name, code, clipBody(body), strings.Join(leaked, ", "))
			}
			if p.name == "continue the session" || p.name == "sessions" {
				continue
			}
			aCode, aBody := aclSend(t, f.url, key, p, "absent-session-1", "")
			if aCode != code || storedID.ReplaceAllString(aBody, "") != storedID.ReplaceAllString(body, "") {
				t.Errorf("%s: another key's session answers %d %s, an absent one %d %s", p.name, code, body, aCode, aBody)
			}
		}
	}
	// The owner still sees it: the probes above could have seen it too.
	if code, body := aclSend(t, f.url, aclAdmin, aclProbe{method: "GET", path: "/v1/sessions/admin-session-1"}, "", ""); code != http.StatusOK || len(f.leaks(body)) == 0 {
		t.Errorf("owner: %d %s", code, clipBody(body))
	}
}
