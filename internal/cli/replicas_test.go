package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/redistest"
)

// turnResponse is the part of a chat response this test reads.
type turnResponse struct {
	Answer    string `json:"answer"`
	SessionID string `json:"session_id"`
	Turn      int    `json:"turn"`
	Trace     []struct {
		Step   string         `json:"step"`
		Detail map[string]any `json:"detail"`
	} `json:"trace"`
}

func (s *cliServer) turn(sessionID, message string) turnResponse {
	s.t.Helper()
	body, _ := json.Marshal(map[string]string{"message": message, "session_id": sessionID})
	resp, err := client.Post(s.base+"/v1/chat", "application/json", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		s.t.Fatalf("chat: %s: %s\n%s", resp.Status, b, s.log())
	}
	var r turnResponse
	if err := json.Unmarshal(b, &r); err != nil {
		s.t.Fatal(err)
	}
	return r
}

// TestReplicasShareSessionsInRedis runs two real `ragline serve` processes
// on one knowledge base with their sessions in one real (throwaway) Redis,
// as replicas behind a Kubernetes Service would. A conversation continues
// whichever replica gets the next turn, and after a replica restarts.
func TestReplicasShareSessionsInRedis(t *testing.T) {
	addr := redistest.Start(t)
	data := t.TempDir()
	if code, _, stderr := run(t, "ingest", "--data", data, quickstartDocs); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	cfg := filepath.Join(t.TempDir(), "ragline.yaml")
	yaml := fmt.Sprintf("sessions:\n  store: redis\n  url: redis://%s/0\n  ttl: 1h\n", addr)
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	serve := func() *cliServer {
		return startServer(t, "serve", "--config", cfg, "--data", data, "--read-only", "--addr", "127.0.0.1:0")
	}
	a, b := serve(), serve()

	first := a.turn("", "How many weeks of paid parental leave does a primary caregiver get?")
	if first.Turn != 0 || len(first.SessionID) < 8 || !strings.Contains(first.Answer, "16 weeks") {
		t.Fatalf("first turn on replica A: %+v", first)
	}
	second := b.turn(first.SessionID, "And secondary caregivers?")
	if second.Turn != 1 || second.Trace[0].Detail["follow_up"] != true || !strings.Contains(second.Answer, "6 weeks") {
		t.Fatalf("second turn on replica B did not see the history: %+v", second)
	}
	a.stop()
	a2 := serve()
	third := a2.turn(first.SessionID, "How many vacation days do new employees get?")
	if third.Turn != 2 {
		t.Fatalf("third turn on restarted replica A: turn %d", third.Turn)
	}
	code, body := b.get("/v1/sessions/" + first.SessionID)
	var sess struct {
		Turns []struct {
			Question string `json:"question"`
		} `json:"turns"`
	}
	if err := json.Unmarshal([]byte(body), &sess); err != nil || code != 200 || len(sess.Turns) != 3 {
		t.Fatalf("session seen from B: %d %s", code, body)
	}
	if sess.Turns[1].Question != "And secondary caregivers?" {
		t.Errorf("turn order: %+v", sess.Turns)
	}
	b.stop()
	a2.stop()
}
