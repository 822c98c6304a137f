package cli

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/ragline/ragline/internal/config"
)

// Build information, set with -ldflags "-X ...".
var (
	Version = "dev"
	Commit  = ""
)

func commit() string {
	if Commit != "" {
		return Commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// VersionInfo is what `ragline version` and GET /version report.
type VersionInfo struct {
	Version      string `json:"version"`
	Commit       string `json:"commit"`
	GoVersion    string `json:"go_version"`
	ConfigDigest string `json:"config_digest"`
	KBDigest     string `json:"kb_digest,omitempty"`
}

func versionInfo(cfg *config.Config) VersionInfo {
	return VersionInfo{Version: Version, Commit: commit(), GoVersion: runtime.Version(), ConfigDigest: cfg.Digest()}
}

func (a *app) versionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print version, commit, Go version and the configuration digest",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			v := versionInfo(cfg)
			if asJSON {
				return json.NewEncoder(a.stdout).Encode(v)
			}
			fmt.Fprintf(a.stdout, "ragline %s\ncommit: %s\ngo: %s\nconfig digest: %s\n", v.Version, v.Commit, v.GoVersion, v.ConfigDigest)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) configCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check and show configuration"}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE",
		Short: "Validate a configuration file; every problem is printed as file:line:col: field: message",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(args[0])
			if err != nil {
				if errs, ok := err.(config.Errors); ok {
					for _, e := range errs {
						fmt.Fprintln(a.stderr, e.Error())
					}
					fmt.Fprintf(a.stderr, "%d problem(s) in %s\n", len(errs), args[0])
					return silentFailure
				}
				return failErr(err)
			}
			fmt.Fprintf(a.stdout, "%s: ok (digest %s)\n", args[0], cfg.Digest())
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration (defaults applied, secrets redacted) as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			enc := json.NewEncoder(a.stdout)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			return enc.Encode(cfg)
		},
	})
	return cmd
}
