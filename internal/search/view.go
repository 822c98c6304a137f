package search

import (
	"container/heap"
	"slices"
	"sync"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/store"
)

// view is one committed state of a collection's lexical index: segments,
// their tombstones and the collection-wide statistics BM25 needs (number
// of live chunks and their total length). A view is immutable once
// published; readers use whichever view was current when they started,
// so they never wait for a writer and never see half a write.
type view struct {
	segs []*segment
	// dead[i] marks segs[i]'s deleted or replaced chunks (nil: none);
	// ndead[i] counts them.
	dead  []bitset
	ndead []int
	// base[i] is the first slot of segs[i]; slots counts every chunk,
	// live or dead.
	base  []int
	slots int
	// n and sumLen are over live chunks only, maintained exactly as
	// integers, so the average length equals a fresh rebuild's.
	n      int
	sumLen int64
	// seq is the change-log sequence this view includes.
	seq int64
}

var emptyView = &view{}

// newView returns a view over segs with no tombstones.
func newView(segs []*segment, seq int64) *view {
	v := &view{seq: seq}
	for _, s := range segs {
		if s.len() == 0 {
			continue
		}
		v.segs = append(v.segs, s)
		v.n += s.len()
		v.sumLen += s.sumLen
	}
	v.dead = make([]bitset, len(v.segs))
	v.ndead = make([]int, len(v.segs))
	v.layout()
	return v
}

// layout recomputes the slot offsets.
func (v *view) layout() {
	v.base = make([]int, len(v.segs))
	v.slots = 0
	for i, s := range v.segs {
		v.base[i] = v.slots
		v.slots += s.len()
	}
}

// find returns the segment and position of the live chunk with row id
// row. At most one live chunk has a given row id, though dead ones with
// the same id may remain until a merge drops them.
func (v *view) find(row int64) (seg, doc int, ok bool) {
	for i := len(v.segs) - 1; i >= 0; i-- {
		if d, found := v.segs[i].find(row); found && !v.dead[i].has(int32(d)) {
			return i, d, true
		}
	}
	return 0, 0, false
}

// avg is the average live chunk length.
func (v *view) avg() float64 {
	if v.n == 0 || v.sumLen == 0 {
		return 1
	}
	return float64(v.sumLen) / float64(v.n)
}

// docFreq is the number of live chunks whose body or title holds term.
func (v *view) docFreq(term string) int {
	df := 0
	for i, s := range v.segs {
		ps := s.postings[term]
		if v.ndead[i] == 0 {
			df += len(ps)
			continue
		}
		for _, p := range ps {
			if !v.dead[i].has(p.doc) {
				df++
			}
		}
	}
	return df
}

// has reports whether some live chunk holds term: docFreq(term) > 0,
// stopping at the first live posting.
func (v *view) has(term string) bool {
	for i, s := range v.segs {
		ps := s.postings[term]
		if v.ndead[i] == 0 {
			if len(ps) > 0 {
				return true
			}
			continue
		}
		for _, p := range ps {
			if !v.dead[i].has(p.doc) {
				return true
			}
		}
	}
	return false
}

// search scores every live chunk containing a query term (term at a
// time, a repeated term counted as its query frequency: see
// queryWeights) and returns the k best, ties broken by row id.
func (v *view) search(terms []schema.QueryTerm, k int, p BM25) []store.Match {
	if v.n == 0 || k <= 0 {
		return nil
	}
	acc := getAcc(v.slots)
	defer putAcc(acc)
	avg := v.avg()
	for _, qt := range queryWeights(terms, p.K3) {
		t := qt.Term
		df := v.docFreq(t)
		if df == 0 {
			continue
		}
		w := termWeight(qt, df, v.n)
		for i, s := range v.segs {
			a, dead, length := acc[v.base[i]:v.base[i]+s.len()], v.dead[i], s.length
			for _, pt := range s.postings[t] {
				if dead.has(pt.doc) {
					continue
				}
				a[pt.doc] += termScore(w, pt, length[pt.doc], avg, p)
			}
		}
	}
	h := make(topK, 0, k+1)
	for i, s := range v.segs {
		a := acc[v.base[i] : v.base[i]+s.len()]
		for d, sc := range a {
			if sc <= 0 {
				continue
			}
			c := scored{slot: int32(v.base[i] + d), score: sc, row: s.rowids[d]}
			if len(h) < k {
				heap.Push(&h, c)
			} else if better(c, h[0]) {
				h[0] = c
				heap.Fix(&h, 0)
			}
		}
	}
	out := make([]store.Match, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		c := heap.Pop(&h).(scored)
		out[i] = store.Match{ChunkRowID: c.row, Score: float64(c.score)}
	}
	return out
}

// accPool recycles score accumulators: one float32 per chunk slot is
// megabytes at a large collection, and allocating it per query made the
// garbage collector a large share of query time under writes.
var accPool sync.Pool

// getAcc returns a zeroed accumulator of n slots.
func getAcc(n int) []float32 {
	if p, ok := accPool.Get().(*[]float32); ok && cap(*p) >= n {
		a := (*p)[:n]
		clear(a)
		return a
	}
	return make([]float32, n)
}

func putAcc(a []float32) { accPool.Put(&a) }

// with returns a new view: v without the live chunks of rows removed,
// plus added (a new segment), at sequence seq. Work is proportional to
// the change, not to the collection (a tombstoned segment's bitset is
// copied once: one bit per chunk).
func (v *view) with(removed []int64, added *segment, seq int64) *view {
	nv := &view{
		segs:   slices.Clone(v.segs),
		dead:   slices.Clone(v.dead),
		ndead:  slices.Clone(v.ndead),
		n:      v.n,
		sumLen: v.sumLen,
		seq:    seq,
	}
	copied := map[int]bool{}
	for _, r := range removed {
		si, d, ok := nv.find(r)
		if !ok {
			continue
		}
		if !copied[si] {
			nv.dead[si] = nv.dead[si].clone(nv.segs[si].len())
			copied[si] = true
		}
		nv.dead[si].set(d)
		nv.ndead[si]++
		nv.n--
		nv.sumLen -= int64(nv.segs[si].length[d])
	}
	if added != nil && added.len() > 0 {
		nv.segs = append(nv.segs, added)
		nv.dead = append(nv.dead, nil)
		nv.ndead = append(nv.ndead, 0)
		nv.n += added.len()
		nv.sumLen += added.sumLen
	}
	// Drop segments with nothing live left.
	for i := len(nv.segs) - 1; i >= 0; i-- {
		if nv.ndead[i] == nv.segs[i].len() {
			nv.segs = slices.Delete(nv.segs, i, i+1)
			nv.dead = slices.Delete(nv.dead, i, i+1)
			nv.ndead = slices.Delete(nv.ndead, i, i+1)
		}
	}
	nv.layout()
	return nv
}
