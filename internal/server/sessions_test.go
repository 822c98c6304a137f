package server

import (
	"strings"
	"testing"
)

func TestSessionsAndFeedback(t *testing.T) {
	srv := newTestServer(t, "")
	chat := func(body string) (int, map[string]any) {
		return do(t, "POST", srv.URL+"/v1/chat", "application/json", strings.NewReader(body))
	}
	code, first := chat(`{"message":"Is parking free for employees?"}`)
	sid, _ := first["session_id"].(string)
	if code != 200 || len(sid) < 8 || first["turn"].(float64) != 0 {
		t.Fatalf("first turn: %d %v", code, first)
	}
	code, second := chat(`{"message":"What do visitors pay?","session_id":"` + sid + `"}`)
	if code != 200 || second["session_id"] != sid || second["turn"].(float64) != 1 {
		t.Fatalf("second turn: %d %v", code, second)
	}
	// The session's history reached the perceive step.
	perceive := second["trace"].([]any)[0].(map[string]any)["detail"].(map[string]any)
	if perceive["follow_up"] != true || !strings.Contains(perceive["standalone"].(string), "Is parking free for employees?") {
		t.Fatalf("follow-up not perceived: %v", perceive)
	}
	code, sess := do(t, "GET", srv.URL+"/v1/sessions/"+sid, "", nil)
	turns, _ := sess["turns"].([]any)
	if code != 200 || len(turns) != 2 || turns[1].(map[string]any)["question"] != "What do visitors pay?" {
		t.Fatalf("session: %d %v", code, sess)
	}
	fb := func(body string) (int, map[string]any) {
		return do(t, "POST", srv.URL+"/v1/feedback", "application/json", strings.NewReader(body))
	}
	if code, out := fb(`{"session_id":"` + sid + `","turn":1,"rating":"up","comment":"clear"}`); code != 200 {
		t.Fatalf("feedback: %d %v", code, out)
	}
	for _, c := range []struct {
		body   string
		status int
		field  string
	}{
		{`{"session_id":"` + sid + `","turn":5,"rating":"up"}`, 400, ""},
		{`{"session_id":"` + sid + `","turn":0,"rating":"meh"}`, 400, "rating"},
		{`{"session_id":"` + sid + `","rating":"up"}`, 400, "turn"},
		{`{"turn":0,"rating":"up"}`, 400, "session_id"},
		{`{"session_id":"0123456789abcdef","turn":0,"rating":"up"}`, 404, ""},
	} {
		code, out := fb(c.body)
		e, _ := out["error"].(map[string]any)
		if code != c.status || e == nil || (c.field != "" && e["field"] != c.field) {
			t.Errorf("%s: %d %v", c.body, code, out)
		}
	}
	if code, out := chat(`{"message":"x","session_id":"../../etc"}`); code != 400 || out["error"].(map[string]any)["field"] != "session_id" {
		t.Errorf("bad session id: %d %v", code, out)
	}
	if code, _ := do(t, "DELETE", srv.URL+"/v1/sessions/"+sid, "", nil); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := do(t, "GET", srv.URL+"/v1/sessions/"+sid, "", nil); code != 404 {
		t.Fatalf("deleted session: %d", code)
	}
}
