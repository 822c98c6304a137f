package judge

import (
	"testing"

	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/model/hashembed"
)

// hashembedFor is the deterministic test embedder (shared terms make
// questions similar); the embedder is local, only the judge is scripted.
func hashembedFor(t *testing.T) model.Embedder { return hashembed.New(wordsAnalyzer{}, 256) }
