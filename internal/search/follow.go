package search

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ragline/ragline/internal/store"
)

// syncBatch is how many changes Sync reads and applies at a time.
const syncBatch = 1024

// ErrLoading is returned (wrapped, with the progress) by Loading while
// Load has not finished.
var ErrLoading = errors.New("index loading")

// view returns collection's current view. A live Lexical waits for Load
// and answers an unknown collection with an empty view; otherwise the
// store's newest changes are applied first and a collection not loaded
// yet is built now (one-shot processes: ask, eval, benchmarks).
func (l *Lexical) view(ctx context.Context, collection string) (*view, error) {
	if l.isLive() {
		if err := l.waitLoaded(ctx); err != nil {
			return nil, err
		}
		l.mu.RLock()
		li := l.ix[collection]
		l.mu.RUnlock()
		if li == nil {
			return emptyView, nil
		}
		return li.load(), nil
	}
	if err := l.syncIfBehind(ctx); err != nil {
		return nil, err
	}
	l.mu.RLock()
	li := l.ix[collection]
	l.mu.RUnlock()
	if li != nil {
		return li.load(), nil
	}
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.RLock()
	li = l.ix[collection]
	l.mu.RUnlock()
	if li != nil {
		return li.load(), nil
	}
	seq, err := l.index.LastChange(ctx)
	if err != nil {
		return nil, err
	}
	l.mu.RLock()
	first := len(l.ix) == 0
	l.mu.RUnlock()
	if first {
		// Nothing loaded yet: older changes concern no index here.
		l.applied.Store(seq)
	}
	seg, err := l.build(ctx, collection)
	if err != nil {
		return nil, err
	}
	// The index holds the store's state at seq or later; replaying the
	// changes between the applied sequence and seq is harmless (changes
	// are idempotent) but unnecessary, so it starts at seq.
	li = newLiveIndex(newView([]*segment{seg}, seq), &l.bg)
	l.mu.Lock()
	l.ix[collection] = li
	l.mu.Unlock()
	return li.load(), nil
}

// build reads a collection's indexed terms into one segment.
func (l *Lexical) build(ctx context.Context, collection string) (*segment, error) {
	seg := newSegment()
	err := l.index.ChunkTerms(ctx, collection, func(rowid int64, title, body string) {
		seg.add(rowid, title, body)
		l.loaded.Add(1)
	})
	if err != nil {
		return nil, fmt.Errorf("build index %s: %w", collection, err)
	}
	return seg, nil
}

// syncIfBehind applies the store's new changes, if any (one query when
// there are none).
func (l *Lexical) syncIfBehind(ctx context.Context) error {
	last, err := l.index.LastChange(ctx)
	if err != nil {
		return err
	}
	if last <= l.applied.Load() {
		return nil
	}
	return l.Sync(ctx)
}

// Sync applies every change committed to the store since the last Sync
// to the loaded indexes: per collection, the chunks a change removed
// become tombstones and the changed documents' current chunks a new
// segment, published together as one new view. A change to collection X
// never touches collection Y's index.
func (l *Lexical) Sync(ctx context.Context) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if !l.isLive() && !l.anyLoaded() {
		// No index here yet: whatever is built later reads the store's
		// state then, so the changes so far concern nothing.
		last, err := l.index.LastChange(ctx)
		if err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		l.applied.Store(last)
		l.epoch.Add(1)
		return nil
	}
	for {
		after := l.applied.Load()
		changes, err := l.index.Changes(ctx, "", after, syncBatch)
		if err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		if len(changes) == 0 {
			return nil
		}
		if err := l.applyChanges(ctx, changes); err != nil {
			return err
		}
		l.applied.Store(changes[len(changes)-1].Seq)
		if len(changes) < syncBatch {
			return nil
		}
	}
}

// delta is what one batch of changes does to one collection.
type delta struct {
	removed []int64
	docs    []string
	embed   []int64
	seen    map[string]bool
}

func (l *Lexical) applyChanges(ctx context.Context, changes []store.Change) error {
	last := changes[len(changes)-1].Seq
	byColl := map[string]*delta{}
	var order []string
	removed := false
	for _, c := range changes {
		d := byColl[c.Collection]
		if d == nil {
			d = &delta{seen: map[string]bool{}}
			byColl[c.Collection] = d
			order = append(order, c.Collection)
		}
		switch c.Op {
		case store.OpEmbed:
			d.embed = append(d.embed, c.Rows...)
			continue
		case store.OpDelete, store.OpReplace:
			d.removed = append(d.removed, c.Rows...)
			removed = removed || len(c.Rows) > 0
		}
		if c.Op != store.OpDelete && !d.seen[c.DocumentID] {
			d.seen[c.DocumentID] = true
			d.docs = append(d.docs, c.DocumentID)
		}
	}
	if removed {
		// Before any new view is visible, so no reader caches a removed
		// row's old text under the new epoch.
		l.epoch.Add(1)
	}
	memory := l.opts.Engine != EngineFTS5
	l.mu.RLock()
	live := l.live
	l.mu.RUnlock()
	for _, coll := range order {
		d := byColl[coll]
		l.mu.Lock()
		li := l.ix[coll]
		if li == nil && live && memory {
			li = newLiveIndex(emptyView, &l.bg)
			l.ix[coll] = li
		}
		l.mu.Unlock()
		var added []store.TermChunk
		if li != nil || (l.vectors != nil && (live || l.vectors.has(coll))) {
			for _, id := range d.docs {
				tc, err := l.index.DocumentTerms(ctx, id)
				if err != nil {
					return fmt.Errorf("sync %s: %w", coll, err)
				}
				added = append(added, tc...)
			}
		}
		if li != nil && (len(d.removed) > 0 || len(added) > 0) {
			li.apply(d.removed, added, last)
		}
		if l.vectors != nil {
			rows := d.embed
			for _, c := range added {
				rows = append(rows, c.RowID)
			}
			if err := l.vectors.apply(ctx, coll, d.removed, rows, l.index.RowVectors, live); err != nil {
				return fmt.Errorf("sync %s: %w", coll, err)
			}
		}
	}
	return nil
}

// anyLoaded reports whether any collection's index (lexical or vector)
// is in memory.
func (l *Lexical) anyLoaded() bool {
	l.mu.RLock()
	n := len(l.ix)
	l.mu.RUnlock()
	return n > 0 || (l.vectors != nil && l.vectors.loaded())
}

// isLive reports whether Load was called.
func (l *Lexical) isLive() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.live
}

// waitLoaded waits for Load to finish and returns its error.
func (l *Lexical) waitLoaded(ctx context.Context) error {
	l.mu.RLock()
	ready := l.ready
	l.mu.RUnlock()
	select {
	case <-ready:
		return l.loadErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SetVectors makes Sync (and Load) keep v's views current too; call it
// before the first search.
func (l *Lexical) SetVectors(v *Vectors) {
	l.vectors = v
	v.owner = l
}

// Serve marks the Lexical as serving: from now on queries wait for Load
// instead of building indexes, and Loading reports progress. Call it
// before starting Load in the background, so no query slips in between.
func (l *Lexical) Serve() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.live {
		l.live = true
		l.ready = make(chan struct{})
	}
}

// Load builds every collection's index from the store, in parallel, and
// from then on answers queries without touching the store's full-text
// table: an unknown collection is empty until a change creates it.
// Queries wait until Load has finished; Loading reports its progress
// meanwhile. Call Follow afterwards to keep the indexes current.
func (l *Lexical) Load(ctx context.Context) error {
	l.Serve()
	l.mu.RLock()
	ready := l.ready
	l.mu.RUnlock()
	select {
	case <-ready:
		return errors.New("load: already loaded")
	default:
	}
	err := l.load(ctx)
	l.loadErr = err
	close(ready)
	return err
}

func (l *Lexical) load(ctx context.Context) error {
	if err := l.loadAll(ctx); err != nil {
		return err
	}
	// Saved indexes may be behind the change log: catch up.
	return l.Sync(ctx)
}

func (l *Lexical) loadAll(ctx context.Context) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	seq, err := l.index.LastChange(ctx)
	if err != nil {
		return err
	}
	colls, err := l.index.Collections(ctx)
	if err != nil {
		return err
	}
	if l.vectors != nil {
		if err := l.vectors.loadAll(ctx, colls); err != nil {
			return err
		}
	}
	if l.opts.Engine == EngineFTS5 {
		l.applied.Store(seq)
		return nil
	}
	var mu sync.Mutex
	from := seq
	var built []string
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for coll := range colls {
		g.Go(func() error {
			seg, at, ok := l.readSaved(coll, seq)
			if !ok {
				var err error
				if seg, err = l.build(gctx, coll); err != nil {
					return err
				}
				at = seq
			} else {
				l.loaded.Add(int64(seg.len()))
			}
			mu.Lock()
			defer mu.Unlock()
			from = min(from, at)
			if !ok {
				built = append(built, coll)
			}
			l.mu.Lock()
			l.ix[coll] = newLiveIndex(newView([]*segment{seg}, at), &l.bg)
			l.mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	// Changes are idempotent: replaying those after the oldest saved
	// index on the newer ones changes nothing.
	l.applied.Store(from)
	if l.opts.SaveDir != "" && l.opts.KBID != "" && !l.opts.ReadOnly {
		for _, coll := range built {
			l.bg.Go(func() { _ = l.save(coll) })
		}
	}
	return nil
}

// readSaved returns collection's saved index if there is a usable one:
// of this knowledge base, and at most maxReplay changes behind last.
func (l *Lexical) readSaved(collection string, last int64) (*segment, int64, bool) {
	if l.opts.SaveDir == "" || l.opts.KBID == "" {
		return nil, 0, false
	}
	seg, at, err := readSegment(l.opts.SaveDir, l.opts.KBID, collection)
	if err != nil || at > last || last-at > maxReplay {
		return nil, 0, false
	}
	l.savedMu.Lock()
	if l.saved == nil {
		l.saved = map[string]int64{}
	}
	l.saved[collection] = at
	l.savedMu.Unlock()
	l.fromSaved.Add(1)
	return seg, at, true
}

// save writes collection's current index to SaveDir, stamped with the
// sequence it includes.
func (l *Lexical) save(collection string) error {
	l.syncMu.Lock()
	l.mu.RLock()
	li := l.ix[collection]
	l.mu.RUnlock()
	if li == nil {
		l.syncMu.Unlock()
		return nil
	}
	v, seq := li.load(), l.applied.Load()
	l.syncMu.Unlock()
	l.savedMu.Lock()
	defer l.savedMu.Unlock()
	if l.saved == nil {
		l.saved = map[string]int64{}
	}
	if at, ok := l.saved[collection]; ok && at >= seq {
		return nil
	}
	var seg *segment
	if len(v.segs) == 1 && v.ndead[0] == 0 {
		seg = v.segs[0] // immutable: written as it is, no copy
	} else {
		seg = mergeSegments(v.segs, v.dead)
	}
	if seg == nil {
		seg = newSegment()
	}
	if err := writeSegment(l.opts.SaveDir, l.opts.KBID, collection, seq, seg); err != nil {
		return fmt.Errorf("save index %s: %w", collection, err)
	}
	l.saved[collection] = seq
	return nil
}

// saveChanged saves every collection whose index changed since it was
// last saved.
func (l *Lexical) saveChanged() error {
	if l.opts.SaveDir == "" || l.opts.KBID == "" || l.opts.ReadOnly || !l.isLive() {
		return nil
	}
	l.mu.RLock()
	colls := make([]string, 0, len(l.ix))
	for c := range l.ix {
		colls = append(colls, c)
	}
	l.mu.RUnlock()
	var errs []error
	for _, c := range colls {
		errs = append(errs, l.save(c))
	}
	return errors.Join(errs...)
}

// Loading returns nil once Load has finished, else an error wrapping
// ErrLoading that says how far it is.
func (l *Lexical) Loading() error {
	l.mu.RLock()
	live, ready := l.live, l.ready
	l.mu.RUnlock()
	if !live {
		return nil
	}
	select {
	case <-ready:
		return l.loadErr
	default:
	}
	return fmt.Errorf("%w: %d chunks loaded", ErrLoading, l.loaded.Load())
}

// Follow applies the store's new changes every interval until ctx ends,
// so writes by other processes become searchable; errors go to onError
// and following goes on.
func (l *Lexical) Follow(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	// A store that pushes change notices (PostgreSQL LISTEN/NOTIFY) wakes
	// the follower at once; the ticker stays as the catch-up.
	notifier, _ := l.index.(store.ChangeNotifier)
	for {
		var wake <-chan struct{}
		if notifier != nil {
			wake = notifier.ChangeSignal()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
		if err := l.syncIfBehind(ctx); err != nil && ctx.Err() == nil && onError != nil {
			onError(err)
		}
	}
}

// Close waits for background merges and rebuilds to finish and, in a
// server, saves the indexes that changed since they were last saved.
func (l *Lexical) Close() error {
	l.bg.Wait()
	if l.vectors != nil {
		l.vectors.Close()
	}
	if l.isLive() {
		select {
		case <-l.ready:
		default:
			return nil // never loaded: nothing to save
		}
		if l.loadErr != nil {
			return nil
		}
	}
	return l.saveChanged()
}

// Chunks returns the number of live chunks in collection's in-memory
// index (0 when it is not loaded or the engine is fts5).
func (l *Lexical) Chunks(collection string) int {
	l.mu.RLock()
	li := l.ix[collection]
	l.mu.RUnlock()
	if li == nil {
		return 0
	}
	return li.load().n
}
