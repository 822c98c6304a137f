package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
)

// digester is the one knowledge-base digest recipe every store uses:
// sha256 over the recipe version, the settings and each document's
// (collection, source, content hash), fed in byte order of collection,
// hash, source.
type digester struct{ h hash.Hash }

func newDigester(settings string) *digester {
	d := &digester{h: sha256.New()}
	fmt.Fprintf(d.h, "%s\n%s\n", digestVersion, settings)
	return d
}

func (d *digester) add(collection, source, hash string) {
	fmt.Fprintf(d.h, "%s\x00%s\x00%s\n", collection, source, hash)
}

func (d *digester) sum() string { return hex.EncodeToString(d.h.Sum(nil)) }
