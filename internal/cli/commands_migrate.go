package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/store"
)

func (a *app) migrateCommand() *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "migrate --from DIR --to postgres://...",
		Short: "Copy a knowledge base (a directory or snapshot) into PostgreSQL, keeping its digest",
		Long: `Copy every document (text, structure, original), chunk (offsets and index terms),
vector and cached embedding of a SQLite knowledge base or snapshot into another
store, usually a PostgreSQL database (postgres://user@host/db; the password from
the URL or PGPASSWORD). The destination must hold no documents of the copied
keys with other content. Both digests are printed and must be equal.

Exit status: 0 copied, 1 the copy failed, 2 usage or configuration error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" || to == "" {
				return usageErr("migrate: --from and --to are required")
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			src, err := kb.Open(ctx, cfg, from, true)
			if err != nil {
				return usageErr("migrate: --from %s: %v", store.RedactURL(from), err)
			}
			defer src.Close()
			dst, err := kb.Open(ctx, cfg, to, false)
			if err != nil {
				return failErr(fmt.Errorf("migrate: --to %s: %w", store.RedactURL(to), err))
			}
			defer dst.Close()
			step := 0
			err = store.Copy(ctx, src.Store(), dst.Store(), func(done, total int) {
				if done*10/total > step || done == total {
					step = done * 10 / total
					fmt.Fprintf(a.stderr, "migrate: %d/%d documents\n", done, total)
				}
			})
			if err != nil {
				return failErr(fmt.Errorf("migrate: %w", err))
			}
			want, err := src.Digest(ctx)
			if err != nil {
				return failErr(err)
			}
			got, err := dst.Digest(ctx)
			if err != nil {
				return failErr(err)
			}
			fmt.Fprintf(a.stdout, "from: %s digest %s\nto:   %s digest %s\n", src.Store().Path(), want, dst.Store().Path(), got)
			if want != got {
				return failErr(fmt.Errorf("migrate: digests differ: the destination held other documents"))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "knowledge base to copy: a directory, database file or snapshot (or a postgres:// URL)")
	cmd.Flags().StringVar(&to, "to", "", "destination: a postgres:// URL (or a directory)")
	return cmd
}
