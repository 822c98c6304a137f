package search

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/ragline/ragline/internal/store"
)

// VectorSource yields the stored vectors of a collection; the store
// implements it.
type VectorSource interface {
	ChunkVectors(ctx context.Context, collection string, fn func(rowid int64, vec []float32)) error
}

// Vectors is nearest-neighbour search over a collection's chunk vectors.
// Each collection has a base (one contiguous matrix of unit vectors, with
// an IVF index for large collections, see VectorOptions) plus small
// segments of vectors written since, and tombstones; like the lexical
// index, writes publish a new immutable view atomically and readers never
// wait. A new vector joins the IVF list of its nearest centroid when it
// is written; the base is rebuilt (re-clustered) in the background when
// the collection has drifted from it (see needsRebuild), while the old
// view keeps serving. It is safe for concurrent use.
type Vectors struct {
	src  VectorSource
	dims int
	opts VectorOptions
	mu   sync.Mutex // guards ix (the map) and lazy loads
	ix   map[string]*liveVectors
	// owner, when set, keeps the views current from the change log.
	owner *Lexical
	bg    sync.WaitGroup
}

// vecIndex is one immutable matrix of vectors: row i is
// data[i*dims:(i+1)*dims]. Without an IVF index rows are in rowid order;
// with one they are ordered list by list and byRow lists the rows in
// rowid order.
type vecIndex struct {
	dims   int
	rowids []int64
	data   []float32
	ivf    *ivfIndex
	byRow  []int32
	nprobe int
}

// NewVectors returns vector search over src for vectors of dims
// dimensions, searched as opts says.
func NewVectors(src VectorSource, dims int, opts VectorOptions) *Vectors {
	if opts.Index == "" {
		opts.Index = IndexAuto
	}
	if opts.NProbe <= 0 {
		opts.NProbe = DefaultNProbe
	}
	return &Vectors{src: src, dims: dims, opts: opts, ix: map[string]*liveVectors{}}
}

// Normalize scales v to unit length in place (a zero vector stays zero),
// so that the dot product of two normalised vectors is their cosine.
func Normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}

// wantIVF reports whether a base of n vectors gets an IVF index.
func (v *Vectors) wantIVF(n int) bool {
	return v.opts.Index == IndexIVF || (v.opts.Index == IndexAuto && n >= IVFMinVectors)
}

// loadBase reads a collection's vectors from the store into a matrix.
// The IVF index, when wanted, is built only if ivf is set: a server
// loads exact matrices and clusters in the background.
func (v *Vectors) loadBase(ctx context.Context, collection string, ivf bool) (*vecIndex, error) {
	ix := &vecIndex{dims: v.dims}
	var bad error
	err := v.src.ChunkVectors(ctx, collection, func(rowid int64, vec []float32) {
		if len(vec) != v.dims {
			if bad == nil {
				bad = fmt.Errorf("vector search: chunk %d has %d dimensions, want %d; re-index the knowledge base", rowid, len(vec), v.dims)
			}
			return
		}
		ix.rowids = append(ix.rowids, rowid)
		ix.data = append(ix.data, vec...)
	})
	if err != nil {
		return nil, fmt.Errorf("vector search: %w", err)
	}
	if bad != nil {
		return nil, bad
	}
	if ivf && v.wantIVF(len(ix.rowids)) {
		ix.buildIVF()
		ix.nprobe = v.opts.NProbe
	}
	return ix, nil
}

// get returns collection's current view: in a server (Load) the view
// kept current from the change log, else the store's state loaded on
// first use and synced before each search.
func (v *Vectors) get(ctx context.Context, collection string) (*vview, error) {
	if o := v.owner; o != nil {
		if o.isLive() {
			if err := o.waitLoaded(ctx); err != nil {
				return nil, err
			}
		} else if err := o.syncIfBehind(ctx); err != nil {
			return nil, err
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if lv := v.ix[collection]; lv != nil {
		return lv.cur.Load(), nil
	}
	if o := v.owner; o != nil && o.isLive() {
		return &vview{base: &vecIndex{dims: v.dims}}, nil
	}
	base, err := v.loadBase(ctx, collection, true)
	if err != nil {
		return nil, err
	}
	lv := v.newLive(base)
	v.ix[collection] = lv
	return lv.cur.Load(), nil
}

// loadAll loads every collection's vectors (exact) and starts clustering
// those that want an IVF index in the background.
func (v *Vectors) loadAll(ctx context.Context, colls map[string]int) error {
	for coll := range colls {
		base, err := v.loadBase(ctx, coll, false)
		if err != nil {
			return err
		}
		lv := v.newLive(base)
		v.mu.Lock()
		v.ix[coll] = lv
		v.mu.Unlock()
		lv.mu.Lock()
		lv.maybeRebuildLocked()
		lv.mu.Unlock()
	}
	return nil
}

// Warm loads collection's vectors ahead of the first query.
func (v *Vectors) Warm(ctx context.Context, collection string) error {
	_, err := v.get(ctx, collection)
	return err
}

// Len returns the number of live vectors of collection.
func (v *Vectors) Len(ctx context.Context, collection string) (int, error) {
	vw, err := v.get(ctx, collection)
	if err != nil {
		return 0, err
	}
	return vw.n(), nil
}

// Search returns the k chunks of collection most similar (cosine) to the
// normalised query vector q, best first.
func (v *Vectors) Search(ctx context.Context, collection string, q []float32, k int) ([]store.Match, error) {
	if len(q) != v.dims {
		return nil, fmt.Errorf("vector search: query has %d dimensions, want %d", len(q), v.dims)
	}
	vw, err := v.get(ctx, collection)
	if err != nil {
		return nil, err
	}
	top := vw.search(q, k)
	out := make([]store.Match, len(top))
	for i, s := range top {
		out[i] = store.Match{ChunkRowID: s.row, Score: float64(s.score)}
	}
	return out, nil
}

// Vector returns the stored vector of a chunk (nil if it has none); it
// must not be modified.
func (v *Vectors) Vector(ctx context.Context, collection string, rowid int64) ([]float32, error) {
	vw, err := v.get(ctx, collection)
	if err != nil {
		return nil, err
	}
	return vw.vector(rowid), nil
}

// find returns the matrix position of rowid, dead or alive.
func (ix *vecIndex) find(rowid int64) (int, bool) {
	at := func(i int) int { return i }
	if ix.byRow != nil {
		at = func(i int) int { return int(ix.byRow[i]) }
	}
	lo, hi := 0, len(ix.rowids)
	for lo < hi {
		m := (lo + hi) / 2
		if ix.rowids[at(m)] < rowid {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(ix.rowids) && ix.rowids[at(lo)] == rowid {
		return at(lo), true
	}
	return 0, false
}

func (ix *vecIndex) row(p int) []float32 {
	return ix.data[p*ix.dims : (p+1)*ix.dims : (p+1)*ix.dims]
}

// parallelRows is the collection size from which a scan is split across
// processors: below it the goroutines cost more than they save.
const parallelRows = 16_384

// search scans the whole matrix, skipping dead rows, split into one
// shard per processor for large collections, and merges the shards' top
// k.
func (ix *vecIndex) search(q []float32, k int, dead bitset) []vscored {
	n := len(ix.rowids)
	shards := min(runtime.GOMAXPROCS(0), n/parallelRows)
	if shards < 2 {
		return ix.scan(q, k, 0, n, dead)
	}
	parts := make([][]vscored, shards)
	var wg sync.WaitGroup
	for s := range shards {
		wg.Go(func() { parts[s] = ix.scan(q, k, s*n/shards, (s+1)*n/shards, dead) })
	}
	wg.Wait()
	all := parts[0]
	for _, p := range parts[1:] {
		all = append(all, p...)
	}
	sort.Slice(all, func(i, j int) bool { return less(all[j], all[i]) })
	return all[:min(k, len(all))]
}

// vscored is a matrix row, its store row id and its similarity.
type vscored struct {
	doc   int32
	score float32
	row   int64
}

// scan is the exact top-k: one pass of dot products over the matrix,
// keeping the best k in a small min-heap. The inner loop allocates
// nothing.
func (ix *vecIndex) scan(q []float32, k, from, to int, dead bitset) []vscored {
	if k <= 0 || to <= from {
		return nil
	}
	d := ix.dims
	return sortBest(topScores(q[:d:d], ix.data, d, from, to, min(k, to-from), nil, ix.rowids, dead))
}

// less orders the min-heap: lower score first, and at equal score the
// higher row id first (so the lower row id wins a tie, whatever the
// order in which rows are scanned).
func less(a, b vscored) bool {
	return a.score < b.score || (a.score == b.score && a.row > b.row)
}

func siftUp(h []vscored, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !less(h[i], h[p]) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func siftDown(h []vscored, i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && less(h[r], h[l]) {
			m = r
		}
		if !less(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// dot is the inner product of two equal-length vectors, unrolled by
// eight with independent accumulators so the CPU can overlap the
// multiplications.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		s0 += aa[0] * bb[0]
		s1 += aa[1] * bb[1]
		s2 += aa[2] * bb[2]
		s3 += aa[3] * bb[3]
		s4 += aa[4] * bb[4]
		s5 += aa[5] * bb[5]
		s6 += aa[6] * bb[6]
		s7 += aa[7] * bb[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}
