package rerank

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/model/openai"
)

// HTTP is a reranker served over HTTP.
type HTTP struct {
	c      *openai.Client
	format string // "tei", "cohere" or "jina"
	model  string
	path   string
}

var _ model.Reranker = (*HTTP)(nil)

// NewHTTP returns a reranker speaking format ("tei", "cohere" or "jina")
// through c, whose base URL is the server root (TEI) or API root
// (Cohere/Jina: https://api.jina.ai or …/v1).
func NewHTTP(c *openai.Client, format, baseURL string) (*HTTP, error) {
	r := &HTTP{c: c, format: format, model: c.Model()}
	switch format {
	case "tei":
		r.path = "rerank"
	case "cohere", "jina":
		r.path = "v1/rerank"
		b := strings.TrimRight(baseURL, "/")
		if strings.HasSuffix(b, "/v1") || strings.HasSuffix(b, "/v2") {
			r.path = "rerank"
		}
	default:
		return nil, fmt.Errorf("rerank: unknown wire format %q (want tei, cohere or jina)", format)
	}
	return r, nil
}

type (
	teiRequest struct {
		Query     string   `json:"query"`
		Texts     []string `json:"texts"`
		Truncate  bool     `json:"truncate"`
		RawScores bool     `json:"raw_scores"`
	}
	teiResult struct {
		Index int     `json:"index"`
		Score float64 `json:"score"`
	}
	cohereRequest struct {
		Model     string   `json:"model,omitempty"`
		Query     string   `json:"query"`
		Documents []string `json:"documents"`
		TopN      int      `json:"top_n"`
	}
	cohereResponse struct {
		Results []struct {
			Index          int     `json:"index"`
			RelevanceScore float64 `json:"relevance_score"`
		} `json:"results"`
	}
)

// Rerank scores docs for query, best first.
func (r *HTTP) Rerank(ctx context.Context, query string, docs []string) ([]model.Ranked, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	var out []model.Ranked
	if r.format == "tei" {
		var res []teiResult
		if err := r.c.PostJSON(ctx, r.path, teiRequest{Query: query, Texts: docs, Truncate: true}, &res); err != nil {
			return nil, err
		}
		for _, x := range res {
			out = append(out, model.Ranked{Index: x.Index, Score: x.Score})
		}
	} else {
		var res cohereResponse
		if err := r.c.PostJSON(ctx, r.path, cohereRequest{Model: r.model, Query: query, Documents: docs, TopN: len(docs)}, &res); err != nil {
			return nil, err
		}
		for _, x := range res.Results {
			out = append(out, model.Ranked{Index: x.Index, Score: x.RelevanceScore})
		}
	}
	return clean(out, len(docs))
}

// clean checks indexes, drops duplicates and sorts best first (stable on
// input order for equal scores).
func clean(in []model.Ranked, n int) ([]model.Ranked, error) {
	seen := make(map[int]bool, len(in))
	out := make([]model.Ranked, 0, len(in))
	for _, x := range in {
		if x.Index < 0 || x.Index >= n {
			return nil, fmt.Errorf("rerank: the server returned index %d for %d documents", x.Index, n)
		}
		if !seen[x.Index] {
			seen[x.Index] = true
			out = append(out, x)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Index < out[j].Index
	})
	return out, nil
}
