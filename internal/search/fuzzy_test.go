package search

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/schema"
)

// osa is the textbook optimal-string-alignment distance, the reference
// for vocabulary.near.
func osa(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// nearByDistance is what near must return for q, found by aligning q
// with every term of df: the terms at the smallest distance within
// maxD, the maxExpansions most frequent first, and that distance.
func nearByDistance(df map[string]int, q string, maxD int) ([]string, int) {
	best := maxD + 1
	var want []string
	for term := range df {
		if len(term) < len(q)-maxD || len(term) > len(q)+maxD {
			continue // d ≥ the difference in length
		}
		switch d := osa(q, term); {
		case d > maxD || d > best:
		case d < best:
			best, want = d, []string{term}
		default:
			want = append(want, term)
		}
	}
	slices.SortFunc(want, func(a, b string) int {
		if df[a] != df[b] {
			return df[b] - df[a]
		}
		return strings.Compare(a, b)
	})
	return want[:min(len(want), maxExpansions)], best
}

func vocab(df map[string]int) *vocabulary {
	return newVocabulary(func(yield func(string, int)) {
		for t, n := range df {
			yield(t, n)
		}
	})
}

// TestNearAgreesWithBruteForce compares the filtered, banded search with the
// distance computed for every vocabulary term, on random words over a
// small alphabet (so that many are close to each other).
func TestNearAgreesWithBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, 3+rng.IntN(7))
		for i := range b {
			b[i] = "abcde"[rng.IntN(5)]
		}
		return string(b)
	}
	// Vocabulary terms may hold digits and other scripts, which a query
	// term of letters can still be within reach of ("ab1cd" of "abcd").
	other := func() string {
		w := []byte(word())
		for range 1 + rng.IntN(2) {
			i := rng.IntN(len(w) + 1)
			ins := []string{"1", "7", "é", "-", "ß"}[rng.IntN(5)]
			w = append(w[:i], append([]byte(ins), w[i:]...)...)
		}
		return string(w)
	}
	df := map[string]int{}
	for range 3000 {
		df[word()] = 1 + rng.IntN(50)
	}
	// Terms longer than the length groups (see maxVocabLen), and near
	// them, long queries.
	long := func() string { return strings.Repeat("ab", 30+rng.IntN(4)) + word() }
	for range 200 {
		df[long()] = 1 + rng.IntN(50)
	}
	for range 1000 {
		df[other()] = 1 + rng.IntN(50)
	}
	v := vocab(df)
	for i := range 400 {
		q := word()
		if i%5 == 0 {
			q = long()
		}
		maxD := maxEdits(q)
		want, best := nearByDistance(df, q, maxD)
		got := v.near(q, maxD)
		if len(want) == 0 {
			if len(got) != 0 {
				t.Fatalf("near(%q, %d) = %+v; want nothing", q, maxD, got)
			}
			continue
		}
		var terms []string
		for _, m := range got {
			terms = append(terms, m.Term)
			if m.Distance != best {
				t.Fatalf("near(%q) gave %q at distance %d; want %d", q, m.Term, m.Distance, best)
			}
		}
		if !slices.Equal(terms, want) {
			t.Fatalf("near(%q, %d) = %q; want %q (distance %d)", q, maxD, terms, want, best)
		}
	}
}

// TestExpandFuzzyTypos checks the misspellings of SciFact claims, as the
// analyzer stems them, against a vocabulary holding the right stems.
func TestExpandFuzzyTypos(t *testing.T) {
	v := vocab(map[string]int{
		"methyltransferas": 40, "microenviron": 90, "metastas": 300, "metastat": 120,
		"tumor": 900, "cell": 2000, "rxr": 12, "rar": 30, "bcl": 50, "2": 4000,
	})
	tests := []struct {
		term string
		want []string // expansions, closest and most frequent first
		dist int
	}{
		{term: "methyltrasnferas", want: []string{"methyltransferas"}, dist: 1}, // transposition
		{term: "microenviro", want: []string{"microenviron"}, dist: 1},
		{term: "matastes", want: []string{"metastas"}, dist: 2},
		{term: "tumour", want: []string{"tumor"}, dist: 1},
		{term: "tumor"}, // present: never expanded
		{term: "rxrr", want: []string{"rxr"}, dist: 1}, // 4 letters: one edit
		{term: "cells2"}, // digits: a code, not a typo
		{term: "ce"},     // too short
		{term: "xyzzyq"}, // nothing near
		{term: "细胞"},     // not ASCII letters
		{term: "metastaz", want: []string{"metastas", "metastat"}, dist: 1},
	}
	for _, tt := range tests {
		t.Run(tt.term, func(t *testing.T) {
			in := []schema.QueryTerm{{Term: "cell", Weight: 1}, {Term: tt.term, Weight: 1}}
			out, exp := expandFuzzy(in, v)
			if len(tt.want) == 0 {
				if len(exp) != 0 || len(out) != len(in) {
					t.Fatalf("expanded %q: %+v", tt.term, exp)
				}
				return
			}
			if len(exp) != 1 || exp[0].Term != tt.term {
				t.Fatalf("expansions %+v; want one for %q", exp, tt.term)
			}
			var got []string
			for _, m := range exp[0].Matches {
				got = append(got, m.Term)
				if m.Distance != tt.dist {
					t.Errorf("%q → %q at distance %d; want %d", tt.term, m.Term, m.Distance, tt.dist)
				}
				want := 1 - float64(tt.dist)/float64(min(len(m.Term), len(tt.term)))
				if m.Weight != want || m.Weight >= 1 {
					t.Errorf("%q → %q weight %v; want %v (below 1)", tt.term, m.Term, m.Weight, want)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("%q expanded to %q; want %q", tt.term, got, tt.want)
			}
			// The question's own terms stay, then the expansions follow.
			if len(out) != len(in)+len(got) || out[0] != in[0] || out[1] != in[1] || out[2].Term != got[0] {
				t.Fatalf("terms %+v", out)
			}
		})
	}
}

// TestExpandFuzzyScalesWeight checks that an expansion inherits the
// weight of the term it stands for (a term carried from an earlier turn
// stays below a term of the question).
func TestExpandFuzzyScalesWeight(t *testing.T) {
	v := vocab(map[string]int{"metastas": 3})
	out, _ := expandFuzzy([]schema.QueryTerm{{Term: "metastaz", Weight: 0.5}}, v)
	if len(out) != 2 || out[1].Term != "metastas" || out[1].Weight != 0.5*(1-1.0/8) {
		t.Fatalf("terms %+v", out)
	}
}

// TestNearSciFactVocabulary checks near against the distance to every
// term on the SciFact vocabulary (27,000 terms of a real corpus: codes,
// numbers and words of other scripts among them), for misspellings made
// by one or two random edits of its own words.
func TestNearSciFactVocabulary(t *testing.T) {
	df := sciFactVocabulary(t)
	v := vocab(df)
	var words []string
	for w := range df {
		if maxEdits(w) > 0 {
			words = append(words, w)
		}
	}
	slices.Sort(words)
	rng := rand.New(rand.NewPCG(3, 4))
	edit := func(w []byte) []byte {
		i := rng.IntN(len(w))
		c := byte('a' + rng.IntN(26))
		switch rng.IntN(4) {
		case 0:
			return append(w[:i:i], append([]byte{c}, w[i:]...)...)
		case 1:
			return append(w[:i:i], w[i+1:]...)
		case 2:
			w[i] = c
		default:
			if i+1 < len(w) {
				w[i], w[i+1] = w[i+1], w[i]
			}
		}
		return w
	}
	expanded := 0
	for range 200 {
		w := []byte(words[rng.IntN(len(words))])
		for range 1 + rng.IntN(2) {
			w = edit(w)
		}
		q := string(w)
		maxD := maxEdits(q)
		if maxD == 0 || df[q] > 0 {
			continue
		}
		want, best := nearByDistance(df, q, maxD)
		var got []string
		for _, m := range v.near(q, maxD) {
			got = append(got, m.Term)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("near(%q, %d) = %q; want %q (distance %d)", q, maxD, got, want, best)
		}
		if len(got) > 0 {
			expanded++
		}
	}
	if expanded < 100 {
		t.Fatalf("only %d of the misspellings were expanded", expanded)
	}
}
