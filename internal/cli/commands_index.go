package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/store"
)

func (a *app) indexCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "index", Short: "Build and verify immutable, digest-stamped knowledge-base snapshots"}
	cmd.AddCommand(a.indexBuildCommand(), a.indexVerifyCommand())
	return cmd
}

func (a *app) indexBuildCommand() *cobra.Command {
	var data, from, out string
	cmd := &cobra.Command{
		Use:   "build --out KB [PATH...]",
		Short: "Write a read-only, compacted knowledge base stamped with its digest",
		Long: `Build a snapshot. With PATH arguments or 'sources' in the configuration, the files
are ingested into a fresh knowledge base first (any failed file fails the build);
otherwise the existing knowledge base (--data or --from: a directory, or a
postgres:// URL to snapshot a PostgreSQL knowledge base) is compacted.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErr("index build: --out is required")
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if from != "" {
				data = from
			}
			src := dataDir(data, cfg)
			type source struct{ path, collection string }
			var sources []source
			for _, p := range args {
				sources = append(sources, source{p, cfg.Collection})
			}
			if len(args) == 0 {
				for _, s := range cfg.Sources {
					c := s.Collection
					if c == "" {
						c = cfg.Collection
					}
					sources = append(sources, source{s.Path, c})
				}
			}
			if len(sources) > 0 {
				if err := os.MkdirAll(filepath.Dir(filepath.Clean(out)), 0o755); err != nil {
					return failErr(err)
				}
				tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(out)), ".ragline-build-")
				if err != nil {
					return failErr(err)
				}
				defer os.RemoveAll(tmp)
				src = tmp
			} else if _, err := os.Stat(store.Resolve(src)); err != nil && !store.IsURL(src) {
				return usageErr("index build: no sources given and no knowledge base at %s", src)
			}
			k, err := kb.Open(ctx, cfg, src, false)
			if err != nil {
				return failErr(err)
			}
			defer k.Close()
			p := newProgress(a.stderr)
			for _, s := range sources {
				rep, err := k.Ingest(ctx, s.collection, []string{s.path}, p)
				p.finish(rep)
				if err != nil {
					return failErr(err)
				}
				if rep.Failed > 0 {
					return failErr(fmt.Errorf("index build: %d file(s) failed; no snapshot written", rep.Failed))
				}
			}
			digest, err := k.Snapshot(ctx, out)
			if err != nil {
				return failErr(err)
			}
			fmt.Fprintf(a.stdout, "%s\ndigest: %s\n", out, digest)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "knowledge base to compact when no sources are given")
	cmd.Flags().StringVar(&from, "from", "", "same as --data (e.g. postgres://user@host/db)")
	cmd.Flags().StringVar(&out, "out", "", "snapshot file to write")
	return cmd
}

func (a *app) indexVerifyCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify KB",
		Short: "Recompute a snapshot's digest and check its integrity; exit 1 on any problem",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := store.Open(cmd.Context(), args[0], store.Options{ReadOnly: true})
			if err != nil {
				return failErr(err)
			}
			defer st.Close()
			rep, err := st.Verify(cmd.Context())
			if err != nil {
				return failErr(err)
			}
			if asJSON {
				if rep.Problems == nil {
					rep.Problems = []string{}
				}
				_ = json.NewEncoder(a.stdout).Encode(rep)
			} else {
				fmt.Fprintf(a.stdout, "%s: %d documents, %d chunks\n", args[0], rep.Documents, rep.Chunks)
				if rep.Stamped != "" {
					fmt.Fprintf(a.stdout, "digest: %s (stamped %s)\n", rep.Digest, rep.Stamped)
				} else {
					fmt.Fprintln(a.stdout, "digest: not stamped (not a snapshot)")
				}
				for _, p := range rep.Problems {
					fmt.Fprintln(a.stdout, "problem:", p)
				}
				if rep.Consistent {
					fmt.Fprintln(a.stdout, "ok")
				}
			}
			if !rep.Consistent {
				return silentFailure
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
