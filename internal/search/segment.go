package search

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// posting is one chunk's frequency of a term in the body and the title.
type posting struct {
	doc   int32 // the chunk's position in its segment
	body  uint16
	title uint16
}

// segment is an immutable run of indexed chunks, like a Lucene segment:
// chunk i of the segment is store row rowids[i] (ascending), of length
// length[i] (its terms plus one, as FTS5 counts: see add). A
// collection's index is a few segments plus
// tombstones (see view); new chunks go into new small segments and a
// background merge folds segments together.
type segment struct {
	rowids   []int64
	length   []uint32
	postings map[string][]posting
	sumLen   int64
}

func newSegment() *segment { return &segment{postings: map[string][]posting{}} }

func (s *segment) len() int { return len(s.rowids) }

// add appends a chunk; rows must come in ascending order.
func (s *segment) add(rowid int64, title, body string) {
	doc := int32(len(s.rowids))
	s.rowids = append(s.rowids, rowid)
	type tf struct{ body, title uint16 }
	counts := map[string]*tf{}
	var n uint32
	count := func(terms string, field func(*tf) *uint16) {
		for t := range strings.FieldsSeq(terms) {
			c := counts[t]
			if c == nil {
				c = &tf{}
				counts[t] = c
			}
			if f := field(c); *f < math.MaxUint16 {
				*f++
			}
			n++
		}
	}
	count(body, func(c *tf) *uint16 { return &c.body })
	count(title, func(c *tf) *uint16 { return &c.title })
	for t, c := range counts {
		s.postings[t] = append(s.postings[t], posting{doc: doc, body: c.body, title: c.title})
	}
	// FTS5's bm25() counts every column in a row's length, including
	// the one collection tag the store writes; so does this index, so
	// that the two engines score alike.
	n++
	s.length = append(s.length, n)
	s.sumLen += int64(n)
}

// find returns the position of row in the segment.
func (s *segment) find(row int64) (int, bool) {
	return slices.BinarySearch(s.rowids, row)
}

// bitset marks tombstoned chunks of a segment. A published bitset is
// never modified: a delete copies it (copy-on-write).
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

// clone returns a copy of b sized for n chunks, for copy-on-write (b
// may be nil: no tombstones yet).
func (b bitset) clone(n int) bitset {
	c := newBitset(n)
	copy(c, b)
	return c
}

func (b bitset) has(i int32) bool { return b != nil && b[i>>6]&(1<<(uint(i)&63)) != 0 }

func (b bitset) set(i int) { b[i>>6] |= 1 << (uint(i) & 63) }

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// mergeSegments builds one segment from the live chunks of segs (dead[i]
// marks segs[i]'s tombstones), rows in ascending order. Postings keep
// their counts, so scores are unchanged by a merge.
func mergeSegments(segs []*segment, dead []bitset) *segment {
	type src struct {
		seg int
		doc int32
	}
	var order []src
	for si, s := range segs {
		for d := range s.rowids {
			if !dead[si].has(int32(d)) {
				order = append(order, src{si, int32(d)})
			}
		}
	}
	slices.SortFunc(order, func(a, b src) int {
		return cmp.Compare(segs[a.seg].rowids[a.doc], segs[b.seg].rowids[b.doc])
	})
	out := &segment{
		rowids:   make([]int64, len(order)),
		length:   make([]uint32, len(order)),
		postings: map[string][]posting{},
	}
	remap := make([][]int32, len(segs))
	for si, s := range segs {
		remap[si] = make([]int32, s.len())
		for i := range remap[si] {
			remap[si][i] = -1
		}
	}
	for i, o := range order {
		s := segs[o.seg]
		out.rowids[i] = s.rowids[o.doc]
		out.length[i] = s.length[o.doc]
		out.sumLen += int64(s.length[o.doc])
		remap[o.seg][o.doc] = int32(i)
	}
	for si, s := range segs {
		for t, ps := range s.postings {
			dst := out.postings[t]
			for _, p := range ps {
				if nd := remap[si][p.doc]; nd >= 0 {
					p.doc = nd
					dst = append(dst, p)
				}
			}
			if len(dst) > 0 {
				out.postings[t] = dst
			}
		}
	}
	for t, ps := range out.postings {
		slices.SortFunc(ps, func(a, b posting) int { return int(a.doc - b.doc) })
		out.postings[t] = slices.Clip(ps)
	}
	return out
}
