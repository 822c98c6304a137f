package cli

import (
	"context"
	"errors"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/eval"
	"github.com/ragline/ragline/internal/model/hashembed"
	"github.com/ragline/ragline/internal/model/judge"
	"github.com/ragline/ragline/internal/model/provider"
)

// evalJudge is the configured judge model as the evaluation runner wants
// it, or nil when models.judge is not set (offline runs never need one).
// Answer relevancy embeds with models.embedding; without one only
// faithfulness is scored.
func evalJudge(cfg *config.Config, an hashembed.Analyzer) (eval.Judge, error) {
	if !cfg.Models.Judge.Configured() {
		return nil, nil
	}
	set, err := provider.Build(cfg, provider.Hooks{Analyzer: an})
	if err != nil {
		return nil, err
	}
	j, err := judge.New(set.Judge, set.Embedder, judge.PromptsFrom(cfg.Models.Judge.Prompts))
	if err != nil {
		return nil, err
	}
	return judgeAdapter{j: j, relevancy: set.Embedder != nil}, nil
}

// judgeAdapter reports the judge's token usage as a count.
type judgeAdapter struct {
	j         *judge.Judge
	relevancy bool
}

func (a judgeAdapter) Faithfulness(ctx context.Context, question, answer string, contexts []string) (float64, int, error) {
	s, u, err := a.j.Faithfulness(ctx, question, answer, contexts)
	if errors.Is(err, judge.ErrNoStatements) {
		err = eval.ErrNotScored
	}
	return s, u.TotalTokens, err
}

func (a judgeAdapter) AnswerRelevancy(ctx context.Context, question, answer string) (float64, int, error) {
	if !a.relevancy {
		return 0, 0, eval.ErrNotScored
	}
	s, u, err := a.j.AnswerRelevancy(ctx, question, answer)
	return s, u.TotalTokens, err
}
