package server

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestMetricsContract drives the API and checks the documented metric
// series and their exact counts on /metrics.
func TestMetricsContract(t *testing.T) {
	srv := newTestServer(t, "")
	_, a := do(t, "POST", srv.URL+"/v1/chat", "application/json", strings.NewReader(`{"message":"Is parking free for employees?"}`))
	do(t, "POST", srv.URL+"/v1/chat", "application/json", strings.NewReader(`{"message":"What is the share price of the company stock?"}`))
	do(t, "POST", srv.URL+"/v1/chat", "application/json", strings.NewReader(`{"message":""}`))
	do(t, "POST", srv.URL+"/v1/feedback", "application/json", strings.NewReader(`{"session_id":"`+a["session_id"].(string)+`","turn":0,"rating":"down"}`))
	ctype, body := multipartBody(t, map[string][]byte{"a.md": []byte("# A\n\nAlpha beta gamma.\n"), "b.bin": {0, 0, 1, 2}})
	do(t, "POST", srv.URL+"/v1/collections/x/documents", ctype, body)

	m := scrape(t, srv.URL)
	for _, want := range []string{
		`ragline_http_requests_total{code="200",method="POST",route="POST /v1/chat"} 2`,
		`ragline_http_requests_total{code="400",method="POST",route="POST /v1/chat"} 1`,
		`ragline_answers_total{outcome="answered"} 1`,
		`ragline_answers_total{outcome="no_answer"} 1`,
		`ragline_answers_total{outcome="refused"} 0`,
		`ragline_feedback_total{rating="down"} 1`,
		`ragline_feedback_total{rating="up"} 0`,
		`ragline_ingest_documents_total{result="added"} 1`, // a.md; the start-up corpus is ingested before the server exists
		`ragline_stage_duration_seconds_count{stage="retrieve"} 2`,
		`ragline_stage_duration_seconds_count{stage="generate"} 2`,
		`ragline_http_request_duration_seconds_count{route="POST /v1/chat"} 3`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("missing %s", want)
		}
	}
	if !strings.Contains(m, `ragline_ingest_documents_total{result="failed"} 1`) {
		t.Errorf("failed upload not counted")
	}
	if !regexp.MustCompile(`ragline_build_info\{digest="[0-9a-f]{64}",version="[^"]*"\} 1`).MatchString(m) {
		t.Errorf("build info missing:\n%s", grepLines(m, "ragline_build_info"))
	}
	if strings.Count(m, "ragline_build_info{") != 1 {
		t.Errorf("build info must have exactly one series:\n%s", grepLines(m, "ragline_build_info"))
	}
	// Every response carries a request id.
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id on responses")
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
