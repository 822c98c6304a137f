package cli

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/server"
)

// keyPrefix marks ragline API keys, so a leaked one is recognisable (and
// secret scanners can be taught to find it).
const keyPrefix = "rl_"

// keyScopes are the scopes a key may hold.
var keyScopes = []string{"chat", "ingest", "admin"}

func (a *app) keysCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create API keys and hash existing ones for server.keys",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(a.keysCreateCommand(), a.keysHashCommand())
	return cmd
}

func (a *app) keysCreateCommand() *cobra.Command {
	var name string
	var scopes, collections []string
	cmd := &cobra.Command{
		Use:   "create --scope chat,ingest [--name NAME] [--collection a,b]",
		Short: "Generate an API key: the key once on stdout, the server.keys entry (its hash, never the key) on stderr",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			entry, err := keyEntry(name, scopes, collections)
			if err != nil {
				return err
			}
			key := newKey()
			entry.Hash = server.HashKey(key)
			if entry.Name == "" {
				// Unnamed keys are named after their hash, which is unique.
				entry.Name = "key-" + strings.TrimPrefix(entry.Hash, "sha256:")[:8]
			}
			snippet, err := yaml.Marshal([]keyYAML{entry})
			if err != nil {
				return failErr(err)
			}
			fmt.Fprintln(a.stdout, key)
			fmt.Fprintf(a.stderr, "# Add under server.keys: in the configuration. The key was printed once, on\n"+
				"# stdout; only its hash is kept, so store the key now (a lost key is replaced,\n"+
				"# not recovered).\n%s", snippet)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "name of the key, shown in logs and errors (required)")
	cmd.Flags().StringSliceVar(&scopes, "scope", nil, "what the key may do: chat, ingest, admin (required; comma-separated)")
	cmd.Flags().StringSliceVar(&collections, "collection", nil, "the only collections the key may use (default: all)")
	return cmd
}

// keyYAML is a server.keys entry as pasted into the configuration.
type keyYAML struct {
	Name        string   `yaml:"name"`
	Hash        string   `yaml:"hash"`
	Scopes      []string `yaml:"scopes,flow"`
	Collections []string `yaml:"collections,flow,omitempty"`
}

// keyEntry checks the flags of keys create and returns the entry without
// its hash.
func keyEntry(name string, scopes, collections []string) (keyYAML, error) {
	name = strings.TrimSpace(name)
	if len(scopes) == 0 {
		return keyYAML{}, usageErr("keys create: --scope is required: any of %s", strings.Join(keyScopes, ", "))
	}
	e := keyYAML{Name: name}
	for _, s := range scopes {
		s = strings.TrimSpace(s)
		if !slices.Contains(keyScopes, s) {
			return keyYAML{}, usageErr("keys create: unknown scope %q: want %s", s, strings.Join(keyScopes, ", "))
		}
		if !slices.Contains(e.Scopes, s) {
			e.Scopes = append(e.Scopes, s)
		}
	}
	for _, c := range collections {
		c = strings.TrimSpace(c)
		if !config.ValidCollection(c) {
			return keyYAML{}, usageErr("keys create: invalid collection name %q", c)
		}
		if !slices.Contains(e.Collections, c) {
			e.Collections = append(e.Collections, c)
		}
	}
	return e, nil
}

// newKey returns a new random key: the prefix and 32 random bytes in
// unpadded base64url (46 characters).
func newKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails: crypto/rand aborts the program instead
	return keyPrefix + base64.RawURLEncoding.EncodeToString(b)
}

func (a *app) keysHashCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "hash",
		Short: "Read a key from the first line of stdin and print its server.keys hash",
		Long: "Read a key from the first line of stdin and print its hash as server.keys stores it\n" +
			"(sha256:<hex>), e.g. to move the key of server.api_key into server.keys:\n\n" +
			"  printenv RAGLINE_API_KEY | ragline keys hash\n\n" +
			"The key is read from stdin, not from an argument, to keep it out of shell history.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := bufio.NewReader(a.stdin).ReadString('\n')
			if err != nil && err != io.EOF {
				return failErr(fmt.Errorf("keys hash: read stdin: %w", err))
			}
			key = strings.TrimSpace(key)
			if key == "" {
				return usageErr("keys hash: no key on stdin")
			}
			fmt.Fprintln(a.stdout, server.HashKey(key))
			return nil
		},
	}
}
