package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ragline/ragline/internal/config"
)

// Exit codes, a public contract for scripts and pipelines.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and something failed (a file, a check)
	ExitUsage   = 2 // bad flags, arguments or configuration
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{ExitUsage, fmt.Errorf(format, args...)}
}

func failErr(err error) error { return &exitError{ExitFailure, err} }

// silentFailure ends with ExitFailure after the command already reported.
var silentFailure = &exitError{ExitFailure, errors.New("")}

// app holds the global flags and streams.
type app struct {
	configPath string
	stdout     io.Writer
	stderr     io.Writer
	stdin      io.Reader

	cpuProfile  string
	stopProfile func()
}

// Main runs the command line and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := &app{stdout: stdout, stderr: stderr, stdin: stdin}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err.Error() != "" {
			fmt.Fprintln(stderr, "ragline:", ee.err)
		}
		return ee.code
	}
	// cobra's own flag and argument errors.
	fmt.Fprintln(stderr, "ragline:", err)
	return ExitUsage
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "ragline",
		Short:         "Retrieval-augmented question answering you can test, ship and roll back",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&a.configPath, "config", "", "configuration file (YAML)")
	root.PersistentFlags().StringVar(&a.cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if a.cpuProfile == "" {
			return nil
		}
		f, err := os.Create(a.cpuProfile)
		if err != nil {
			return usageErr("cpuprofile: %v", err)
		}
		a.stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		return pprof.StartCPUProfile(f)
	}
	root.PersistentPostRun = func(cmd *cobra.Command, args []string) {
		if a.stopProfile != nil {
			a.stopProfile()
		}
	}
	root.AddCommand(
		a.ingestCommand(),
		a.docsCommand(),
		a.deleteCommand(),
		a.askCommand(),
		a.configCommand(),
		a.versionCommand(),
		a.indexCommand(),
		a.serveCommand(),
		a.quickstartCommand(),
		a.benchCommand(),
		a.keysCommand(),
		a.evalCommand(),
		a.mcpCommand(),
		a.migrateCommand(),
	)
	return root
}

// loadConfig loads --config, or the defaults when none is given.
func (a *app) loadConfig() (*config.Config, error) {
	if a.configPath == "" {
		return config.Default(), nil
	}
	cfg, err := config.Load(a.configPath)
	if err != nil {
		return nil, usageErr("invalid configuration:\n%v", err)
	}
	return cfg, nil
}

// dataDir picks --data (a directory, a file or a postgres:// URL), then
// the configuration's store.url, then its data, then ./ragline-data.
func dataDir(flag string, cfg *config.Config) string {
	switch {
	case flag != "":
		return flag
	case cfg.Store.URL.IsSet():
		return cfg.Store.URL.Value()
	case cfg.Data != "":
		return cfg.Data
	}
	return "ragline-data"
}
