package tool

import (
	"fmt"
	"slices"
	"time"

	"github.com/ragline/ragline/internal/config"
)

// RegisterBuiltins registers the builtin tools the configuration does not
// disable; search_documents searches r.
func RegisterBuiltins(reg *Registry, cfg *config.Config, r Retriever) error {
	tc := cfg.Tools
	all := []Tool{
		Calculator(),
		CurrentTime(tc.CurrentTime.Zone, time.Now),
		HTTPRequest(HTTPOptions{
			AllowedHosts:     tc.HTTP.AllowedHosts,
			AllowedMethods:   tc.HTTP.AllowedMethods,
			MaxResponseBytes: int64(tc.HTTP.MaxResponseBytes),
			Timeout:          time.Duration(tc.HTTP.Timeout),
		}),
	}
	if r != nil {
		all = append(all, SearchDocuments(r, cfg.Retrieval.TopK))
	}
	for _, t := range all {
		if slices.Contains(tc.Disabled, t.Spec().Name) {
			continue
		}
		if err := reg.Register(t); err != nil {
			return fmt.Errorf("builtin tools: %w", err)
		}
	}
	return nil
}
