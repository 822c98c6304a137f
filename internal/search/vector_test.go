package search

import (
	"context"
	"math/rand/v2"
	"sort"
	"testing"
)

// memVectors is an in-memory VectorSource.
type memVectors struct {
	gen  int64
	rows map[string][]int64
	vecs map[int64][]float32
}

func (m *memVectors) ChunkVectors(_ context.Context, coll string, fn func(int64, []float32)) error {
	for _, id := range m.rows[coll] {
		fn(id, m.vecs[id])
	}
	return nil
}

func randomVectors(n, d int, seed uint64) *memVectors {
	r := rand.New(rand.NewPCG(seed, 1))
	m := &memVectors{gen: 1, rows: map[string][]int64{}, vecs: map[int64][]float32{}}
	for i := range n {
		v := make([]float32, d)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		Normalize(v)
		id := int64(i*3 + 1)
		m.rows["c"] = append(m.rows["c"], id)
		m.vecs[id] = v
	}
	return m
}

func TestVectorSearchMatchesBruteForce(t *testing.T) {
	const n, d = 40_000, 37 // 37: the unrolled loop's remainder is exercised; 40k: the scan is sharded
	src := randomVectors(n, d, 7)
	vs := NewVectors(src, d, VectorOptions{Index: IndexExact})
	r := rand.New(rand.NewPCG(9, 9))
	for trial := range 5 {
		q := make([]float32, d)
		for j := range q {
			q[j] = float32(r.NormFloat64())
		}
		Normalize(q)
		got, err := vs.Search(context.Background(), "c", q, 10)
		if err != nil {
			t.Fatal(err)
		}
		type pair struct {
			id int64
			s  float64
		}
		var all []pair
		for _, id := range src.rows["c"] {
			var s float64
			for j, x := range src.vecs[id] {
				s += float64(x) * float64(q[j])
			}
			all = append(all, pair{id, s})
		}
		sort.Slice(all, func(i, j int) bool { return all[i].s > all[j].s })
		for i := range got {
			if got[i].ChunkRowID != all[i].id {
				t.Fatalf("trial %d rank %d: got row %d (%.5f), want %d (%.5f)", trial, i, got[i].ChunkRowID, got[i].Score, all[i].id, all[i].s)
			}
		}
	}
	if m, _ := vs.Search(context.Background(), "none", make([]float32, d), 5); len(m) != 0 {
		t.Errorf("empty collection returned %v", m)
	}
	if _, err := vs.Search(context.Background(), "c", make([]float32, d+1), 5); err == nil {
		t.Error("a query of the wrong dimension was accepted")
	}
	v, _ := vs.Vector(context.Background(), "c", 4)
	if len(v) != d || v[0] != src.vecs[4][0] {
		t.Errorf("Vector(4) = %v", v)
	}
	if v, _ := vs.Vector(context.Background(), "c", 5); v != nil {
		t.Error("a row without vector returned one")
	}
}

func TestVectorSearchRejectsWrongDimensions(t *testing.T) {
	src := randomVectors(10, 8, 1)
	src.vecs[src.rows["c"][0]] = []float32{1}
	if _, err := NewVectors(src, 8, VectorOptions{}).Len(context.Background(), "c"); err == nil {
		t.Error("a stored vector of the wrong dimension was accepted")
	}
}

func TestVectorScanAllocationFree(t *testing.T) {
	src := randomVectors(1000, 64, 3)
	vs := NewVectors(src, 64, VectorOptions{Index: IndexExact})
	ix, _ := vs.get(context.Background(), "c")
	q := src.vecs[1]
	// One allocation: the k-element result heap; none per row.
	if a := testing.AllocsPerRun(20, func() { ix.base.scan(q, 10, 0, 1000, nil) }); a > 1 {
		t.Errorf("scan allocates %.0f times", a)
	}
}

// BenchmarkVectorSearch is the exact scan over 100k 384-dimensional
// vectors, top 10.
func BenchmarkVectorSearch(b *testing.B) {
	const n, d = 100_000, 384
	src := randomVectors(n, d, 5)
	vs := NewVectors(src, d, VectorOptions{Index: IndexExact})
	ix, _ := vs.get(context.Background(), "c")
	q := src.vecs[1]
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ix.base.search(q, 10, nil)
	}
}
