package kb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/model/extractive"
	"github.com/ragline/ragline/internal/model/llm"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/search"
)

// generated is the outcome of the generate step.
type generated struct {
	text      string
	citations []schema.Citation
	noAnswer  bool
	detail    map[string]any
	usage     model.Usage
	calls     int
	// finishReason is "length" or "tool_calls" for an incomplete answer.
	finishReason string
	toolCalls    []schema.ToolCall
}

// answer runs the configured generator. The LLM generator falls back to
// the extractive one when the model fails and generator.fallback is
// extractive; the step's detail says so.
func (k *KB) answer(ctx context.Context, collection string, p Perception, res search.Result, req AskRequest) (generated, error) {
	if k.llm == nil {
		return k.extractAnswer(ctx, collection, p, res, req, 0, nil)
	}
	if len(res.Hits) == 0 {
		// Nothing to answer from: no model call.
		g, err := k.extractAnswer(ctx, collection, p, res, req, 0, nil)
		g.detail["generator"] = "llm"
		g.detail["skipped"] = "no chunks retrieved"
		return g, err
	}
	// The same support score that decides the extractive answer gates the
	// model: passages that do not cover the question's key terms get "no
	// answer" without a model call, so both generators abstain alike.
	var support map[string]any
	// gated is the extractive answer the gate scored, reused if the model
	// fails and the extractive generator stands in.
	var gated *extractiveAnswer
	// A turn that offers the client's tools, or continues with their
	// results, is not gated: the model may answer by calling a tool, which
	// the passages need not cover.
	clientTools := req.Controls != nil && (len(req.Controls.Tools) > 0 || len(req.Controls.Continuation) > 0)
	if gate := k.cfg.Generator.LLMMinScore; gate > 0 && !clientTools {
		ex, err := k.extractive(ctx, collection, p, res)
		if err != nil {
			return generated{}, err
		}
		gated = &ex
		support = map[string]any{"score": round3(ex.Score), "llm_min_score": gate, "answer_type": ex.Type}
		if ex.Missing != "" {
			support["missing_term"] = ex.Missing
		}
		if ex.Score < gate {
			text := extractive.NoAnswerText(p.Language)
			if req.OnDelta != nil {
				if err := req.OnDelta(text); err != nil {
					return generated{}, err
				}
			}
			d := map[string]any{"generator": "llm", "model": k.models.ChatModel, "chunks": len(res.Hits),
				"decision": "abstain", "no_answer": true, "skipped": "below llm_min_score"}
			for key, v := range support {
				d[key] = v
			}
			return generated{text: text, noAnswer: true, detail: d}, nil
		}
	}
	emitted := 0
	var onDelta func(string) error
	if req.OnDelta != nil {
		onDelta = func(s string) error { emitted += len(s); return req.OnDelta(s) }
	}
	ans, err := k.llm.Generate(ctx, llm.Input{Question: p.Question, Language: p.Language, History: req.History, Hits: res.Hits, Controls: req.Controls}, onDelta)
	if err == nil {
		d := map[string]any{"generator": "llm", "model": k.models.ChatModel, "chunks": len(res.Hits),
			"citations": len(ans.Citations), "invalid_citations": ans.Invalid, "finish_reason": ans.FinishReason,
			"no_answer": ans.NoAnswer, "decision": decision(ans.NoAnswer),
			"prompt_tokens": ans.Usage.PromptTokens, "completion_tokens": ans.Usage.CompletionTokens}
		for key, v := range support {
			d[key] = v
		}
		return generated{
			text: ans.Text, citations: ans.Citations, noAnswer: ans.NoAnswer, usage: ans.Usage, calls: 1,
			finishReason: modelFinish(ans.FinishReason), toolCalls: toolCalls(ans.ToolCalls), detail: d,
		}, nil
	}
	if isCancel(ctx, err) || k.cfg.Generator.Fallback != "extractive" || errors.Is(err, llm.ErrOutputFormat) || req.Controls.NeedsModel() {
		return generated{}, fmt.Errorf("generate: %w", err)
	}
	k.fallback("generate")
	g, ferr := k.extractAnswer(ctx, collection, p, res, req, emitted, gated)
	g.usage, g.calls = ans.Usage, 1
	g.detail["fallback_from"] = "llm"
	g.detail["model"] = k.models.ChatModel
	g.detail["model_error"] = err.Error()
	return g, ferr
}

// extractAnswer is the extractive generator. With onDelta it sends the answer
// one cited sentence at a time; after a partial streamed answer (emitted
// bytes already sent) it first sends a paragraph break. scored, when not
// nil, is the extractive answer already computed for these hits, used
// instead of scoring them again.
func (k *KB) extractAnswer(ctx context.Context, collection string, p Perception, res search.Result, req AskRequest, emitted int, scored *extractiveAnswer) (generated, error) {
	onDelta := req.OnDelta
	if scored == nil {
		ex, err := k.extractive(ctx, collection, p, res)
		if err != nil {
			return generated{}, err
		}
		scored = &ex
	}
	ans := *scored
	g := generated{text: ans.Text, citations: ans.Citations, noAnswer: ans.NoAnswer,
		detail: map[string]any{"generator": "extractive", "sentences_scored": ans.Considered,
			"best_coverage": round3(ans.BestScore), "min_score": k.cfg.Generator.MinScore, "no_answer": ans.NoAnswer,
			"decision": decision(ans.NoAnswer), "score": round3(ans.Score), "answer_type": ans.Type}}
	if ans.Missing != "" {
		g.detail["missing_term"] = ans.Missing
	}
	if ans.translated {
		g.detail["answered_from"] = "translation"
	}
	if c := req.Controls; c != nil && (c.MaxTokens > 0 || len(c.Stop) > 0) {
		var cut bool
		g.text, g.citations, cut = extractive.Limit(g.text, g.citations, c.MaxTokens, c.Stop)
		if cut {
			g.finishReason = "length"
			g.detail["finish_reason"] = "length"
		}
	}
	if onDelta != nil {
		if emitted > 0 {
			if err := onDelta("\n\n"); err != nil {
				return g, err
			}
		}
		for _, piece := range Pieces(g.text, g.citations) {
			if err := onDelta(piece); err != nil {
				return g, err
			}
		}
	}
	return g, nil
}

// decision names the generate step's answer decision in the trace.
func decision(noAnswer bool) string {
	if noAnswer {
		return "abstain"
	}
	return "answer"
}

// extractiveAnswer is the extractive generator's answer and whether it
// came from the question's translation.
type extractiveAnswer struct {
	extractive.Answer
	translated bool
}

// extractive runs the extractive generator on the retrieved chunks. With
// a cross-lingual translation it also answers the translated question and
// keeps the better-supported answer, so a Chinese question can be
// answered from an English passage.
func (k *KB) extractive(ctx context.Context, collection string, p Perception, res search.Result) (extractiveAnswer, error) {
	terms := res.Terms
	for _, t := range p.TranslationTerms {
		terms = append(terms, t.Term)
	}
	df, total, err := k.lexical.DocFreq(ctx, collection, terms)
	if err != nil {
		return extractiveAnswer{}, err
	}
	st := extractive.Stats{DocFreq: df, Total: total}
	ans := extractiveAnswer{Answer: k.gen.GenerateTerms(p.Question, p.Language, p.Terms, res.Hits, st)}
	if p.Translation != "" {
		tr := k.gen.GenerateTerms(p.Translation, otherLanguage(p.Language), p.TranslationTerms, res.Hits, st)
		if tr.Score > ans.Score {
			if tr.NoAnswer {
				tr.Text = extractive.NoAnswerText(p.Language)
			}
			ans = extractiveAnswer{Answer: tr, translated: true}
		}
	}
	return ans, nil
}

// Pieces splits an answer after each citation marker, so a client can
// render it sentence by sentence; the pieces concatenate to the answer.
func Pieces(text string, citations []schema.Citation) []string {
	var out []string
	for _, c := range citations {
		m := fmt.Sprintf("[%d]", c.Index)
		i := strings.Index(text, m)
		if i < 0 {
			continue
		}
		out = append(out, text[:i+len(m)])
		text = text[i+len(m):]
	}
	if text != "" {
		out = append(out, text)
	}
	return out
}

// modelFinish keeps the finish reasons that say an answer is incomplete.
func modelFinish(reason string) string {
	if reason == "length" || reason == "tool_calls" {
		return reason
	}
	return ""
}

func toolCalls(calls []model.ToolCall) []schema.ToolCall {
	var out []schema.ToolCall
	for _, c := range calls {
		out = append(out, schema.ToolCall{ID: c.ID, Name: c.Name, Arguments: c.Arguments})
	}
	return out
}
