package kb

import "context"

// Original returns the source content kept for a document (a PDF's bytes,
// to render its pages); store.ErrNotFound when none is kept.
func (k *KB) Original(ctx context.Context, id string) ([]byte, error) {
	return k.store.Original(ctx, id)
}
