package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ragline/ragline/internal/agent"
	"github.com/ragline/ragline/internal/telemetry"
	"log/slog"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/store"
)

type kbFlags struct {
	data       string
	collection string
}

func (f *kbFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.data, "data", "", "knowledge-base directory or snapshot file (default: config data, else ./ragline-data)")
	cmd.Flags().StringVar(&f.collection, "collection", "", "collection (default: config collection, \"default\")")
}

func (a *app) openKB(cmd *cobra.Command, f *kbFlags, readOnly bool) (*kb.KB, error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, err
	}
	if f.collection != "" {
		cfg.Collection = f.collection
	}
	k, err := kb.Open(cmd.Context(), cfg, dataDir(f.data, cfg), readOnly)
	if err != nil {
		if errors.Is(err, store.ErrSettingsMismatch) {
			return nil, usageErr("%v", err)
		}
		return nil, failErr(err)
	}
	return k, nil
}

// requireCollection returns a usage error naming the existing collections
// when the collection a command is about to read does not exist. Only a
// collection named by --collection is checked unless always is set; an
// empty knowledge base is left alone unless the collection was named.
func requireCollection(cmd *cobra.Command, k *kb.KB, f *kbFlags, always bool) error {
	if f.collection == "" && !always {
		return nil
	}
	name := k.Config().Collection
	cols, err := k.Collections(cmd.Context())
	if err != nil {
		return failErr(err)
	}
	if _, ok := cols[name]; ok || (len(cols) == 0 && f.collection == "") {
		return nil
	}
	names := make([]string, 0, len(cols))
	for c := range cols {
		names = append(names, c)
	}
	slices.Sort(names)
	if len(names) == 0 {
		return usageErr("collection %q does not exist: the knowledge base has no collections yet", name)
	}
	return usageErr("collection %q does not exist; existing collections: %s", name, strings.Join(names, ", "))
}

func (a *app) ingestCommand() *cobra.Command {
	var f kbFlags
	var asJSON bool
	var root string
	cmd := &cobra.Command{
		Use:   "ingest [flags] PATH...",
		Short: "Add files and folders (PDF, DOCX, HTML, Markdown, text, CSV, BEIR JSONL) to a collection",
		Long: `Ingest files and folders recursively. Unchanged files are skipped by content hash;
changed files replace their chunks atomically. Exit status 1 when any path or file
failed (one line on stderr per failure); every other file is still ingested.

A document's key is its file's path relative to --root (default: ingest.root of
the config, else the working directory), or its absolute path when outside it, so
"ingest docs", "ingest docs/a.md" and "ingest $PWD/docs/a.md" all store docs/a.md
and re-ingesting an edited file replaces it.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := a.openKB(cmd, &f, false)
			if err != nil {
				return err
			}
			defer k.Close()
			if root == "" {
				root = k.Config().Ingest.Root
			}
			if root == "" {
				if root, err = os.Getwd(); err != nil {
					return failErr(err)
				}
			}
			p := newProgress(a.stderr)
			rep, err := k.IngestUnder(cmd.Context(), k.Config().Collection, root, args, p)
			p.finish(rep)
			if err != nil {
				return failErr(err)
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				_ = enc.Encode(rep)
			}
			if rep.Failed > 0 {
				return silentFailure
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the ingestion report as JSON on stdout")
	cmd.Flags().StringVar(&root, "root", "", "folder that document keys are relative to (default: ingest.root, else the working directory)")
	return cmd
}

func (a *app) docsCommand() *cobra.Command {
	var f kbFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "docs",
		Short: "List the documents of a collection",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := a.openKB(cmd, &f, true)
			if err != nil {
				return err
			}
			defer k.Close()
			if err := requireCollection(cmd, k, &f, false); err != nil {
				return err
			}
			coll := f.collection
			docs, err := k.Store().Documents(cmd.Context(), coll)
			if err != nil {
				return failErr(err)
			}
			if asJSON {
				if docs == nil {
					docs = []store.DocInfo{}
				}
				return json.NewEncoder(a.stdout).Encode(docs)
			}
			tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCOLLECTION\tTYPE\tLANG\tCHUNKS\tCHARS\tKEY")
			for _, d := range docs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", d.ID, d.Collection, d.Type, d.Language, d.Chunks, d.Chars, d.Key)
			}
			return tw.Flush()
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) deleteCommand() *cobra.Command {
	var f kbFlags
	cmd := &cobra.Command{
		Use:   "delete DOCUMENT...",
		Short: "Remove documents (by id, or by key within the collection) and all their chunks",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := a.openKB(cmd, &f, false)
			if err != nil {
				return err
			}
			defer k.Close()
			if err := requireCollection(cmd, k, &f, false); err != nil {
				return err
			}
			failed := false
			for _, ref := range args {
				id := ref
				if _, err := k.Store().DocumentInfo(cmd.Context(), id); errors.Is(err, store.ErrNotFound) {
					id = store.DocumentID(k.Config().Collection, ref)
				}
				if err := k.DeleteDocument(cmd.Context(), id); err != nil {
					fmt.Fprintf(a.stderr, "ragline: delete %s: %v\n", ref, unwrapNotFound(err))
					failed = true
					continue
				}
				fmt.Fprintf(a.stdout, "deleted %s\n", ref)
			}
			if failed {
				return silentFailure
			}
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func unwrapNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errors.New("no such document")
	}
	return err
}

func (a *app) askCommand() *cobra.Command {
	var f kbFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ask [flags] QUESTION",
		Short: "Answer a question with numbered citations",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := a.openKB(cmd, &f, true)
			if err != nil {
				return err
			}
			defer k.Close()
			if err := requireCollection(cmd, k, &f, true); err != nil {
				return err
			}
			parts, err := buildAgent(cmd.Context(), k, k.Config(), telemetry.NewLogger(a.stderr, slog.LevelWarn), nil)
			if err != nil {
				return err
			}
			defer parts.Close()
			resp, err := parts.agent.Run(cmd.Context(), agent.Request{Collection: k.Config().Collection, Question: strings.Join(args, " ")})
			if err != nil {
				if errors.Is(err, kb.ErrInvalid) {
					return usageErr("%v", err)
				}
				return failErr(err)
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(resp)
			}
			printAnswer(a, resp)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the response object as JSON")
	return cmd
}

func printAnswer(a *app, resp schema.Response) {
	fmt.Fprintln(a.stdout, resp.Answer)
	if len(resp.Citations) == 0 {
		return
	}
	fmt.Fprintln(a.stdout)
	fmt.Fprintln(a.stdout, "Sources:")
	for _, c := range resp.Citations {
		where := c.Source
		if c.Page > 0 {
			where += fmt.Sprintf(", page %d", c.Page)
		}
		if c.Section != "" {
			where += ", " + c.Section
		}
		fmt.Fprintf(a.stdout, "[%d] %s (chars %d–%d)\n    %q\n", c.Index, where, c.Start, c.End, c.Text)
	}
}
