package search

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// Re-clustering trigger: a collection's base is rebuilt in the background
// (new k-means centroids for an IVF index, one matrix again) once the
// vectors added to or removed from it since it was built exceed
// rebuildShare of its size (at least rebuildMin), or when an exact base
// of an auto index has grown past IVFMinVectors. Until then new vectors
// join the list of their nearest existing centroid, which is exactly
// what a rebuild with the same centroids would do; what drifts is only
// how well the centroids fit the data.
const rebuildShare = 0.25

// rebuildMin is the least number of changed vectors that triggers a
// rebuild (a variable so tests can exercise rebuilds on small data).
var rebuildMin = 1024

const (
	// maxVecSegs bounds the small segments beside the base: beyond it
	// they are concatenated into one (work proportional to their size).
	maxVecSegs = 8
)

// vseg is an immutable small run of vectors written after the base was
// built: row i is data[i*dims:(i+1)*dims] of store row rowids[i]; with
// an IVF base, list[i] is the IVF list it joined.
type vseg struct {
	rowids []int64
	data   []float32
	list   []int32
}

// vview is one committed state of a collection's vectors: the base
// matrix, the small segments since, and tombstones. Immutable once
// published.
type vview struct {
	base  *vecIndex
	dead  bitset // over base rows; never modified once published
	ndead int
	segs  []*vseg
	sdead []bitset
	live  int // live vectors in segs
	// changed counts vectors added or removed since the base was built.
	changed int
}

func (v *vview) n() int { return len(v.base.rowids) - v.ndead + v.live }

// find returns where the live vector of rowid is: seg -1 is the base.
func (v *vview) find(rowid int64) (seg, pos int, ok bool) {
	for i := len(v.segs) - 1; i >= 0; i-- {
		if p, found := slices.BinarySearch(v.segs[i].rowids, rowid); found && !v.sdead[i].has(int32(p)) {
			return i, p, true
		}
	}
	if p, found := v.base.find(rowid); found && !v.dead.has(int32(p)) {
		return -1, p, true
	}
	return 0, 0, false
}

func (v *vview) vector(rowid int64) []float32 {
	s, p, ok := v.find(rowid)
	switch {
	case !ok:
		return nil
	case s < 0:
		return v.base.row(p)
	}
	d := v.base.dims
	return v.segs[s].data[p*d : (p+1)*d : (p+1)*d]
}

// search is the top k over the live vectors: exact, or through the IVF
// lists for the base and by list membership for the small segments.
func (v *vview) search(q []float32, k int) []vscored {
	if k <= 0 {
		return nil
	}
	d := v.base.dims
	var heap []vscored
	var probed []bool
	if v.base.ivf != nil {
		probed = make([]bool, v.base.ivf.nlist)
		heap = v.base.searchIVF(q, k, v.base.nprobe, v.dead, make([]vscored, 0, k), probed)
	} else {
		// A best-first list, not a min-heap: rebuild the heap order.
		for _, c := range v.base.search(q, k, v.dead) {
			heap = append(heap, c)
			siftUp(heap, len(heap)-1)
		}
	}
	for i, s := range v.segs {
		for j, row := range s.rowids {
			if v.sdead[i].has(int32(j)) || (probed != nil && !probed[s.list[j]]) {
				continue
			}
			sc := dot(q[:d:d], s.data[j*d:(j+1)*d:(j+1)*d])
			c := vscored{-1, sc, row}
			if len(heap) < k {
				heap = append(heap, c)
				siftUp(heap, len(heap)-1)
			} else if less(heap[0], c) {
				heap[0] = c
				siftDown(heap, 0)
			}
		}
	}
	return sortBest(heap)
}

// liveVectors is one collection's vectors under change; see liveIndex.
type liveVectors struct {
	owner      *Vectors
	mu         sync.Mutex
	cur        atomic.Pointer[vview]
	rebuilding bool
	rebuilds   atomic.Int64
}

func (v *Vectors) newLive(base *vecIndex) *liveVectors {
	lv := &liveVectors{owner: v}
	lv.cur.Store(&vview{base: base})
	return lv
}

// apply publishes a view without the vectors of rows removed and with
// vecs added (a vector already live is replaced only if removed too).
func (lv *liveVectors) apply(removed []int64, vecs map[int64][]float32) {
	lv.mu.Lock()
	defer lv.mu.Unlock()
	v := lv.cur.Load()
	nv := &vview{base: v.base, dead: v.dead, ndead: v.ndead, segs: slices.Clone(v.segs), sdead: slices.Clone(v.sdead), live: v.live, changed: v.changed}
	copied := map[int]bool{}
	for _, r := range removed {
		s, p, ok := nv.find(r)
		if !ok {
			continue
		}
		if !copied[s] {
			copied[s] = true
			if s < 0 {
				nv.dead = nv.dead.clone(len(nv.base.rowids))
			} else {
				nv.sdead[s] = nv.sdead[s].clone(len(nv.segs[s].rowids))
			}
		}
		if s < 0 {
			nv.dead.set(p)
			nv.ndead++
		} else {
			nv.sdead[s].set(p)
			nv.live--
		}
		nv.changed++
	}
	rows := make([]int64, 0, len(vecs))
	for r, vec := range vecs {
		if _, _, live := nv.find(r); !live && len(vec) == nv.base.dims {
			rows = append(rows, r)
		}
	}
	if len(rows) > 0 {
		slices.Sort(rows)
		d := nv.base.dims
		seg := &vseg{rowids: rows, data: make([]float32, 0, len(rows)*d)}
		for _, r := range rows {
			seg.data = append(seg.data, vecs[r]...)
		}
		if iv := nv.base.ivf; iv != nil {
			seg.list = make([]int32, len(rows))
			for i := range rows {
				seg.list[i] = nearest(iv.centroids, d, seg.data[i*d:(i+1)*d])
			}
		}
		nv.segs = append(nv.segs, seg)
		nv.sdead = append(nv.sdead, nil)
		nv.live += len(rows)
		nv.changed += len(rows)
	}
	if len(nv.segs) > maxVecSegs && !lv.rebuilding {
		nv.compactSegs()
	}
	lv.cur.Store(nv)
	lv.maybeRebuildLocked()
}

// compactSegs concatenates the small segments' live vectors into one.
func (v *vview) compactSegs() {
	d := v.base.dims
	one := &vseg{}
	type at struct{ s, p int }
	var order []at
	for i, s := range v.segs {
		for p := range s.rowids {
			if !v.sdead[i].has(int32(p)) {
				order = append(order, at{i, p})
			}
		}
	}
	slices.SortFunc(order, func(a, b at) int {
		return cmp.Compare(v.segs[a.s].rowids[a.p], v.segs[b.s].rowids[b.p])
	})
	for _, o := range order {
		s := v.segs[o.s]
		one.rowids = append(one.rowids, s.rowids[o.p])
		one.data = append(one.data, s.data[o.p*d:(o.p+1)*d]...)
		if s.list != nil {
			one.list = append(one.list, s.list[o.p])
		}
	}
	v.segs, v.sdead = nil, nil
	if len(one.rowids) > 0 {
		v.segs, v.sdead = []*vseg{one}, []bitset{nil}
	}
	v.live = len(one.rowids)
}

// needsRebuild is the documented drift trigger (see rebuildShare).
func (lv *liveVectors) needsRebuild(v *vview) bool {
	n := len(v.base.rowids)
	if lv.owner.wantIVF(v.n()) && v.base.ivf == nil && v.n() > 0 {
		return true
	}
	return v.changed >= rebuildMin && float64(v.changed) > rebuildShare*float64(max(n, 1))
}

// maybeRebuildLocked starts a background rebuild when needed; lv.mu must
// be held.
func (lv *liveVectors) maybeRebuildLocked() {
	if lv.rebuilding || !lv.needsRebuild(lv.cur.Load()) {
		return
	}
	lv.rebuilding = true
	lv.owner.bg.Add(1)
	go func() {
		defer lv.owner.bg.Done()
		lv.rebuild()
	}()
}

// rebuild builds a new base from every live vector (re-clustering when
// an IVF index is wanted) while the current view serves, then installs
// it with the writes that landed meanwhile carried over.
func (lv *liveVectors) rebuild() {
	v0 := lv.cur.Load()
	d := v0.base.dims
	type src struct {
		row int64
		vec []float32
	}
	var all []src
	for p, r := range v0.base.rowids {
		if !v0.dead.has(int32(p)) {
			all = append(all, src{r, v0.base.row(p)})
		}
	}
	for i, s := range v0.segs {
		for p, r := range s.rowids {
			if !v0.sdead[i].has(int32(p)) {
				all = append(all, src{r, s.data[p*d : (p+1)*d]})
			}
		}
	}
	slices.SortFunc(all, func(a, b src) int { return cmp.Compare(a.row, b.row) })
	base := &vecIndex{dims: d, rowids: make([]int64, len(all)), data: make([]float32, 0, len(all)*d)}
	for i, s := range all {
		base.rowids[i] = s.row
		base.data = append(base.data, s.vec...)
	}
	if lv.owner.wantIVF(len(all)) {
		base.buildIVF()
		base.nprobe = lv.owner.opts.NProbe
	}

	lv.mu.Lock()
	defer lv.mu.Unlock()
	// While rebuilding, only apply changed the view, and it neither
	// replaces the base nor compacts segments: v0's base and segments
	// are all still in v1, and v1's other segments are newer.
	v1 := lv.cur.Load()
	nv := &vview{base: base}
	kill := func(row int64) {
		if p, ok := base.find(row); ok && !nv.dead.has(int32(p)) {
			if nv.dead == nil {
				nv.dead = newBitset(len(base.rowids))
			}
			nv.dead.set(p)
			nv.ndead++
			nv.changed++
		}
	}
	for p, r := range v0.base.rowids {
		if !v0.dead.has(int32(p)) && v1.dead.has(int32(p)) {
			kill(r)
		}
	}
	for i, s := range v0.segs {
		j := slices.Index(v1.segs, s)
		for p, r := range s.rowids {
			if !v0.sdead[i].has(int32(p)) && (j < 0 || v1.sdead[j].has(int32(p))) {
				kill(r)
			}
		}
	}
	for j, s := range v1.segs {
		if slices.Contains(v0.segs, s) {
			continue
		}
		ns := &vseg{rowids: s.rowids, data: s.data}
		if base.ivf != nil {
			ns.list = make([]int32, len(s.rowids))
			for p := range s.rowids {
				ns.list[p] = nearest(base.ivf.centroids, d, s.data[p*d:(p+1)*d])
			}
		}
		live := len(s.rowids) - v1.sdead[j].count()
		nv.segs = append(nv.segs, ns)
		nv.sdead = append(nv.sdead, v1.sdead[j])
		nv.live += live
		nv.changed += live
	}
	lv.cur.Store(nv)
	lv.rebuilds.Add(1)
	lv.rebuilding = false
	lv.maybeRebuildLocked()
}

// apply routes a batch of changes to collection's vectors: rows removed,
// and the vectors now stored for rows (of changed documents and of
// embed changes). A server creates the collection's view on first
// change; a one-shot process only updates views it has loaded.
func (v *Vectors) apply(ctx context.Context, collection string, removed []int64, rows []int64, fetch func(context.Context, []int64) (map[int64][]float32, error), live bool) error {
	v.mu.Lock()
	lv := v.ix[collection]
	if lv == nil && live {
		lv = v.newLive(&vecIndex{dims: v.dims})
		v.ix[collection] = lv
	}
	v.mu.Unlock()
	if lv == nil || (len(removed) == 0 && len(rows) == 0) {
		return nil
	}
	vecs, err := fetch(ctx, rows)
	if err != nil {
		return err
	}
	lv.apply(removed, vecs)
	return nil
}

// has reports whether collection's vectors are in memory.
func (v *Vectors) has(collection string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.ix[collection] != nil
}

// loaded reports whether any collection's vectors are in memory.
func (v *Vectors) loaded() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.ix) > 0
}

// Close waits for background rebuilds to finish.
func (v *Vectors) Close() { v.bg.Wait() }
