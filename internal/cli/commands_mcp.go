package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/ragline/ragline/internal/agent"
	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/mcp"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/server"
	"github.com/ragline/ragline/internal/telemetry"
)

func (a *app) mcpCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Model Context Protocol: serve ragline's tools to MCP clients",
	}
	cmd.AddCommand(a.mcpServeCommand())
	return cmd
}

func (a *app) mcpServeCommand() *cobra.Command {
	var f kbFlags
	var httpAddr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve search_documents and ask over MCP (stdio, or streamable HTTP with --http)",
		Long: `Serve the knowledge base as an MCP server offering two tools: search_documents
(ranked passages) and ask (the agent's answer with citations and trace).

By default it speaks MCP on stdin/stdout, for clients that start it as a
command. With --http HOST:PORT it serves streamable HTTP at /mcp; when the
configuration has API keys, requests need a bearer key with the chat or
admin scope.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			k, err := a.openKB(cmd, &f, true)
			if err != nil {
				return err
			}
			defer k.Close()
			cfg := k.Config()
			// stdout carries the protocol in stdio mode: logs go to stderr.
			logger := telemetry.NewLogger(a.stderr, slog.LevelInfo)
			parts, err := buildAgent(ctx, k, cfg, logger, nil)
			if err != nil {
				return err
			}
			defer parts.Close()
			mcp.Version = Version
			srv, err := mcp.NewServer(parts.tools, askWith(parts.agent, cfg))
			if err != nil {
				return failErr(err)
			}
			if httpAddr == "" {
				if err := srv.Run(ctx, &sdk.StdioTransport{}); err != nil && !errors.Is(err, context.Canceled) {
					return failErr(fmt.Errorf("mcp serve: %w", err))
				}
				return nil
			}
			return a.serveMCPHTTP(ctx, srv, cfg, logger, httpAddr)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&httpAddr, "http", "", "serve streamable HTTP on HOST:PORT instead of stdio")
	return cmd
}

// askWith adapts the agent to the MCP ask tool.
func askWith(ag *agent.Agent, cfg *config.Config) mcp.Asker {
	return func(ctx context.Context, question, collection string) (schema.Response, error) {
		if collection == "" {
			collection = cfg.Collection
		}
		return ag.Run(ctx, agent.Request{Collection: collection, Question: question})
	}
}

// serveMCPHTTP serves the MCP server over streamable HTTP until ctx ends.
// GET /metrics serves its metrics (the refused requests), unauthenticated
// as the API's.
func (a *app) serveMCPHTTP(ctx context.Context, srv *sdk.Server, cfg *config.Config, logger *slog.Logger, addr string) error {
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return srv }, nil)
	metrics := telemetry.New()
	mux := http.NewServeMux()
	mux.Handle("/mcp", mcpAuth(cfg, metrics, logger, h))
	mux.Handle("GET /metrics", metrics.Handler())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return failErr(err)
	}
	hs := mcp.HTTPServer(mux, cfg.Server)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(a.stderr, "ragline: MCP on http://%s/mcp\n", ln.Addr())
	select {
	case err := <-errc:
		return failErr(err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.Server.GracePeriod))
	defer cancel()
	_ = hs.Shutdown(shutdown)
	return nil
}

// mcpAuth requires, when the configuration has API keys, a bearer key
// holding the chat (or admin) scope and no collection restriction;
// refusals are counted in m and logged as the API's are.
func mcpAuth(cfg *config.Config, m *telemetry.Metrics, logger *slog.Logger, next http.Handler) http.Handler {
	return server.Guard(cfg, m, logger, "chat", "a key with the chat or admin scope is required", next)
}
