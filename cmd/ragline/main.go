// Command ragline is the single binary: CLI, HTTP API server and
// evaluation harness. It only wires; see internal/cli.
package main

import (
	"os"

	"github.com/ragline/ragline/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
