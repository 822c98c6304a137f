package search

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ragline/ragline/internal/store"
)

// clusteredVectors returns n unit vectors of d dimensions drawn around
// centres random centres (spread noise around each), as text embeddings
// group around topics.
func clusteredVectors(n, d, centres int, noise float64, seed uint64) *memVectors {
	r := rand.New(rand.NewPCG(seed, 2))
	cs := make([][]float32, centres)
	for i := range cs {
		cs[i] = make([]float32, d)
		for j := range cs[i] {
			cs[i][j] = float32(r.NormFloat64())
		}
		Normalize(cs[i])
	}
	m := &memVectors{gen: 1, rows: map[string][]int64{}, vecs: map[int64][]float32{}}
	for i := range n {
		c := cs[r.IntN(centres)]
		v := make([]float32, d)
		for j := range v {
			v[j] = c[j] + float32(noise*r.NormFloat64())
		}
		Normalize(v)
		id := int64(i*2 + 5)
		m.rows["c"] = append(m.rows["c"], id)
		m.vecs[id] = v
	}
	return m
}

// queriesNear returns n queries: stored vectors of src perturbed by noise.
func queriesNear(src *memVectors, n int, noise float64, seed uint64) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 3))
	rows := src.rows["c"]
	out := make([][]float32, n)
	for i := range out {
		base := src.vecs[rows[r.IntN(len(rows))]]
		q := make([]float32, len(base))
		for j := range q {
			q[j] = base[j] + float32(noise*r.NormFloat64())
		}
		Normalize(q)
		out[i] = q
	}
	return out
}

// recallAt returns the mean fraction of the exact top k that approx finds
// in its top k, over queries.
func recallAt(t testing.TB, exact, approx *Vectors, queries [][]float32, k int) float64 {
	t.Helper()
	ctx := context.Background()
	var sum float64
	for _, q := range queries {
		want, err := exact.Search(ctx, "c", q, k)
		if err != nil {
			t.Fatal(err)
		}
		got, err := approx.Search(ctx, "c", q, k)
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, w := range want {
			if slices.ContainsFunc(got, func(g store.Match) bool { return g.ChunkRowID == w.ChunkRowID }) {
				found++
			}
		}
		if len(want) > 0 {
			sum += float64(found) / float64(len(want))
		} else {
			sum++
		}
	}
	return sum / float64(len(queries))
}

func TestIVFRecallClustered(t *testing.T) {
	const n, d = 30_000, 64
	src := clusteredVectors(n, d, 300, 0.1, 11)
	exact := NewVectors(src, d, VectorOptions{Index: IndexExact})
	ivf := NewVectors(src, d, VectorOptions{}) // auto: 30k ≥ IVFMinVectors
	ix, err := ivf.get(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	if ix.base.ivf == nil || ix.base.ivf.nlist != ivfLists(n) {
		t.Fatalf("auto did not build an IVF index of %d lists over %d vectors", ivfLists(n), n)
	}
	qs := queriesNear(src, 200, 0.05, 12)
	rec := recallAt(t, exact, ivf, qs, 10)
	t.Logf("clustered %d×%d, %d lists, nprobe %d: recall@10 %.4f", n, d, ix.base.ivf.nlist, DefaultNProbe, rec)
	if rec < 0.95 {
		t.Errorf("recall@10 %.4f < 0.95", rec)
	}
}

func TestIVFDeterministic(t *testing.T) {
	src := clusteredVectors(5000, 32, 50, 0.1, 21)
	qs := queriesNear(src, 20, 0.05, 22)
	var first [][]store.Match
	for run := range 2 {
		vs := NewVectors(src, 32, VectorOptions{Index: IndexIVF, NProbe: 4})
		ix, err := vs.get(context.Background(), "c")
		if err != nil {
			t.Fatal(err)
		}
		if run == 1 {
			again, _ := NewVectors(src, 32, VectorOptions{Index: IndexIVF, NProbe: 4}).get(context.Background(), "c")
			if !slices.Equal(ix.base.rowids, again.base.rowids) || !slices.Equal(ix.base.data, again.base.data) ||
				!slices.Equal(ix.base.ivf.centroids, again.base.ivf.centroids) || !slices.Equal(ix.base.ivf.offsets, again.base.ivf.offsets) {
				t.Fatal("two builds over the same vectors differ")
			}
		}
		for i, q := range qs {
			got, err := vs.Search(context.Background(), "c", q, 10)
			if err != nil {
				t.Fatal(err)
			}
			if run == 0 {
				first = append(first, got)
			} else if !slices.Equal(got, first[i]) {
				t.Fatalf("query %d: %v, then %v", i, first[i], got)
			}
		}
	}
}

func TestIVFSmallCollections(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{0, 1, 2, 3, 10, 100} {
		t.Run("", func(t *testing.T) {
			src := randomVectors(n, 16, uint64(n))
			vs := NewVectors(src, 16, VectorOptions{Index: IndexIVF, NProbe: 1000})
			exact := NewVectors(src, 16, VectorOptions{Index: IndexExact})
			q := make([]float32, 16)
			q[0] = 1
			// nprobe beyond the number of lists scans them all: exact.
			got, err := vs.Search(ctx, "c", q, 5)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := exact.Search(ctx, "c", q, 5)
			if len(got) != min(n, 5) || len(want) != len(got) {
				t.Fatalf("%d vectors: %d hits, exact %d", n, len(got), len(want))
			}
			for i := range got {
				if got[i].ChunkRowID != want[i].ChunkRowID || got[i].Score != want[i].Score {
					t.Errorf("rank %d: %v, exact %v", i, got[i], want[i])
				}
			}
			if m, _ := vs.Search(ctx, "c", q, 0); len(m) != 0 {
				t.Errorf("k=0 returned %v", m)
			}
			// Vector still finds each row after the rows were reordered.
			for _, id := range src.rows["c"] {
				v, err := vs.Vector(ctx, "c", id)
				if err != nil || !slices.Equal(v, src.vecs[id]) {
					t.Fatalf("Vector(%d) = %v, %v", id, v, err)
				}
			}
			if v, _ := vs.Vector(ctx, "c", 2); v != nil {
				t.Error("a row without vector returned one")
			}
		})
	}
	// auto keeps the exact scan below IVFMinVectors.
	vs := NewVectors(randomVectors(100, 16, 1), 16, VectorOptions{})
	if ix, _ := vs.get(ctx, "c"); ix.base.ivf != nil {
		t.Error("auto built an IVF index over 100 vectors")
	}
}

func TestIVFSearchAllocations(t *testing.T) {
	src := clusteredVectors(5000, 64, 50, 0.1, 3)
	vs := NewVectors(src, 64, VectorOptions{Index: IndexIVF, NProbe: 8})
	ix, _ := vs.get(context.Background(), "c")
	q := src.vecs[5]
	// Two allocations: the probe heap and the result heap; none per row.
	if a := testing.AllocsPerRun(20, func() { ix.base.searchIVF(q, 10, 8, nil, make([]vscored, 0, 10), nil) }); a > 2 {
		t.Errorf("IVF search allocates %.0f times", a)
	}
}

// BenchmarkVectorSearchIVF is BenchmarkVectorSearch with the IVF index at
// the default nprobe, over 100k clustered 384-dimensional vectors.
func BenchmarkVectorSearchIVF(b *testing.B) {
	const n, d = 100_000, 384
	src := clusteredVectors(n, d, 1000, 0.05, 5)
	vs := NewVectors(src, d, VectorOptions{Index: IndexIVF})
	ix, _ := vs.get(context.Background(), "c")
	qs := queriesNear(src, 64, 0.03, 6)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		ix.base.searchIVF(qs[i%len(qs)], 10, DefaultNProbe, nil, nil, nil)
		i++
	}
}

// BenchmarkIVFBuild is the k-means training and list layout of the IVF
// index over 100k 384-dimensional vectors.
func BenchmarkIVFBuild(b *testing.B) {
	const n, d = 100_000, 384
	src := clusteredVectors(n, d, 1000, 0.05, 5)
	vs := NewVectors(src, d, VectorOptions{Index: IndexExact})
	ix, _ := vs.get(context.Background(), "c")
	for b.Loop() {
		c := *ix.base
		c.buildIVF()
	}
}
