package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/ragline/ragline/internal/agent"
	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/mcp"
	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/model/provider"
	"github.com/ragline/ragline/internal/plugin"
	"github.com/ragline/ragline/internal/telemetry"
	"github.com/ragline/ragline/internal/tool"
)

// agentParts is an assembled agent and what must be closed after it.
type agentParts struct {
	agent   *agent.Agent
	tools   *tool.Registry
	closers []func() error
}

// Close releases plugins and MCP connections.
func (p *agentParts) Close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		_ = p.closers[i]()
	}
}

// buildAgent assembles the configuration's agent: the builtin tools, the
// WASM plugins, the tools of the MCP servers and, when configured, the
// chat model. m, when set, counts tool calls.
func buildAgent(ctx context.Context, k *kb.KB, cfg *config.Config, logger *slog.Logger, m *telemetry.Metrics) (*agentParts, error) {
	o := tool.Options{Timeout: time.Duration(cfg.Tools.Timeout), Logger: logger}
	if m != nil {
		o.Observe = func(name, outcome string, _ time.Duration) { m.ToolCall(name, outcome) }
	}
	parts := &agentParts{tools: tool.NewRegistry(o)}
	if err := tool.RegisterBuiltins(parts.tools, cfg, k); err != nil {
		return nil, failErr(err)
	}
	if err := registerExtensions(ctx, parts, cfg, logger); err != nil {
		parts.Close()
		return nil, err
	}
	chat, err := chatModel(cfg, m)
	if err != nil {
		parts.Close()
		return nil, usageErr("%v", err)
	}
	a, err := agent.New(k, agent.Options{Config: cfg, Tools: parts.tools, Chat: chat, Logger: logger})
	if err != nil {
		parts.Close()
		return nil, usageErr("%v", err)
	}
	parts.agent = a
	if m != nil {
		m.KnownTools(parts.tools.Names()...)
	}
	return parts, nil
}

// chatModel returns the configured chat model (models.chat), or nil when
// none is configured: the agent then follows its rules alone. m, when
// set, counts the tokens the agent's own model calls spend.
func chatModel(cfg *config.Config, m *telemetry.Metrics) (model.Chat, error) {
	if !cfg.Models.Chat.Configured() {
		return nil, nil
	}
	c, err := provider.Client(cfg.Models.Chat, provider.Hooks{OnUsage: func(name string, u model.Usage) {
		if m != nil {
			m.Tokens(name, "prompt", u.PromptTokens)
			m.Tokens(name, "completion", u.CompletionTokens)
		}
	}})
	if err != nil {
		return nil, fmt.Errorf("models.chat: %w", err)
	}
	return c, nil
}

// registerExtensions registers the configured WASM plugins and MCP tools.
func registerExtensions(ctx context.Context, parts *agentParts, cfg *config.Config, logger *slog.Logger) error {
	if len(cfg.Plugins) > 0 {
		o := plugin.Options{}
		// Compiling a module takes seconds; the cache makes later starts quick.
		if dir, err := os.UserCacheDir(); err == nil {
			if cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(dir, "ragline", "wazero")); err == nil {
				o.Cache = cache
			}
		}
		for _, pc := range cfg.Plugins {
			p, err := plugin.Load(ctx, pc, o)
			if err != nil {
				return failErr(err)
			}
			parts.closers = append(parts.closers, func() error { return p.Close(context.Background()) })
			if err := parts.tools.Register(p); err != nil {
				return failErr(err)
			}
		}
	}
	for _, sc := range cfg.MCP.Servers {
		c, err := mcp.Connect(ctx, sc)
		if err != nil {
			return failErr(err)
		}
		parts.closers = append(parts.closers, c.Close)
		for _, t := range c.Tools() {
			if err := parts.tools.Register(t); err != nil {
				// One unusable tool (a clashing name, a schema the validator
				// cannot compile) does not take the server's other tools.
				logger.Warn("mcp tool not imported", "server", sc.Name, "err", err)
			}
		}
	}
	return nil
}
