package provider

import (
	"fmt"
	"time"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/model/hashembed"
	"github.com/ragline/ragline/internal/model/openai"
	"github.com/ragline/ragline/internal/model/rerank"
)

// Hooks connect built models to the rest of ragline.
type Hooks struct {
	// OnUsage receives the token usage of every model call with the
	// configured model name.
	OnUsage func(model string, u model.Usage)
	// Analyzer is used by the test embedder (provider hash).
	Analyzer hashembed.Analyzer
}

// Set is the configured models; unconfigured ones are nil.
type Set struct {
	Chat     model.Chat
	Embedder model.Embedder
	Reranker model.Reranker
	Judge    model.Chat
	// ChatModel and RerankModel name the models for traces.
	ChatModel, RerankModel string
}

// Build returns the models cfg configures. It makes no request.
func Build(cfg *config.Config, h Hooks) (Set, error) {
	var s Set
	var err error
	m := cfg.Models
	if m.Chat.Configured() {
		if s.Chat, err = Client(m.Chat, h); err != nil {
			return s, fmt.Errorf("models.chat: %w", err)
		}
		s.ChatModel = m.Chat.Model
	}
	if m.Judge.Configured() {
		if s.Judge, err = Client(m.Judge, h); err != nil {
			return s, fmt.Errorf("models.judge: %w", err)
		}
	}
	if m.Embedding.Configured() {
		if m.Embedding.Provider == "hash" {
			if h.Analyzer == nil {
				return s, fmt.Errorf("models.embedding: the hash test embedder needs an analyzer")
			}
			s.Embedder = hashembed.New(h.Analyzer, m.Embedding.Dimensions)
		} else if s.Embedder, err = Client(m.Embedding, h); err != nil {
			return s, fmt.Errorf("models.embedding: %w", err)
		}
	}
	if m.Rerank.Configured() {
		s.RerankModel = m.Rerank.Model
		switch m.Rerank.Provider {
		case "llm":
			if s.Chat == nil {
				return s, fmt.Errorf("models.rerank: provider llm needs models.chat")
			}
			l, err := rerank.NewLLM(s.Chat, m.Rerank.Prompts["rerank"])
			if err != nil {
				return s, fmt.Errorf("models.rerank: %w", err)
			}
			s.Reranker, s.RerankModel = l, "llm:"+m.Chat.Model
		default:
			c, err := Client(m.Rerank, h)
			if err != nil {
				return s, fmt.Errorf("models.rerank: %w", err)
			}
			if s.Reranker, err = rerank.NewHTTP(c, m.Rerank.Provider, m.Rerank.BaseURL); err != nil {
				return s, fmt.Errorf("models.rerank: %w", err)
			}
		}
	}
	return s, nil
}

// Client returns the HTTP client of one model entry (any provider that
// speaks JSON over HTTP: openai, tei, cohere, jina).
func Client(m config.ModelConfig, h Hooks) (*openai.Client, error) {
	return openai.New(openai.Options{
		Provider:       m.Provider,
		BaseURL:        m.BaseURL,
		Model:          m.Model,
		APIKey:         m.APIKey.Value(),
		APIVersion:     m.APIVersion,
		Timeout:        time.Duration(m.Timeout),
		MaxRetries:     m.MaxRetries,
		Temperature:    m.Temperature,
		MaxTokens:      m.MaxTokens,
		Dimensions:     m.Dimensions,
		SendDimensions: m.SendDimensions,
		BatchSize:      m.BatchSize,
		Concurrency:    m.Concurrency,
		OnUsage:        h.OnUsage,
	})
}

// Judge returns the judge model of cfg (models.judge), or an error
// naming the missing key.
func Judge(cfg *config.Config, h Hooks) (model.Chat, error) {
	if !cfg.Models.Judge.Configured() {
		return nil, fmt.Errorf("models.judge is not configured")
	}
	return Client(cfg.Models.Judge, h)
}
