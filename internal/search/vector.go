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
	Generation(ctx context.Context) (int64, error)
}

// Vectors is nearest-neighbour search over a collection's chunk vectors,
// held in memory as one contiguous matrix of unit vectors and reloaded
// when the store's write generation changes. Search is an exact scan, or
// for large collections (see VectorOptions) an IVF index built at load.
// It is safe for concurrent use.
type Vectors struct {
	src  VectorSource
	dims int
	opts VectorOptions
	mu   sync.Mutex
	ix   map[string]*vecIndex
}

// vecIndex is one collection's vectors: row i is data[i*dims:(i+1)*dims].
// Without an IVF index rows are in rowid order; with one they are ordered
// list by list and byRow lists the rows in rowid order.
type vecIndex struct {
	gen    int64
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
	return &Vectors{src: src, dims: dims, opts: opts, ix: map[string]*vecIndex{}}
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

func (v *Vectors) get(ctx context.Context, collection string) (*vecIndex, error) {
	gen, err := v.src.Generation(ctx)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if ix := v.ix[collection]; ix != nil && ix.gen == gen {
		return ix, nil
	}
	ix := &vecIndex{gen: gen, dims: v.dims}
	var bad error
	err = v.src.ChunkVectors(ctx, collection, func(rowid int64, vec []float32) {
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
	if v.opts.Index == IndexIVF || (v.opts.Index == IndexAuto && len(ix.rowids) >= IVFMinVectors) {
		ix.buildIVF()
		ix.nprobe = v.opts.NProbe
	}
	v.ix[collection] = ix
	return ix, nil
}

// Warm loads collection's vectors ahead of the first query.
func (v *Vectors) Warm(ctx context.Context, collection string) error {
	_, err := v.get(ctx, collection)
	return err
}

// Len returns the number of vectors of collection.
func (v *Vectors) Len(ctx context.Context, collection string) (int, error) {
	ix, err := v.get(ctx, collection)
	if err != nil {
		return 0, err
	}
	return len(ix.rowids), nil
}

// Search returns the k chunks of collection most similar (cosine) to the
// normalised query vector q, best first, with the write generation they
// were ranked at.
func (v *Vectors) Search(ctx context.Context, collection string, q []float32, k int) ([]store.Match, int64, error) {
	if len(q) != v.dims {
		return nil, 0, fmt.Errorf("vector search: query has %d dimensions, want %d", len(q), v.dims)
	}
	ix, err := v.get(ctx, collection)
	if err != nil {
		return nil, 0, err
	}
	var top []vscored
	if ix.ivf != nil {
		top = ix.searchIVF(q, k, ix.nprobe)
	} else {
		top = ix.search(q, k)
	}
	out := make([]store.Match, len(top))
	for i, s := range top {
		out[i] = store.Match{ChunkRowID: ix.rowids[s.doc], Score: float64(s.score)}
	}
	return out, ix.gen, nil
}

// Vector returns the stored vector of a chunk (nil if it has none); it
// must not be modified.
func (v *Vectors) Vector(ctx context.Context, collection string, rowid int64) ([]float32, error) {
	ix, err := v.get(ctx, collection)
	if err != nil {
		return nil, err
	}
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
		p := at(lo)
		return ix.data[p*ix.dims : (p+1)*ix.dims : (p+1)*ix.dims], nil
	}
	return nil, nil
}

// parallelRows is the collection size from which a scan is split across
// processors: below it the goroutines cost more than they save.
const parallelRows = 16_384

// search scans the whole matrix, split into one shard per processor for
// large collections, and merges the shards' top k.
func (ix *vecIndex) search(q []float32, k int) []vscored {
	n := len(ix.rowids)
	shards := min(runtime.GOMAXPROCS(0), n/parallelRows)
	if shards < 2 {
		return ix.scan(q, k, 0, n)
	}
	parts := make([][]vscored, shards)
	var wg sync.WaitGroup
	for s := range shards {
		wg.Go(func() { parts[s] = ix.scan(q, k, s*n/shards, (s+1)*n/shards) })
	}
	wg.Wait()
	all := parts[0]
	for _, p := range parts[1:] {
		all = append(all, p...)
	}
	sort.Slice(all, func(i, j int) bool { return less(all[j], all[i]) })
	return all[:min(k, len(all))]
}

// vscored is a row and its similarity.
type vscored struct {
	doc   int32
	score float32
}

// scan is the exact top-k: one pass of dot products over the matrix,
// keeping the best k in a small min-heap. The inner loop allocates
// nothing.
func (ix *vecIndex) scan(q []float32, k, from, to int) []vscored {
	if k <= 0 || to <= from {
		return nil
	}
	d := ix.dims
	return sortBest(topScores(q[:d:d], ix.data, d, from, to, min(k, to-from), nil))
}

// less orders the min-heap: lower score first, and at equal score the
// later row first (so the earlier row wins a tie).
func less(a, b vscored) bool {
	return a.score < b.score || (a.score == b.score && a.doc > b.doc)
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
