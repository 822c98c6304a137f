package kb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/model/llm"
	"github.com/ragline/ragline/internal/model/provider"
	"github.com/ragline/ragline/internal/search"
	"github.com/ragline/ragline/internal/store"
)

// Observer receives model events for metrics; either function may be nil.
type Observer struct {
	// Tokens counts n tokens of kind "prompt" or "completion" for model.
	Tokens func(model, kind string, n int)
	// Fallback counts a model failure a question survived, by component
	// (generate, rerank, rewrite, expand, vector).
	Fallback func(component string)
}

// Observe sets the observer of model events (e.g. the server's metrics).
func (k *KB) Observe(o Observer) { k.observer.Store(&o) }

func (k *KB) observe() Observer {
	if o := k.observer.Load(); o != nil {
		return *o
	}
	return Observer{}
}

func (k *KB) onUsage(name string, u model.Usage) {
	if f := k.observe().Tokens; f != nil {
		f(name, "prompt", u.PromptTokens)
		f(name, "completion", u.CompletionTokens)
	}
}

func (k *KB) fallback(component string) {
	if f := k.observe().Fallback; f != nil {
		f(component)
	}
}

// modelState is what the configured models add to a knowledge base.
type modelState struct {
	models   provider.Set
	llm      *llm.Generator
	query    *llm.Query
	vectors  *search.Vectors
	observer atomic.Pointer[Observer]
}

// setupModels builds the configured models and checks that the knowledge
// base's vectors come from the configured embedder.
func (k *KB) setupModels(ctx context.Context) error {
	set, err := provider.Build(k.cfg, provider.Hooks{OnUsage: k.onUsage, Analyzer: k.analyzer})
	if err != nil {
		return err
	}
	k.models = set
	if set.Chat != nil {
		if k.cfg.Generator.Kind == "llm" {
			g := k.cfg.Generator.Prompts
			if k.llm, err = llm.New(set.Chat, llm.Options{Prompts: llm.Prompts{System: g.System, User: g.User}}); err != nil {
				return fmt.Errorf("generator.prompts: %w", err)
			}
		}
		q := k.cfg.Retrieval.Prompts
		if k.query, err = llm.NewQuery(set.Chat, q.Rewrite, q.Expand); err != nil {
			return fmt.Errorf("retrieval.prompts: %w", err)
		}
	}
	if e := set.Embedder; e != nil {
		if err := k.store.CheckEmbedder(ctx, e.ID(), e.Dimensions()); err != nil {
			return err
		}
		k.vectors = search.NewVectors(k.store, e.Dimensions(), search.VectorOptions{
			Index: k.cfg.Retrieval.VectorIndex, NProbe: k.cfg.Retrieval.NProbe,
		})
		k.lexical.SetVectors(k.vectors)
		// Vectors are part of what a knowledge base is.
		k.settings += "\nembedder=" + e.ID() + "/" + strconv.Itoa(e.Dimensions())
		if k.store.ReadOnly() && k.cfg.Retrieval.Mode != "lexical" {
			n, err := k.store.VectorCount(ctx)
			if err != nil {
				return err
			}
			if docs, _ := k.store.Documents(ctx, ""); n == 0 && len(docs) > 0 {
				return fmt.Errorf("%w: %s has no vectors but retrieval.mode is %s; build it with models.embedding configured",
					store.ErrEmbedderMismatch, k.store.Path(), k.cfg.Retrieval.Mode)
			}
		}
	}
	return nil
}

// embedBatch is the number of chunks read, embedded and written at a time.
const embedBatch = 256

// EmbedReport counts the chunks an embedding pass handled.
type EmbedReport struct {
	// Embedded chunks were sent to the embedder.
	Embedded int `json:"embedded"`
	// Cached chunks took their vector from the embedding cache.
	Cached int `json:"cached"`
}

// EmbedPending embeds every chunk that has no vector yet, taking vectors
// from the embedding cache where the same text was embedded before by the
// same embedder, so re-indexing unchanged text makes no remote calls.
// Without an embedder it does nothing.
func (k *KB) EmbedPending(ctx context.Context) (EmbedReport, error) {
	var rep EmbedReport
	e := k.models.Embedder
	if e == nil || k.store.ReadOnly() {
		return rep, nil
	}
	var after int64
	for {
		pend, err := k.store.PendingChunks(ctx, after, embedBatch)
		if err != nil || len(pend) == 0 {
			return rep, err
		}
		after = pend[len(pend)-1].RowID
		texts := make([]string, len(pend))
		hashes := make([][]byte, len(pend))
		for i, p := range pend {
			texts[i] = embedText(p)
			hashes[i] = store.TextHash(texts[i])
		}
		cached, err := k.store.CachedEmbeddings(ctx, e.ID(), hashes)
		if err != nil {
			return rep, err
		}
		var missing []int
		for i := range pend {
			if _, ok := cached[i]; !ok {
				missing = append(missing, i)
			}
		}
		out := make([]store.ChunkVector, len(pend))
		if len(missing) > 0 {
			in := make([]string, len(missing))
			for j, i := range missing {
				in[j] = texts[i]
			}
			vecs, err := e.Embed(ctx, in)
			if err != nil {
				return rep, fmt.Errorf("embed chunks: %w", err)
			}
			if len(vecs) != len(in) {
				return rep, fmt.Errorf("embed chunks: %d vectors for %d texts", len(vecs), len(in))
			}
			for j, i := range missing {
				if len(vecs[j]) != e.Dimensions() {
					return rep, fmt.Errorf("embed chunks: %s returned %d dimensions, want %d", e.ID(), len(vecs[j]), e.Dimensions())
				}
				search.Normalize(vecs[j])
				out[i] = store.ChunkVector{Hash: hashes[i], Vec: vecs[j]}
			}
		}
		for i, v := range cached {
			out[i] = store.ChunkVector{Vec: v}
		}
		for i, p := range pend {
			out[i].RowID, out[i].Collection = p.RowID, p.Collection
		}
		if err := k.store.PutVectors(ctx, e.ID(), out); err != nil {
			return rep, err
		}
		rep.Embedded += len(missing)
		rep.Cached += len(pend) - len(missing)
	}
}

// embedText is what is embedded for a chunk: its document title and
// heading path, then its text.
func embedText(p store.PendingChunk) string {
	var b strings.Builder
	if p.Title != "" {
		b.WriteString(p.Title)
		b.WriteString("\n")
	}
	if h := strings.Trim(p.Headings, "[]"); h != "" {
		b.WriteString(strings.NewReplacer(`","`, " > ", `"`, "").Replace(h))
		b.WriteString("\n")
	}
	b.WriteString(p.Text)
	return b.String()
}

// isCancel reports whether err comes from the caller giving up.
func isCancel(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, context.Canceled)
}

// RemoteModels reports whether answering a question may call a remote
// model (chat or embedding or rerank server).
func (k *KB) RemoteModels() bool {
	m := k.cfg.Models
	return k.models.Chat != nil || k.models.Reranker != nil || (k.models.Embedder != nil && m.Embedding.Provider != "hash")
}
