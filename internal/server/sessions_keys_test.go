package server

import (
	"testing"
)

// TestSessionsBelongToTheirKey checks that a session id used by one key
// reveals nothing of that conversation to another key.
func TestSessionsBelongToTheirKey(t *testing.T) {
	srv, _, _ := keyedServer(t, nil)
	chat := func(key, body string) map[string]any {
		t.Helper()
		resp, out := send(t, srv.URL, request{method: "POST", path: "/v1/chat", header: bearer(key), body: jsonBody(body)})
		if resp.StatusCode != 200 {
			t.Fatalf("chat: %d %v", resp.StatusCode, out)
		}
		return out
	}
	first := chat(readerKey, `{"message":"Is parking free for employees?"}`)
	sid := first["session_id"].(string)
	// The owner sees its session.
	if resp, out := send(t, srv.URL, request{method: "GET", path: "/v1/sessions/" + sid, header: bearer(readerKey)}); resp.StatusCode != 200 || out["id"] != sid {
		t.Fatalf("owner: %d %v", resp.StatusCode, out)
	}
	// Another key does not, and starts its own conversation under that id.
	if resp, _ := send(t, srv.URL, request{method: "GET", path: "/v1/sessions/" + sid, header: bearer(rootKey)}); resp.StatusCode != 404 {
		t.Fatalf("other key reads the session: %d", resp.StatusCode)
	}
	other := chat(rootKey, `{"message":"And visitors?","session_id":"`+sid+`"}`)
	if other["turn"].(float64) != 0 {
		t.Fatalf("other key continued the owner's conversation: %v", other)
	}
	if resp, _ := send(t, srv.URL, request{method: "POST", path: "/v1/feedback", header: bearer(rootKey), body: jsonBody(`{"session_id":"` + sid + `","turn":0,"rating":"down"}`)}); resp.StatusCode != 200 {
		t.Fatalf("feedback on its own turn: %d", resp.StatusCode)
	}
	mine := chat(readerKey, `{"message":"And visitors?","session_id":"`+sid+`"}`)
	if mine["turn"].(float64) != 1 {
		t.Fatalf("owner's second turn: %v", mine)
	}
}
