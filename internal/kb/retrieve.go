package kb

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/search"
)

// advancedRetrieval reports whether retrieval goes beyond one lexical
// list: vectors, multi-query expansions or a reranker.
func (k *KB) advancedRetrieval(p Perception) bool {
	return k.cfg.Retrieval.Mode != "lexical" || len(p.Expansions) > 0 || k.models.Reranker != nil
}

// retrieval is the outcome of the retrieve (and rerank) steps.
type retrieval struct {
	res    search.Result
	detail map[string]any
	// rerank is the rerank step's detail (nil: no reranker).
	rerank map[string]any
	usage  model.Usage
	called bool
}

// retrieveFused ranks chunks from every list the configuration asks for
// — lexical and/or vector, for the question and each expansion — fused
// by reciprocal rank fusion, optionally diversified (MMR) and reranked.
// A vector failure in hybrid mode and a reranker failure degrade (to the
// lexical lists, to the fused order) and are recorded; they never fail
// the question.
func (k *KB) retrieveFused(ctx context.Context, collection string, p Perception, topK int) (retrieval, error) {
	rc := k.cfg.Retrieval
	cand := max(rc.Candidates, topK)
	queries := append([]string{p.Standalone}, p.Expansions...)
	var lists []search.RankedList
	rows := map[string]int64{}
	name := func(kind string, i int) string {
		if i == 0 {
			return kind
		}
		return kind + ":q" + strconv.Itoa(i+1)
	}
	out := retrieval{detail: map[string]any{"mode": rc.Mode, "engine": rc.Engine, "top_k": topK, "candidates": cand}}
	var terms []string
	if rc.Mode != "vector" {
		for i, q := range queries {
			qt := p.Terms
			if i > 0 {
				qt = weighted(k.analyzer.Terms(q))
			}
			res, rws, err := k.lexical.RetrieveTermsRows(ctx, collection, qt, cand)
			if err != nil {
				return out, err
			}
			if i == 0 {
				terms = res.Terms
			}
			for j, h := range res.Hits {
				rows[h.Chunk.ID] = rws[j]
			}
			lists = append(lists, search.RankedList{Name: name("lexical", i), Weight: rc.Weights.Lexical, Hits: res.Hits})
		}
	}
	if rc.Mode != "lexical" {
		vl, err := k.vectorLists(ctx, collection, queries, cand, rows, name)
		switch {
		case err != nil && (rc.Mode == "vector" || isCancel(ctx, err)):
			return out, err
		case err != nil:
			k.fallback("vector")
			out.detail["vector_error"] = err.Error()
		default:
			lists = append(lists, vl...)
		}
	}
	if terms == nil {
		for _, t := range p.Terms {
			terms = append(terms, t.Term)
		}
	}
	fused := search.FuseRRF(float64(rc.RRFK), lists...)
	sizes := map[string]int{}
	for _, l := range lists {
		sizes[l.Name] = len(l.Hits)
	}
	out.detail["lists"] = sizes
	out.detail["rrf_k"] = rc.RRFK
	out.detail["weights"] = map[string]float64{"lexical": rc.Weights.Lexical, "vector": rc.Weights.Vector}
	if len(p.Expansions) > 0 {
		out.detail["queries"] = queries
	}
	if rc.MMRLambda > 0 && k.vectors != nil {
		fused = search.MMR(fused, len(fused), rc.MMRLambda, func(h schema.Hit) []float32 {
			id, ok := rows[h.Chunk.ID]
			if !ok {
				return nil
			}
			v, _ := k.vectors.Vector(ctx, collection, id)
			return v
		})
		out.detail["mmr_lambda"] = rc.MMRLambda
	}
	if k.models.Reranker != nil && len(fused) > 0 {
		fused, out.rerank, out.usage, out.called = k.rerank(ctx, p.Standalone, fused, topK)
		if err := ctx.Err(); err != nil {
			return out, err
		}
	}
	if len(fused) > topK {
		fused = fused[:topK]
	}
	out.res = search.Result{Terms: terms, Hits: make([]schema.Hit, len(fused))}
	ranked := make([]string, len(fused))
	for i, f := range fused {
		out.res.Hits[i] = f.Hit
		ranked[i] = f.Explain()
	}
	out.detail["terms"] = terms
	out.detail["hits"] = len(fused)
	out.detail["ranked"] = ranked
	return out, nil
}

// vectorLists embeds the queries in one call and searches each.
func (k *KB) vectorLists(ctx context.Context, collection string, queries []string, cand int, rows map[string]int64, name func(string, int) string) ([]search.RankedList, error) {
	vecs, err := k.models.Embedder.Embed(ctx, queries)
	if err != nil {
		return nil, fmt.Errorf("embed question: %w", err)
	}
	var lists []search.RankedList
	for i, v := range vecs {
		search.Normalize(v)
		matches, err := k.vectors.Search(ctx, collection, v, cand)
		if err != nil {
			return nil, err
		}
		hits, rws, err := k.lexical.Hits(ctx, matches)
		if err != nil {
			return nil, err
		}
		for j, h := range hits {
			rows[h.Chunk.ID] = rws[j]
		}
		lists = append(lists, search.RankedList{Name: name("vector", i), Weight: k.cfg.Retrieval.Weights.Vector, Hits: hits})
	}
	return lists, nil
}

// weighted gives each distinct term weight 1.
func weighted(terms []string) []schema.QueryTerm {
	seen := map[string]bool{}
	var out []schema.QueryTerm
	for _, t := range terms {
		if !seen[t] {
			seen[t] = true
			out = append(out, schema.QueryTerm{Term: t, Weight: 1})
		}
	}
	return out
}

// rerank reorders the fused candidates with the reranker and keeps
// models.rerank.top_n (default top_k) of them. On failure it keeps the
// fused order and says so in the step detail.
func (k *KB) rerank(ctx context.Context, query string, fused []search.Fused, topK int) ([]search.Fused, map[string]any, model.Usage, bool) {
	detail := map[string]any{"model": k.models.RerankModel, "provider": k.cfg.Models.Rerank.Provider, "candidates": len(fused)}
	docs := make([]string, len(fused))
	for i, f := range fused {
		docs[i] = f.Hit.Chunk.Text
	}
	// A listwise LLM reranker's tokens reach the token metric through the
	// chat client; the response's usage counts answer and query calls.
	var usage model.Usage
	called := false
	ranked, err := k.models.Reranker.Rerank(ctx, query, docs)
	if err != nil {
		if !isCancel(ctx, err) {
			k.fallback("rerank")
		}
		detail["error"] = err.Error()
		detail["fallback"] = "fused order"
		return fused, detail, usage, called
	}
	keep := k.cfg.Models.Rerank.TopN
	if keep <= 0 {
		keep = topK
	}
	out := make([]search.Fused, 0, min(keep, len(ranked)))
	order := make([]string, 0, cap(out))
	for _, r := range ranked {
		if len(out) == keep {
			break
		}
		f := fused[r.Index]
		f.Hit.Score = r.Score
		f.Hit.Rank = len(out) + 1
		out = append(out, f)
		order = append(order, fmt.Sprintf("%s from #%d score=%.4f", f.Hit.Source, r.Index+1, r.Score))
	}
	detail["kept"] = len(out)
	detail["ranked"] = order
	return out, detail, usage, called
}
