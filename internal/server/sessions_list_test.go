package server

import (
	"testing"
)

// TestListSessions checks that GET /v1/sessions lists a key's own
// conversations under the ids it used, newest first, and nothing of
// another key's.
func TestListSessions(t *testing.T) {
	srv, _, _ := keyedServer(t, nil)
	chat := func(key, body string) string {
		t.Helper()
		resp, out := send(t, srv.URL, request{method: "POST", path: "/v1/chat", header: bearer(key), body: jsonBody(body)})
		if resp.StatusCode != 200 {
			t.Fatalf("chat: %d %v", resp.StatusCode, out)
		}
		return out["session_id"].(string)
	}
	list := func(key, query string) []any {
		t.Helper()
		resp, out := send(t, srv.URL, request{method: "GET", path: "/v1/sessions" + query, header: bearer(key)})
		if resp.StatusCode != 200 {
			t.Fatalf("list: %d %v", resp.StatusCode, out)
		}
		return out["sessions"].([]any)
	}
	if got := list(readerKey, ""); len(got) != 0 {
		t.Fatalf("before any chat: %v", got)
	}
	first := chat(readerKey, `{"message":"Is parking free for employees?"}`)
	chat(readerKey, `{"message":"Where is it?","session_id":"`+first+`"}`)
	second := chat(readerKey, `{"message":"Which level is parking on?","session_id":"my-own-id-0001"}`)
	chat(rootKey, `{"message":"Is parking free?","session_id":"`+first+`"}`) // same id, other key

	got := list(readerKey, "")
	if len(got) != 2 {
		t.Fatalf("reader's sessions: %v", got)
	}
	newest, oldest := got[0].(map[string]any), got[1].(map[string]any)
	if newest["id"] != second || oldest["id"] != first {
		t.Errorf("order or ids: %v", got)
	}
	if oldest["title"] != "Is parking free for employees?" || oldest["turns"] != 2.0 || newest["turns"] != 1.0 {
		t.Errorf("summaries: %v", got)
	}
	if got := list(readerKey, "?limit=1"); len(got) != 1 || got[0].(map[string]any)["id"] != second {
		t.Errorf("limit 1: %v", got)
	}
	root := list(rootKey, "")
	if len(root) != 1 || root[0].(map[string]any)["id"] != first || root[0].(map[string]any)["title"] != "Is parking free?" {
		t.Errorf("root's sessions: %v", root)
	}
	// A listed id opens the conversation; deleting it takes it off the list.
	if resp, out := send(t, srv.URL, request{method: "GET", path: "/v1/sessions/" + second, header: bearer(readerKey)}); resp.StatusCode != 200 || out["id"] != second {
		t.Fatalf("open listed session: %d %v", resp.StatusCode, out)
	}
	if resp, _ := send(t, srv.URL, request{method: "DELETE", path: "/v1/sessions/" + second, header: bearer(readerKey)}); resp.StatusCode != 200 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if got := list(readerKey, ""); len(got) != 1 || got[0].(map[string]any)["id"] != first {
		t.Errorf("after delete: %v", got)
	}
	for _, q := range []string{"?limit=0", "?limit=101", "?limit=x"} {
		if resp, out := send(t, srv.URL, request{method: "GET", path: "/v1/sessions" + q, header: bearer(readerKey)}); resp.StatusCode != 400 || out["error"].(map[string]any)["field"] != "limit" {
			t.Errorf("%s: %d %v", q, resp.StatusCode, out)
		}
	}
	if resp, _ := send(t, srv.URL, request{method: "GET", path: "/v1/sessions"}); resp.StatusCode != 401 {
		t.Errorf("no key: %d", resp.StatusCode)
	}
}

// TestListSessionsOpenMode lists every conversation when no key is
// configured.
func TestListSessionsOpenMode(t *testing.T) {
	srv := newTestServer(t, "")
	_, out := post(t, srv.URL+"/v1/chat", "", `{"message":"Is parking free for employees?"}`)
	resp, list := send(t, srv.URL, request{method: "GET", path: "/v1/sessions"})
	sessions, _ := list["sessions"].([]any)
	if resp.StatusCode != 200 || len(sessions) != 1 || sessions[0].(map[string]any)["id"] != out["session_id"] {
		t.Fatalf("%d %v (chat gave %v)", resp.StatusCode, list, out["session_id"])
	}
}
