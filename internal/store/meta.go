package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// metaStore is the metadata both stores keep, for the checks they share.
type metaStore interface {
	Meta(ctx context.Context, key string) (string, error)
	SetMeta(ctx context.Context, key, value string) error
	VectorCount(ctx context.Context) (int, error)
	ReadOnly() bool
	Path() string
	countDocuments(ctx context.Context) (int, error)
}

// checkStamp records the indexing-settings stamp of a new (or empty,
// writable) knowledge base and refuses one built with other settings.
func checkStamp(ctx context.Context, s metaStore, want string) error {
	if want == "" {
		return nil
	}
	stamp, err := s.Meta(ctx, "stamp")
	switch {
	case errors.Is(err, ErrNotFound) && !s.ReadOnly():
		return s.SetMeta(ctx, "stamp", want)
	case err != nil:
		return err
	case stamp != want:
		n, _ := s.countDocuments(ctx)
		if n == 0 && !s.ReadOnly() {
			return s.SetMeta(ctx, "stamp", want)
		}
		return fmt.Errorf("%w: it has %q, the configuration gives %q; use the same analyzer and chunker settings or rebuild it", ErrSettingsMismatch, stamp, want)
	}
	return nil
}

// checkEmbedder verifies that the stored vectors, if any, come from
// embedder id with dims dimensions, and records them when there are none
// yet; rebuild says how to re-index with another embedder.
func checkEmbedder(ctx context.Context, s metaStore, id string, dims int, rebuild string) error {
	adopt := func() error {
		if err := s.SetMeta(ctx, metaEmbedder, id); err != nil {
			return err
		}
		return s.SetMeta(ctx, metaDimensions, strconv.Itoa(dims))
	}
	have, err := s.Meta(ctx, metaEmbedder)
	if errors.Is(err, ErrNotFound) {
		if s.ReadOnly() {
			return nil
		}
		return adopt()
	}
	if err != nil {
		return err
	}
	haveDims, _ := s.Meta(ctx, metaDimensions)
	if have == id && haveDims == strconv.Itoa(dims) {
		return nil
	}
	n, err := s.VectorCount(ctx)
	if err != nil {
		return err
	}
	if n == 0 && !s.ReadOnly() {
		// Nothing embedded yet: adopt the new embedder.
		return adopt()
	}
	return fmt.Errorf("%w: %s holds %d vectors of %s (%s dimensions), the configuration gives %s (%d dimensions); "+
		"vectors of different embedders cannot be compared: %s",
		ErrEmbedderMismatch, s.Path(), n, have, haveDims, id, dims, rebuild)
}
