package agent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/telemetry"
	"github.com/ragline/ragline/internal/tool"
)

// KnowledgeBase is what the agent needs of the knowledge base; *kb.KB
// implements it.
type KnowledgeBase interface {
	Perceive(ctx context.Context, question string, history []schema.Message) (kb.Perception, error)
	AskWith(ctx context.Context, req kb.AskRequest) (schema.Response, error)
	Digest(ctx context.Context) (string, error)
}

// Request is one question to answer.
type Request struct {
	// Collection defaults to the configuration's collection.
	Collection string
	Question   string
	// History holds the earlier messages of the conversation, oldest first.
	History []schema.Message
	// OnDelta, when set, receives pieces of the answer as they are made.
	OnDelta func(text string) error
	// MayUse, when set, says whether the caller may read a collection; a
	// rule that routes to another collection is held to it.
	MayUse func(collection string) error
	// Controls are the client's settings for the answer (limits, tools,
	// output format); they reach the generator when the answer comes from
	// retrieval.
	Controls *model.Controls
}

// Options configure an Agent.
type Options struct {
	Config *config.Config
	// Tools is the registry tool actions and the model call.
	Tools *tool.Registry
	// Chat, when set, classifies intents (agent.classify_intents), phrases
	// tool results (feed_back) and chooses tools (agent.tools); nil keeps
	// the agent to its rules.
	Chat model.Chat
	// Logger receives decisions worth keeping.
	Logger *slog.Logger
}

// Agent answers questions. It is safe for concurrent use and immutable
// after New.
type Agent struct {
	kb      KnowledgeBase
	cfg     *config.Config
	tools   *tool.Registry
	chat    model.Chat
	log     *slog.Logger
	perc    *Perceiver
	decider *Decider
}

// New compiles the configuration's intents and rules.
func New(k KnowledgeBase, o Options) (*Agent, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Tools == nil {
		o.Tools = tool.NewRegistry(tool.Options{Logger: o.Logger})
	}
	p, err := NewPerceiver(k, o.Config.Agent, o.Chat)
	if err != nil {
		return nil, err
	}
	d, err := NewDecider(o.Config, o.Tools, o.Chat != nil)
	if err != nil {
		return nil, err
	}
	return &Agent{kb: k, cfg: o.Config, tools: o.Tools, chat: o.Chat, log: o.Logger, perc: p, decider: d}, nil
}

// Tools returns the agent's tool registry.
func (a *Agent) Tools() *tool.Registry { return a.tools }

// Run perceives, decides and executes one question.
func (a *Agent) Run(ctx context.Context, req Request) (schema.Response, error) {
	if req.Collection == "" {
		req.Collection = a.cfg.Collection
	}
	tr := &tracer{ctx: ctx}
	p, err := a.perc.Perceive(ctx, tr, req)
	if err != nil {
		return schema.Response{}, err
	}
	d := a.decider.Decide(tr, req, p)
	resp, err := a.execute(ctx, tr, req, p, d)
	if err != nil {
		return resp, err
	}
	resp.Trace = append(tr.steps, resp.Trace...)
	if tr.usage.TotalTokens > 0 {
		u := schema.Usage{}
		if resp.Usage != nil {
			u = *resp.Usage
		}
		u.PromptTokens += tr.usage.PromptTokens
		u.CompletionTokens += tr.usage.CompletionTokens
		u.TotalTokens += tr.usage.TotalTokens
		resp.Usage = &u
	}
	if resp.Citations == nil {
		resp.Citations = []schema.Citation{}
	}
	return resp, nil
}

// Outcome names how a response ended: "refused" when a respond or handoff
// rule answered, "no_answer", or "answered".
func Outcome(resp schema.Response) string {
	for _, st := range resp.Trace {
		if st.Step == "decide" {
			if a, _ := st.Detail["action"].(string); a == ActionRespond || a == ActionHandoff {
				return "refused"
			}
		}
	}
	if resp.NoAnswer {
		return "no_answer"
	}
	return "answered"
}

// tracer collects the agent's own trace steps, each also an OpenTelemetry
// span, and the model tokens spent.
type tracer struct {
	ctx   context.Context
	steps []schema.TraceStep
	usage model.Usage
}

func (t *tracer) step(name string, start time.Time, detail map[string]any) {
	t.steps = append(t.steps, schema.TraceStep{
		Step:       name,
		DurationMS: float64(time.Since(start).Microseconds()) / 1000,
		Detail:     detail,
	})
	_, s := telemetry.Tracer().Start(t.ctx, name, trace.WithTimestamp(start))
	s.End()
}

func errorf(format string, args ...any) error { return fmt.Errorf("agent: "+format, args...) }
