package kb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ragline/ragline/internal/chunk"
	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/ingest"
	"github.com/ragline/ragline/internal/model/extractive"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/search"
	"github.com/ragline/ragline/internal/store"
	"github.com/ragline/ragline/internal/text"
)

// KB is an open knowledge base. It is safe for concurrent use.
type KB struct {
	cfg      *config.Config
	store    store.Backend
	analyzer *text.Analyzer
	lexical  *search.Lexical
	gen      *extractive.Generator
	chunkOpt chunk.Options
	stamp    string
	settings string
	data     string // as opened: a directory, file or database URL

	mu     sync.Mutex
	digest string // cached; "" after a write
	// digestSeq is the change-log sequence the cached digest was computed
	// at: another process's write (a CLI, another replica) moves it.
	digestSeq int64
	// digestStamped is set for a snapshot's stamped digest, which no
	// write can change.
	digestStamped bool
	// stopFollow ends Serve's change-log follower.
	stopFollow context.CancelFunc

	modelState
}

// Open opens the knowledge base at data (a directory or a database file)
// with the configuration's analyzer, chunker, retrieval and generator.
func Open(ctx context.Context, cfg *config.Config, data string, readOnly bool) (*KB, error) {
	an, err := NewAnalyzer(cfg)
	if err != nil {
		return nil, err
	}
	chunkOpt := chunk.Options{Size: cfg.Chunker.Size, Overlap: cfg.Chunker.Overlap}
	if chunkOpt.Overlap == 0 {
		chunkOpt.Overlap = -1 // the chunker reads 0 as "default"; the config means none
	}
	stamp := Stamp(an, chunkOpt)
	st, err := store.OpenData(ctx, data, store.Options{ReadOnly: readOnly, Stamp: stamp})
	if err != nil {
		return nil, err
	}
	ix, _ := json.Marshal(cfg.Index())
	kbID, err := st.ID(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	k := &KB{
		cfg:      cfg,
		store:    st,
		analyzer: an,
		lexical: search.NewLexical(st, an, search.Options{
			Engine: cfg.Retrieval.Engine,
			Fuzzy:  cfg.Retrieval.Fuzzy,
			BM25:   search.BM25{K1: cfg.Retrieval.BM25.K1, B: cfg.Retrieval.BM25.B, TitleWeight: cfg.Retrieval.TitleWeight, K3: cfg.Retrieval.BM25.K3},
			// Saved indexes live beside the database file (a database
			// server has no "beside": replicas load from the store).
			SaveDir:  saveDir(st),
			KBID:     kbID,
			ReadOnly: readOnly,
		}),
		gen:      extractive.New(an, extractive.Options{MaxSentences: cfg.Generator.MaxSentences, MinScore: cfg.Generator.MinScore}),
		chunkOpt: chunkOpt,
		stamp:    stamp,
		data:     data,
		settings: stamp + "\n" + ingest.Version + "\n" + string(ix),
	}
	if err := k.setupModels(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return k, nil
}

func saveDir(st store.Backend) string {
	if _, ok := st.(*store.SQLite); ok {
		return st.Path() + ".index"
	}
	return ""
}

// NewAnalyzer builds the analyzer a configuration asks for.
func NewAnalyzer(cfg *config.Config) (*text.Analyzer, error) {
	o := text.Options{Stemming: cfg.Analyzer.Stemming, CJK: cfg.Analyzer.CJK}
	switch {
	case cfg.Analyzer.StopWords.Words != nil:
		o.StopWords = cfg.Analyzer.StopWords.Words
	case cfg.Analyzer.StopWords.Preset == "none":
		o.StopWords = []string{}
	}
	an, err := text.NewAnalyzer(o)
	if err != nil {
		return nil, fmt.Errorf("analyzer: %w", err)
	}
	return an, nil
}

// Stamp identifies the analyzer and chunker settings a knowledge base is
// built with.
func Stamp(an *text.Analyzer, o chunk.Options) string {
	return fmt.Sprintf("%s;%s;size=%d;overlap=%d", an.Version(), chunk.Version, o.Size, o.Overlap)
}

// Store returns the underlying store.
func (k *KB) Store() store.Backend { return k.store }

// StoreURL returns the database URL the knowledge base was opened with
// (password included, for opening the sessions in the same database), or
// "" for a SQLite knowledge base.
func (k *KB) StoreURL() string {
	if store.IsURL(k.data) {
		return k.data
	}
	return ""
}

// Analyzer returns the analyzer used for indexing and querying.
func (k *KB) Analyzer() *text.Analyzer { return k.analyzer }

// Config returns the configuration the knowledge base was opened with.
func (k *KB) Config() *config.Config { return k.cfg }

// Close stops following the change log, waits for background index
// work and closes the store.
func (k *KB) Close() error {
	k.mu.Lock()
	stop := k.stopFollow
	k.mu.Unlock()
	if stop != nil {
		stop()
	}
	return errors.Join(k.lexical.Close(), k.store.Close())
}

// Digest returns the knowledge-base digest (see store.Digest).
func (k *KB) Digest(ctx context.Context) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.digestStamped {
		return k.digest, nil
	}
	seq, seqErr := k.store.LastChange(ctx)
	if k.digest != "" && (seqErr != nil || seq == k.digestSeq) {
		return k.digest, nil
	}
	if stamped, err := k.store.Meta(ctx, "digest"); err == nil && k.store.ReadOnly() {
		k.digest, k.digestStamped = stamped, true
		return stamped, nil
	}
	d, err := k.store.Digest(ctx, k.settings)
	if err != nil {
		return "", err
	}
	k.digest, k.digestSeq = d, seq
	return d, nil
}

// invalidate is called after every write: the digest is recomputed on
// demand, and the write is applied to the in-memory indexes at once, so
// a write this process acknowledges is already searchable here.
func (k *KB) invalidate() {
	k.mu.Lock()
	k.digest = ""
	k.mu.Unlock()
	// A failure here is not the write's: the follower (or the next
	// query of a one-shot process) retries from the same sequence.
	_ = k.lexical.Sync(context.Background())
}

// Snapshot writes a compacted read-only copy stamped with its digest.
// A PostgreSQL knowledge base is first copied into a temporary SQLite
// database beside out.
func (k *KB) Snapshot(ctx context.Context, out string) (string, error) {
	if s, ok := k.store.(*store.SQLite); ok {
		return s.Snapshot(ctx, out, k.settings)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".snapshot-")
	if err != nil {
		return "", fmt.Errorf("snapshot: %w", err)
	}
	defer os.RemoveAll(tmp)
	local, err := store.Open(ctx, tmp, store.Options{Stamp: k.stamp})
	if err != nil {
		return "", err
	}
	defer local.Close()
	if err := store.Copy(ctx, k.store, local, nil); err != nil {
		return "", err
	}
	return local.Snapshot(ctx, out, k.settings)
}

// DeleteDocument removes a document and all its chunks.
func (k *KB) DeleteDocument(ctx context.Context, id string) error {
	defer k.invalidate()
	return k.store.DeleteDocument(ctx, id)
}

// Warm loads the in-memory index of collection ahead of the first query.
func (k *KB) Warm(ctx context.Context, collection string) error {
	if collection == "" {
		collection = k.cfg.Collection
	}
	if err := k.lexical.Warm(ctx, collection); err != nil {
		return err
	}
	if k.vectors != nil {
		return k.vectors.Warm(ctx, collection)
	}
	return nil
}

// Ping checks that the store answers and, in a server, that the
// in-memory indexes are loaded (the error says how far loading is).
func (k *KB) Ping(ctx context.Context) error {
	// Loading first: a store that cannot be reached (store.ErrUnavailable)
	// only degrades a server whose index is loaded.
	if err := k.lexical.Loading(); err != nil {
		return err
	}
	return k.store.Ping(ctx)
}

// PingStore checks that the store answers, whatever the state of the
// in-memory indexes (writes need only the store).
func (k *KB) PingStore(ctx context.Context) error { return k.store.Ping(ctx) }

// FollowInterval is how often a server polls the change log for writes
// made by other processes.
const FollowInterval = 50 * time.Millisecond

// StartLive prepares the knowledge base for serving: it loads every
// collection's in-memory indexes in the background (Ping reports the
// progress, queries wait for it) and then follows the store's change
// log, so writes by other processes (a CLI ingest, another replica)
// become searchable within about FollowInterval, applied as deltas.
// Errors after the load go to onError. Close stops it.
func (k *KB) StartLive(ctx context.Context, onError func(error)) {
	ctx, cancel := context.WithCancel(ctx)
	k.mu.Lock()
	k.stopFollow = cancel
	k.mu.Unlock()
	done := make(chan struct{})
	k.lexical.Serve()
	go func() {
		defer close(done)
		if err := k.lexical.Load(ctx); err != nil {
			if ctx.Err() == nil && onError != nil {
				onError(err)
			}
			return
		}
		k.lexical.Follow(ctx, FollowInterval, onError)
	}()
	k.mu.Lock()
	k.stopFollow = func() { cancel(); <-done }
	k.mu.Unlock()
}

// WaitLoaded waits until StartLive's load has finished.
func (k *KB) WaitLoaded(ctx context.Context) error {
	for {
		err := k.lexical.Loading()
		if !errors.Is(err, search.ErrLoading) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Collections lists collection names with their document counts.
func (k *KB) Collections(ctx context.Context) (map[string]int, error) {
	return k.store.Collections(ctx)
}

// Documents lists a collection's documents ("" lists all).
func (k *KB) Documents(ctx context.Context, collection string) ([]store.DocInfo, error) {
	return k.store.Documents(ctx, collection)
}

// DocumentInfo returns a document's metadata.
func (k *KB) DocumentInfo(ctx context.Context, id string) (store.DocInfo, error) {
	return k.store.DocumentInfo(ctx, id)
}

// Document returns a document with its extracted text.
func (k *KB) Document(ctx context.Context, id string) (schema.Document, error) {
	return k.store.Document(ctx, id)
}

// ReadOnly reports whether the knowledge base refuses writes.
func (k *KB) ReadOnly() bool { return k.store.ReadOnly() }

// IndexedChunks returns the number of chunks of collection in the
// in-memory lexical index (after StartLive's load or a first query).
func (k *KB) IndexedChunks(collection string) int {
	if collection == "" {
		collection = k.cfg.Collection
	}
	return k.lexical.Chunks(collection)
}
