package cli

import (
	"bytes"
	"os"
	"testing"
)

// TestMain lets tests run the real command line in a subprocess: the test
// binary re-executes itself with RAGLINE_CLI_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("RAGLINE_CLI_MAIN") == "1" {
		os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// run executes the CLI in-process and returns exit code, stdout, stderr.
func run(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, bytes.NewReader(nil), &out, &errb)
	return code, out.String(), errb.String()
}
