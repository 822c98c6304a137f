package kb

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"context"
	"fmt"
	"github.com/ragline/ragline/internal/telemetry"
	"strings"
	"time"

	"github.com/ragline/ragline/internal/model/extractive"
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
	return k.lexical.Retrieve(ctx, collection, query, n)
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
	return k.perceive(q, history), nil
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
		step("perceive", t0, pd)
	}

	t1 := time.Now()
	res, err := k.lexical.RetrieveTerms(ctx, collection, p.Terms, topK)
	if err != nil {
		return resp, err
	}
	top := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		top = append(top, search.Explain(h))
	}
	step("retrieve", t1, map[string]any{"mode": "lexical", "engine": k.cfg.Retrieval.Engine, "terms": res.Terms, "hits": len(res.Hits), "top_k": topK, "ranked": top})

	t2 := time.Now()
	df, total, err := k.lexical.DocFreq(ctx, collection, res.Terms)
	if err != nil {
		return resp, err
	}
	ans := k.gen.GenerateTerms(p.Language, p.Terms, res.Hits, extractive.Stats{DocFreq: df, Total: total})
	step("generate", t2, map[string]any{"generator": "extractive", "sentences_scored": ans.Considered,
		"best_coverage": round3(ans.BestScore), "min_score": k.cfg.Generator.MinScore, "no_answer": ans.NoAnswer})

	resp.Answer = ans.Text
	resp.Citations = ans.Citations
	if resp.Citations == nil {
		resp.Citations = []schema.Citation{}
	}
	resp.NoAnswer = ans.NoAnswer
	resp.Digest, err = k.Digest(ctx)
	if err != nil {
		return resp, err
	}
	return resp, nil
}

func round3(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }
