package server

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/ragline/ragline/internal/agent"
	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/telemetry"
	"github.com/ragline/ragline/internal/tool"
)

// Agent answers questions: the chat, chat-completions and invoke "answer"
// routes all go through it. *agent.Agent implements it.
type Agent interface {
	Run(ctx context.Context, req agent.Request) (schema.Response, error)
}

// Tools calls registered tools directly (POST /v1/invoke).
type Tools interface {
	Call(ctx context.Context, name string, args json.RawMessage) (json.RawMessage, error)
	Spec(name string) (tool.Spec, bool)
	Names() []string
}

// defaultAgent builds the agent a server gets when its options name none:
// the configuration's rules over the builtin tools, without a chat model,
// plugins or MCP servers (those have a lifetime the caller owns).
func defaultAgent(k KnowledgeBase, cfg *config.Config, m *telemetry.Metrics, o Options) (Agent, Tools) {
	ak, ok := k.(agent.KnowledgeBase)
	if !ok {
		return askAgent{k}, tool.NewRegistry(tool.Options{})
	}
	reg := tool.NewRegistry(tool.Options{Timeout: time.Duration(cfg.Tools.Timeout), Logger: o.Logger,
		Observe: func(name, outcome string, _ time.Duration) { m.ToolCall(name, outcome) }})
	if err := tool.RegisterBuiltins(reg, cfg, k); err != nil {
		o.Logger.Error("builtin tools", "err", err)
	}
	a, err := agent.New(ak, agent.Options{Config: cfg, Tools: reg, Logger: o.Logger})
	if err != nil {
		// The configuration was validated; a rule that still fails to
		// compile leaves the plain knowledge base answering.
		o.Logger.Error("agent", "err", err)
		return askAgent{k}, reg
	}
	m.KnownTools(reg.Names()...)
	return a, reg
}

// askAgent answers every question by retrieval, for a knowledge base that
// offers no perception of its own.
type askAgent struct{ k KnowledgeBase }

func (a askAgent) Run(ctx context.Context, req agent.Request) (schema.Response, error) {
	return a.k.Ask(ctx, req.Collection, req.Question, req.History)
}

// observedAgent records stage timings and answer outcomes around the
// agent, and bounds how many questions are answered at once: answering is
// CPU-bound, so running more at a time than there are processors only
// makes every one of them slower; queued requests wait in order.
type observedAgent struct {
	Agent
	m     *telemetry.Metrics
	slots chan struct{}
}

func (o observedAgent) Run(ctx context.Context, req agent.Request) (schema.Response, error) {
	select {
	case o.slots <- struct{}{}:
	case <-ctx.Done():
		o.m.Answer("error")
		return schema.Response{}, ctx.Err()
	}
	resp, err := o.Agent.Run(ctx, req)
	<-o.slots
	if err != nil {
		o.m.Answer("error")
	} else {
		o.m.Answer(agent.Outcome(resp))
	}
	for _, st := range resp.Trace {
		o.m.ObserveStage(st.Step, time.Duration(st.DurationMS*float64(time.Millisecond)))
	}
	return resp, err
}

// mayUse holds a rule's collection override to the collections the
// caller's key may use.
func (s *Server) mayUse(r *http.Request) func(collection string) error {
	return func(collection string) error { return s.allowCollection(r, "collection", collection) }
}
