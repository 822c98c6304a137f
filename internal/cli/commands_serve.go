package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/server"
	"github.com/ragline/ragline/internal/session"
	"github.com/ragline/ragline/internal/store"
	"github.com/ragline/ragline/internal/telemetry"
)

func (a *app) serveCommand() *cobra.Command {
	var f kbFlags
	var addr string
	var readOnly bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := a.openKB(cmd, &f, readOnly)
			if err != nil {
				return err
			}
			defer k.Close()
			return a.serve(cmd.Context(), k, k.Config(), addr)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&addr, "addr", "", "listen address HOST:PORT (default: config server.addr)")
	cmd.Flags().BoolVar(&readOnly, "read-only", false, "open the knowledge base read-only (snapshots)")
	return cmd
}

func (a *app) serve(ctx context.Context, k *kb.KB, cfg *config.Config, addr string) error {
	return a.serveOn(ctx, k, cfg, addr, false)
}

// serveWithHint serves and, once bound, prints a request to try.
func (a *app) serveWithHint(ctx context.Context, k *kb.KB, cfg *config.Config, addr string) error {
	return a.serveOn(ctx, k, cfg, addr, true)
}

func (a *app) serveOn(ctx context.Context, k *kb.KB, cfg *config.Config, addr string, hint bool) error {
	if addr == "" {
		addr = cfg.Server.Addr
	}
	logger := telemetry.NewLogger(a.stderr, slog.LevelInfo)
	if ep := cfg.Telemetry.OTLPEndpoint; ep != "" {
		shutdown, err := telemetry.SetupTracing(ctx, ep, cfg.Telemetry.ServiceName, Version, cfg.Telemetry.SampleRatio)
		if err != nil {
			return failErr(err)
		}
		defer func() {
			flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = shutdown(flush)
		}()
	}
	if p, ok := k.Store().(*store.Postgres); ok {
		p.SetLogger(logger)
	}
	// Load every collection's index in the background (/readyz reports
	// the progress) and follow the change log, so writes by other
	// processes become searchable here without a rebuild.
	k.StartLive(ctx, func(err error) { logger.Warn("index follower", "error", err.Error()) })
	// Uploads in flight when a process was killed left their files behind.
	if n, err := server.RemoveStaleUploads(""); err != nil {
		logger.Warn("stale upload directories", "err", err)
	} else if n > 0 {
		logger.Info("removed stale upload directories", "count", n)
	}
	sessions, err := openSessions(ctx, k, cfg)
	if err != nil {
		return failErr(err)
	}
	defer sessions.Close()
	metrics := telemetry.New()
	parts, err := buildAgent(ctx, k, cfg, logger, metrics)
	if err != nil {
		return err
	}
	defer parts.Close()
	h := server.New(k, server.Options{Config: cfg, Version: versionInfo(cfg), Logger: logger, Sessions: sessions, BuildVersion: Version,
		Metrics: metrics, Agent: parts.agent, Tools: parts.tools})
	err = server.ListenAndServe(ctx, addr, h, cfg, func(bound string) {
		if server.OpenMode(cfg) {
			openModeNotice(a.stderr, addr, bound, k.ReadOnly())
		}
		d, _ := k.Digest(ctx)
		fmt.Fprintf(a.stderr, "ragline: serving on http://%s (kb digest %s)\n", bound, shortDigest(d))
		if hint {
			fmt.Fprintf(a.stderr, "ragline: try  curl -s http://%s/v1/chat -H 'Content-Type: application/json' -d '{\"message\":\"How many weeks of paid parental leave does a primary caregiver get?\"}'\n", bound)
		}
	})
	if err != nil {
		return failErr(err)
	}
	return nil
}

// openModeNotice tells, before the serving line, that no API key is
// configured: a quiet note on a loopback address, which only this machine
// reaches, and a loud warning on any other, where every request from the
// network is allowed. It names the address as asked for (0.0.0.0 rather
// than the [::] a dual-stack listener reports) with the bound port.
func openModeNotice(w io.Writer, addr, bound string, readOnly bool) {
	host, _, _ := net.SplitHostPort(bound)
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		fmt.Fprintln(w, "ragline: open local mode: no API keys configured, so every request is allowed; only this machine can connect (see server.keys in docs/configuration.md)")
		return
	}
	if asked, _, err := net.SplitHostPort(addr); err == nil && asked != "" {
		_, port, _ := net.SplitHostPort(bound)
		bound = net.JoinHostPort(asked, port)
	}
	what := "read and change the knowledge base"
	if readOnly {
		what = "read the knowledge base"
	}
	fmt.Fprintf(w, "ragline: WARNING: no API keys configured and listening on %s: anyone who can reach this address can %s (create a key with `ragline keys create` and add it under server.keys)\n", bound, what)
}

// openSessions opens the configured session store: SQLite beside a
// writable knowledge base, memory for a read-only one, unless configured.
func openSessions(ctx context.Context, k *kb.KB, cfg *config.Config) (session.Store, error) {
	kind := cfg.Sessions.Store
	if kind == "" {
		kind = "sqlite"
		if k.ReadOnly() {
			kind = "memory"
		}
		if _, ok := k.Store().(*store.Postgres); ok {
			// Replicas on one database share its sessions too.
			kind = "postgres"
		}
	}
	ttl := time.Duration(cfg.Sessions.TTL)
	opts := []session.Option{session.MaxTurns(cfg.Sessions.MaxTurns), session.CallTimeout(time.Duration(cfg.Sessions.Timeout))}
	switch kind {
	case "memory":
		return session.NewMemory(ttl, opts...), nil
	case "redis":
		return session.OpenRedis(ctx, cfg.Sessions.URL.Value(), ttl, opts...)
	case "postgres":
		u := cfg.Sessions.URL.Value()
		if u == "" {
			if _, ok := k.Store().(*store.Postgres); !ok {
				return nil, fmt.Errorf("sessions.store postgres: set sessions.url (the knowledge base is not in PostgreSQL)")
			}
			u = k.StoreURL()
		}
		return session.OpenPostgres(ctx, u, ttl, opts...)
	}
	path := cfg.Sessions.Path
	if path == "" {
		path = filepath.Join(filepath.Dir(k.Store().Path()), "sessions.db")
	}
	return session.OpenSQLite(ctx, path, ttl, opts...)
}

func shortDigest(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

func (a *app) quickstartCommand() *cobra.Command {
	var data, docs, addr string
	var noServe bool
	cmd := &cobra.Command{
		Use:   "quickstart",
		Short: "Build a knowledge base from the example handbook and serve it on 127.0.0.1:8080",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := os.Stat(docs); err != nil {
				return usageErr("quickstart: example documents not found at %s (run from the repository root or pass --docs)", docs)
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			k, err := kb.Open(ctx, cfg, data, false)
			if err != nil {
				return failErr(err)
			}
			defer k.Close()
			p := newProgress(a.stderr)
			rep, err := k.Ingest(ctx, cfg.Collection, []string{docs}, p)
			p.finish(rep)
			if err != nil {
				return failErr(err)
			}
			abs, _ := filepath.Abs(data)
			fmt.Fprintf(a.stderr, "ragline: knowledge base in %s\n", abs)
			if noServe {
				return nil
			}
			listen := addr
			if listen == "" {
				listen = "127.0.0.1:8080"
			}
			return a.serveWithHint(ctx, k, cfg, listen)
		},
	}
	cmd.Flags().StringVar(&data, "data", filepath.Join(".ragline", "quickstart"), "knowledge-base directory")
	cmd.Flags().StringVar(&docs, "docs", filepath.Join("examples", "quickstart", "docs"), "documents to ingest")
	cmd.Flags().StringVar(&addr, "addr", "", "listen address (default 127.0.0.1:8080)")
	cmd.Flags().BoolVar(&noServe, "no-serve", false, "build the knowledge base and exit")
	return cmd
}
