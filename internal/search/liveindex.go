package search

import (
	"cmp"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/ragline/ragline/internal/store"
)

// Merge policy: segments are grouped in tiers by size (a tier spans a
// factor of mergeFactor); when a tier holds mergeFactor segments they are
// merged into one of the next tier, so every chunk is rewritten about
// log_mergeFactor(N) times in its life. A segment with more than
// maxDeadShare of its chunks tombstoned is rewritten alone to reclaim
// them.
const (
	mergeFactor  = 4
	maxDeadShare = 0.25
)

// liveIndex is one collection's lexical index under change. Readers load
// the current view without locking; writers (apply, and the background
// merge when it installs its result) serialise on mu and publish a new
// view atomically.
type liveIndex struct {
	mu      sync.Mutex
	cur     atomic.Pointer[view]
	merging bool
	// bg tracks background merges (the owner waits for them on close).
	bg *sync.WaitGroup
	// merges counts finished merges (tests and metrics).
	merges atomic.Int64
}

func newLiveIndex(v *view, bg *sync.WaitGroup) *liveIndex {
	li := &liveIndex{bg: bg}
	li.cur.Store(v)
	return li
}

// load returns the current view.
func (li *liveIndex) load() *view { return li.cur.Load() }

// apply publishes a view without the chunks of rows removed and with the
// chunks added, as one atomic step; added chunks already live are
// skipped, so applying a change twice changes nothing.
func (li *liveIndex) apply(removed []int64, added []store.TermChunk, seq int64) {
	li.mu.Lock()
	defer li.mu.Unlock()
	v := li.cur.Load().with(removed, nil, seq)
	slices.SortFunc(added, func(a, b store.TermChunk) int { return cmp.Compare(a.RowID, b.RowID) })
	seg := newSegment()
	for i, c := range added {
		if i > 0 && added[i-1].RowID == c.RowID {
			continue
		}
		if _, _, live := v.find(c.RowID); live {
			continue
		}
		seg.add(c.RowID, c.Title, c.Body)
	}
	li.cur.Store(v.with(nil, seg, seq))
	li.maybeMergeLocked()
}

// tier is a segment's size class.
func tier(n int) int {
	if n <= 1 {
		return 0
	}
	return (bits.Len(uint(n)) - 1) / 2 // log4
}

// pickMerge chooses segments of v to merge: the smallest tier with
// mergeFactor segments, else one segment with too many tombstones.
func pickMerge(v *view) []*segment {
	byTier := map[int][]*segment{}
	lowest := -1
	for _, s := range v.segs {
		t := tier(s.len())
		byTier[t] = append(byTier[t], s)
		if len(byTier[t]) >= mergeFactor && (lowest < 0 || t < lowest) {
			lowest = t
		}
	}
	if lowest >= 0 {
		return byTier[lowest]
	}
	for i, s := range v.segs {
		if v.ndead[i] > 0 && float64(v.ndead[i]) > maxDeadShare*float64(s.len()) {
			return []*segment{s}
		}
	}
	return nil
}

// maybeMergeLocked starts a background merge when the policy asks for
// one and none is running. li.mu must be held.
func (li *liveIndex) maybeMergeLocked() {
	if li.merging || pickMerge(li.cur.Load()) == nil {
		return
	}
	li.merging = true
	li.bg.Add(1)
	go func() {
		defer li.bg.Done()
		for li.mergeOnce() {
		}
	}()
}

// mergeOnce merges one group of segments picked from the current view
// and installs the result; it reports whether there may be more to do.
// Readers keep using the old views meanwhile; writes that land during
// the merge are carried over when it installs.
func (li *liveIndex) mergeOnce() bool {
	v0 := li.cur.Load()
	in := pickMerge(v0)
	if in == nil {
		li.mu.Lock()
		defer li.mu.Unlock()
		if pickMerge(li.cur.Load()) == nil {
			li.merging = false
			return false
		}
		return true
	}
	dead0 := make([]bitset, len(in))
	for i, s := range in {
		dead0[i] = v0.dead[slices.Index(v0.segs, s)]
	}
	merged := mergeSegments(in, dead0)

	li.mu.Lock()
	defer li.mu.Unlock()
	v1 := li.cur.Load()
	nv := &view{n: v1.n, sumLen: v1.sumLen, seq: v1.seq}
	var late bitset // chunks of merged deleted since v0
	lateN := 0
	for i, s := range in {
		now := bitset(nil)
		j := slices.Index(v1.segs, s)
		if j >= 0 {
			now = v1.dead[j]
		}
		for d := range s.rowids {
			if dead0[i].has(int32(d)) || (j >= 0 && !now.has(int32(d))) {
				continue
			}
			m, ok := merged.find(s.rowids[d])
			if !ok {
				continue
			}
			if late == nil {
				late = newBitset(merged.len())
			}
			if !late.has(int32(m)) {
				late.set(m)
				lateN++
			}
		}
	}
	for j, s := range v1.segs {
		if slices.Contains(in, s) {
			continue
		}
		nv.segs = append(nv.segs, s)
		nv.dead = append(nv.dead, v1.dead[j])
		nv.ndead = append(nv.ndead, v1.ndead[j])
	}
	if merged.len() > lateN {
		nv.segs = append(nv.segs, merged)
		nv.dead = append(nv.dead, late)
		nv.ndead = append(nv.ndead, lateN)
	}
	nv.layout()
	li.cur.Store(nv)
	li.merges.Add(1)
	return true
}
