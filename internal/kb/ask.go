package kb

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"context"
	"fmt"
	"github.com/ragline/ragline/internal/telemetry"
	"strings"
	"time"

	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/search"
	"golang.org/x/text/unicode/norm"
)

// MaxQuestionChars bounds a question's length.
const MaxQuestionChars = 4000

// Retrieve returns the k best chunks of collection for query.
func (k *KB) Retrieve(ctx context.Context, collection, query string, n int) (search.Result, error) {
	if collection == "" {
		collection = k.cfg.Collection
	}
	if k.cfg.Retrieval.Mode == "lexical" && k.models.Reranker == nil {
		return k.lexical.Retrieve(ctx, collection, query, n)
	}
	// Vector or hybrid retrieval (and reranking) as configured, without
	// the model calls of query understanding.
	q := strings.TrimSpace(norm.NFKC.String(query))
	p := Perception{Question: q, Standalone: q, Terms: weighted(k.analyzer.Terms(q))}
	r, err := k.retrieveFused(ctx, collection, p, n)
	return r.res, err
}

// AskRequest is one question and how to answer it.
type AskRequest struct {
	// Collection defaults to the configuration's collection.
	Collection string
	Question   string
	// History holds the earlier messages of the conversation, oldest first.
	History []schema.Message
	// TopK, when > 0, overrides retrieval.top_k for this question.
	TopK int
	// Perception, when set, is used as the perceive step's result (a
	// caller that perceived the question already, such as the agent
	// layer); Ask then adds no perceive step of its own.
	Perception *Perception
	// OnDelta, when set, receives pieces of the answer text as they are
	// produced; an error from it stops the answer.
	OnDelta func(text string) error
	// Controls are the client's settings for the answer (limits, tools,
	// output format), if any.
	Controls *model.Controls
}

// Ask answers a question from collection with cited passages, tracing
// each step. history holds the earlier messages of the conversation,
// oldest first; the perceive step uses it to make a follow-up standalone.
func (k *KB) Ask(ctx context.Context, collection, question string, history []schema.Message) (schema.Response, error) {
	return k.AskWith(ctx, AskRequest{Collection: collection, Question: question, History: history})
}

// Perceive normalises and checks a question and understands it in the
// context of history: language, and the standalone question a follow-up
// stands for.
func (k *KB) Perceive(ctx context.Context, question string, history []schema.Message) (Perception, error) {
	q := strings.TrimSpace(norm.NFKC.String(question))
	if q == "" {
		return Perception{}, fmt.Errorf("%w: the question is empty", ErrInvalid)
	}
	if n := len([]rune(q)); n > MaxQuestionChars {
		return Perception{}, fmt.Errorf("%w: the question has %d characters, the limit is %d", ErrInvalid, n, MaxQuestionChars)
	}
	p := k.perceive(q, history)
	if k.query == nil {
		return p, nil
	}
	return p, k.understand(ctx, &p, history)
}

// understand lets models.chat rewrite a follow-up into a standalone
// question and write alternative phrasings. A failed call is noted and
// skipped (the rule-based understanding stands); only cancellation fails.
func (k *KB) understand(ctx context.Context, p *Perception, history []schema.Message) error {
	// done records one model call: its tokens, and a failure as a note
	// (the rule-based understanding stands). It reports whether the call
	// succeeded; only cancellation is an error.
	done := func(what string, u model.Usage, err error) (bool, error) {
		p.Usage, p.ModelCalls = p.Usage.Add(u), p.ModelCalls+1
		switch {
		case err != nil && isCancel(ctx, err):
			return false, err
		case err != nil:
			if p.ModelNotes == nil {
				p.ModelNotes = map[string]string{}
			}
			p.ModelNotes[what] = err.Error()
			k.fallback(what)
			return false, nil
		}
		return true, nil
	}
	if k.cfg.Retrieval.Rewrite && lastUserMessage(history) != "" {
		s, u, err := k.query.Rewrite(ctx, p.Question, history)
		if ok, err := done("rewrite", u, err); err != nil {
			return err
		} else if ok {
			p.Standalone, p.Rewritten = s, true
			p.FollowUp = s != p.Question
			p.Carried = nil
			p.Terms = weighted(k.analyzer.Terms(trimParticles(s)))
		}
	}
	if target := otherLanguage(p.Language); k.cfg.Retrieval.CrossLingual && target != "" {
		tr, u, err := k.query.Translate(ctx, p.Standalone, target)
		if ok, err := done("translate", u, err); err != nil {
			return err
		} else if ok {
			p.Translation = tr
			p.TranslationTerms = weighted(k.analyzer.Terms(trimParticles(tr)))
		}
	}
	if n := k.cfg.Retrieval.MultiQuery; n > 0 {
		qs, u, err := k.query.Expand(ctx, p.Standalone, n)
		if ok, err := done("expand", u, err); err != nil {
			return err
		} else if ok {
			p.Expansions = qs
		}
	}
	return nil
}

// AskWith answers req, tracing each step.
func (k *KB) AskWith(ctx context.Context, req AskRequest) (schema.Response, error) {
	collection := req.Collection
	if collection == "" {
		collection = k.cfg.Collection
	}
	topK := k.cfg.Retrieval.TopK
	if req.TopK > 0 {
		topK = req.TopK
	}
	var resp schema.Response
	tracer := telemetry.Tracer()
	ctx, span := tracer.Start(ctx, "ask", trace.WithAttributes(attribute.String("ragline.collection", collection)))
	defer span.End()
	// Each step is also an OpenTelemetry span, started at the step's start
	// time, so the trace in the response and the distributed trace agree.
	step := func(name string, start time.Time, detail map[string]any) {
		resp.Trace = append(resp.Trace, schema.TraceStep{
			Step:       name,
			DurationMS: float64(time.Since(start).Microseconds()) / 1000,
			Detail:     detail,
		})
		_, s := tracer.Start(ctx, name, trace.WithTimestamp(start))
		s.End()
	}

	var p Perception
	if req.Perception != nil {
		p = *req.Perception
	} else {
		t0 := time.Now()
		var err error
		if p, err = k.Perceive(ctx, req.Question, req.History); err != nil {
			return resp, err
		}
		pd := map[string]any{"question": p.Question, "language": p.Language, "collection": collection, "follow_up": p.FollowUp}
		if p.FollowUp {
			pd["standalone"] = p.Standalone
			pd["carried_terms"] = p.Carried
		}
		if p.Rewritten {
			pd["standalone"] = p.Standalone
			pd["rewritten_by"] = k.models.ChatModel
		}
		if len(p.Expansions) > 0 {
			pd["expansions"] = p.Expansions
		}
		if p.Translation != "" {
			pd["translation"] = p.Translation
			pd["translated_by"] = k.models.ChatModel
		}
		for what, e := range p.ModelNotes {
			pd[what+"_error"] = e
		}
		step("perceive", t0, pd)
	}
	usage, calls := p.Usage, p.ModelCalls

	t1 := time.Now()
	var res search.Result
	if !k.advancedRetrieval(p) {
		var err error
		res, err = k.lexical.RetrieveTerms(ctx, collection, p.Terms, topK)
		if err != nil {
			return resp, err
		}
		top := make([]string, 0, len(res.Hits))
		for _, h := range res.Hits {
			top = append(top, search.Explain(h))
		}
		detail := map[string]any{"mode": "lexical", "engine": k.cfg.Retrieval.Engine, "terms": res.Terms, "hits": len(res.Hits), "top_k": topK, "ranked": top}
		if len(res.Fuzzy) > 0 {
			detail["fuzzy"] = res.Fuzzy
		}
		step("retrieve", t1, detail)
	} else {
		r, err := k.retrieveFused(ctx, collection, p, topK)
		if err != nil {
			return resp, err
		}
		res = r.res
		if r.rerank != nil {
			d := r.rerank
			ms, _ := d["duration_ms"].(float64)
			delete(d, "duration_ms")
			step("retrieve", t1, r.detail)
			resp.Trace[len(resp.Trace)-1].DurationMS -= ms
			step("rerank", time.Now().Add(-time.Duration(ms*float64(time.Millisecond))), d)
			resp.Trace[len(resp.Trace)-1].DurationMS = ms
		} else {
			step("retrieve", t1, r.detail)
		}
		usage, calls = usage.Add(r.usage), calls+btoi(r.called)
	}

	t2 := time.Now()
	g, err := k.answer(ctx, collection, p, res, req)
	if err != nil {
		return resp, err
	}
	step("generate", t2, g.detail)
	usage, calls = usage.Add(g.usage), calls+g.calls

	resp.Answer = g.text
	resp.Citations = g.citations
	if resp.Citations == nil {
		resp.Citations = []schema.Citation{}
	}
	resp.NoAnswer = g.noAnswer
	resp.FinishReason, resp.ToolCalls = g.finishReason, g.toolCalls
	if calls > 0 {
		resp.Usage = &schema.Usage{PromptTokens: usage.PromptTokens, CompletionTokens: usage.CompletionTokens, TotalTokens: usage.TotalTokens}
	}
	resp.Digest, err = k.Digest(ctx)
	if err != nil {
		return resp, err
	}
	return resp, nil
}

// otherLanguage is the language a cross-lingual question is translated
// into: English questions into Chinese and Chinese ones into English.
func otherLanguage(lang string) string {
	switch lang {
	case "en":
		return "zh"
	case "zh":
		return "en"
	}
	return ""
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func round3(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }
