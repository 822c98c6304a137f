package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/config"
)

// TestInvokeTools calls registered tools through /v1/invoke: admin keys
// may call any tool, other keys only those tools.invoke lists for them;
// bad arguments get a 400 naming the problem; every call is counted.
func TestInvokeTools(t *testing.T) {
	srv, _, _ := keyedServer(t, func(c *config.Config) {
		c.Tools.Invoke = map[string][]string{"calculator": {"reader"}, "search_documents": {"scoped"}}
	})
	cases := []struct {
		name   string
		key    string
		body   string
		status int
		want   string
	}{
		{"admin", rootKey, `{"target":"calculator","input":{"expression":"17*23+4"}}`, 200, "395"},
		{"allow-listed key", readerKey, `{"target":"calculator","input":{"expression":"2^10"}}`, 200, "1024"},
		{"key not listed for the tool", readerKey, `{"target":"current_time","input":{}}`, 403, `may not invoke tool \"current_time\"`},
		{"admin, other tool", rootKey, `{"target":"current_time","input":{"zone":"Europe/Berlin"}}`, 200, "Europe/Berlin"},
		{"schema violation", rootKey, `{"target":"calculator","input":{"expr":"1"}}`, 400, "invalid arguments"},
		{"tool error", rootKey, `{"target":"calculator","input":{"expression":"1/0"}}`, 502, "division by zero"},
		{"host off the list", rootKey, `{"target":"http_request","input":{"url":"http://evil.example/"}}`, 403, "allowed_hosts"},
		{"key's own collection", scopedKey, `{"target":"search_documents","input":{"query":"parking"}}`, 200, "Parking is free"},
		{"collection the key may not use", scopedKey, `{"target":"search_documents","input":{"query":"salary","collection":"hr"}}`, 404, `collection \"hr\" does not exist`},
		{"admin, any collection", rootKey, `{"target":"search_documents","input":{"query":"salary","collection":"hr"}}`, 200, "Salary reviews"},
		{"unknown target", rootKey, `{"target":"rm_rf","input":{}}`, 400, "calculator"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, out := send(t, srv.URL, request{method: "POST", path: "/v1/invoke", header: bearer(c.key), body: jsonBody(c.body)})
			if resp.StatusCode != c.status || !strings.Contains(mustJSON(out), c.want) {
				t.Errorf("status %d body %s; want %d containing %s", resp.StatusCode, mustJSON(out), c.status, c.want)
			}
		})
	}
	for key, want := range map[string]string{readerKey: "calculator", rootKey: "calculator,current_time,http_request,search_documents"} {
		resp, out := send(t, srv.URL, request{method: "GET", path: "/v1/tools", header: bearer(key)})
		var may []string
		for _, tl := range out["tools"].([]any) {
			if m := tl.(map[string]any); m["invocable"] == true && m["parameters"] != nil && m["risk"] != "" {
				may = append(may, m["name"].(string))
			}
		}
		if resp.StatusCode != http.StatusOK || strings.Join(may, ",") != want {
			t.Errorf("GET /v1/tools: %d, invocable %v, want %s", resp.StatusCode, may, want)
		}
	}
	m := scrape(t, srv.URL)
	for _, want := range []string{
		`ragline_tool_calls_total{outcome="ok",tool="calculator"} 2`,
		`ragline_tool_calls_total{outcome="invalid",tool="calculator"} 1`,
		`ragline_tool_calls_total{outcome="error",tool="calculator"} 1`,
		`ragline_tool_calls_total{outcome="ok",tool="current_time"} 1`,
		`ragline_tool_calls_total{outcome="denied",tool="http_request"} 1`,
		`ragline_tool_calls_total{outcome="timeout",tool="search_documents"} 0`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("missing %s\n%s", want, grepLines(m, "ragline_tool_calls_total"))
		}
	}
}

// TestChatRoutesThroughAgent sends a rule-matched question through the
// chat and OpenAI-compatible routes.
func TestChatRoutesThroughAgent(t *testing.T) {
	srv := newServerWith(t, func(c *config.Config) {
		c.Agent.Intents = []config.IntentConfig{{Name: "math", Regex: []string{`^[\d\s+*/()-]+$`}}}
		c.Agent.Rules = []config.RuleConfig{
			{Name: "calc", When: config.RuleMatch{Intents: []string{"math"}}, Action: "tool", Tool: "calculator", Arguments: map[string]any{"expression": "{{.Question}}"}},
			{Name: "policy", When: config.RuleMatch{Keywords: []string{"password"}}, Action: "respond", Message: "No."},
		}
	})
	code, out := do(t, "POST", srv.URL+"/v1/chat", "application/json", strings.NewReader(`{"message":"17*23+4"}`))
	if code != http.StatusOK || !strings.Contains(out["answer"].(string), "395") || !strings.Contains(mustJSON(out["trace"]), `"tool":"calculator"`) {
		t.Errorf("chat: %d %s", code, mustJSON(out))
	}
	code, out = do(t, "POST", srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"default","messages":[{"role":"user","content":"what is my password"}]}`))
	if code != http.StatusOK || !strings.Contains(mustJSON(out), `"content":"No."`) {
		t.Errorf("completions: %d %s", code, mustJSON(out))
	}
	m := scrape(t, srv.URL)
	for _, want := range []string{`ragline_answers_total{outcome="refused"} 1`, `ragline_stage_duration_seconds_count{stage="tool"} 1`,
		`ragline_stage_duration_seconds_count{stage="decide"} 2`, `ragline_tool_calls_total{outcome="ok",tool="calculator"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("missing %s", want)
		}
	}
}

// TestRuleCollectionHeldToKey routes a question to another collection by
// rule: a key limited to the default collection is refused, not served
// from a collection it may not read.
func TestRuleCollectionHeldToKey(t *testing.T) {
	srv, _, _ := keyedServer(t, func(c *config.Config) {
		c.Agent.Rules = []config.RuleConfig{{Name: "hr", When: config.RuleMatch{Keywords: []string{"salary"}}, Action: "retrieve", Collection: "hr"}}
	})
	body := jsonBody(`{"message":"When are salary reviews?"}`)
	resp, out := send(t, srv.URL, request{method: "POST", path: "/v1/chat", header: bearer(scopedKey), body: body})
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(mustJSON(out), `collection \"hr\" does not exist`) {
		t.Errorf("scoped key: %d %s", resp.StatusCode, mustJSON(out))
	}
	resp, out = send(t, srv.URL, request{method: "POST", path: "/v1/chat", header: bearer(rootKey), body: body})
	if resp.StatusCode != http.StatusOK || !strings.Contains(mustJSON(out), "every March") {
		t.Errorf("admin key: %d %s", resp.StatusCode, mustJSON(out))
	}
}
