package kb

import (
	"context"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/model/modeltest"
)

// TestLLMGateAbstainsWithoutModelCall: below generator.llm_min_score the
// LLM generator answers "no answer" without calling the model, and says
// why in the trace; above it, and with the gate off, the model answers.
func TestLLMGateAbstainsWithoutModelCall(t *testing.T) {
	srv := modelServer(t)
	yaml := `
models:
  chat: {provider: openai, base_url: ` + srv.URL + `/v1, model: scripted, max_retries: 0}
generator: {kind: llm, llm_min_score: %s}
`
	k := openWith(t, parseConfig(t, strings.Replace(yaml, "%s", "0.32", 1)), t.TempDir())
	ingestOK(t, k, quickstartDocs)
	ctx := context.Background()
	for _, q := range []string{"How do I reset my password?", "How many weeks of paid sabbatical leave do employees get?", "深圳工厂的前台电话是多少？"} {
		var streamed strings.Builder
		resp, err := k.AskWith(ctx, AskRequest{Question: q, OnDelta: func(s string) error { streamed.WriteString(s); return nil }})
		if err != nil {
			t.Fatal(err)
		}
		g := detail(resp, "generate")
		score, _ := g["score"].(float64)
		if !resp.NoAnswer || len(resp.Citations) != 0 || g["decision"] != "abstain" || g["skipped"] != "below llm_min_score" || score >= 0.32 || streamed.String() != resp.Answer {
			t.Errorf("%q: answer %q, generate step %v", q, resp.Answer, g)
		}
		if resp.Usage != nil {
			t.Errorf("%q: usage %+v without a model call", q, resp.Usage)
		}
	}
	if n := srv.Calls("/v1/chat/completions"); n != 0 {
		t.Fatalf("%d model calls below the threshold", n)
	}

	resp, err := k.Ask(ctx, "", "How many weeks of paid parental leave does a primary caregiver get?", nil)
	if err != nil {
		t.Fatal(err)
	}
	g := detail(resp, "generate")
	if resp.NoAnswer || g["decision"] != "answer" || g["score"].(float64) < 0.32 || srv.Calls("/v1/chat/completions") != 1 {
		t.Errorf("supported question: answer %q, generate step %v, %d calls", resp.Answer, g, srv.Calls("/v1/chat/completions"))
	}

	// With the gate off every question reaches the model.
	k2 := openWith(t, parseConfig(t, strings.Replace(yaml, "%s", "0", 1)), k.store.Path())
	if _, err := k2.Ask(ctx, "", "How do I reset my password?", nil); err != nil {
		t.Fatal(err)
	}
	if n := srv.Calls("/v1/chat/completions"); n != 2 {
		t.Errorf("gate off: %d model calls, want 2", n)
	}
}

// TestCrossLingualFusion: with retrieval.cross_lingual the model
// translates a Chinese question into English, both are retrieved and
// fused by RRF, and the English passage answers it; offline the same
// question gets "no answer".
func TestCrossLingualFusion(t *testing.T) {
	const question = "主要照顾者可以休几周带薪育儿假？"
	srv := modelServer(t)
	var translations int
	srv.Chat = func(r modeltest.ChatRequest) modeltest.Reply {
		if strings.Contains(r.Last(), "Translate this question into English") && strings.Contains(r.Last(), "主要照顾者可以休几周带薪育儿假") {
			translations++
			return modeltest.Reply{Text: "How many weeks of paid parental leave does a primary caregiver get?"}
		}
		return modeltest.Reply{Status: 400, Body: `{"error":{"message":"unexpected prompt"}}`}
	}
	k := openWith(t, parseConfig(t, `
models:
  chat: {provider: openai, base_url: `+srv.URL+`/v1, model: scripted, max_retries: 0}
retrieval: {cross_lingual: true}
`), t.TempDir())
	ingestOK(t, k, quickstartDocs)
	ctx := context.Background()
	resp, err := k.Ask(ctx, "", question, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, r, g := detail(resp, "perceive"), detail(resp, "retrieve"), detail(resp, "generate")
	if p["translation"] != "How many weeks of paid parental leave does a primary caregiver get?" || p["translated_by"] != "scripted" || translations != 1 {
		t.Errorf("perceive step %v, %d translations", p, translations)
	}
	lists, _ := r["lists"].(map[string]int)
	if r["fusion"] != "rrf" || lists["lexical"] == 0 || lists["lexical:translated"] == 0 {
		t.Errorf("retrieve step %v", r)
	}
	if resp.NoAnswer || !strings.Contains(resp.Answer, "16 weeks") || g["answered_from"] != "translation" {
		t.Errorf("answer %q, generate step %v", resp.Answer, g)
	}
	// The fused list holds passages found by each language.
	fromTranslation := false
	for _, line := range r["ranked"].([]string) {
		if strings.Contains(line, "lexical:translated") && strings.Contains(line, "vacation-and-leave.md") {
			fromTranslation = true
		}
	}
	if !fromTranslation {
		t.Errorf("no fused hit from the translated question: %v", r["ranked"])
	}

	off := openKB(t, k.store.Path(), true)
	resp, err = off.Ask(ctx, "", question, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.NoAnswer {
		t.Errorf("offline, a Chinese question answered only in English: %q", resp.Answer)
	}
}
