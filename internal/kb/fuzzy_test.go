package kb

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/search"
)

// TestTypoShownInTrace asks with a misspelt word: typo tolerance finds
// the passage anyway and the retrieve step shows what the unknown term
// was expanded to; with retrieval.fuzzy off the term is left alone.
func TestTypoShownInTrace(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	k := openKB(t, dir, false)
	ingestOK(t, k, quickstartDocs)
	const q = "How many days of paid vacaton do full-time employees recieve?"
	resp, err := k.Ask(ctx, "", q, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := detail(resp, "retrieve")
	exp, ok := r["fuzzy"].([]search.Expansion)
	if !ok || len(exp) == 0 {
		t.Fatalf("retrieve step has no fuzzy expansions: %v", r)
	}
	got := map[string][]string{}
	for _, e := range exp {
		for _, m := range e.Matches {
			if m.Weight <= 0 || m.Weight >= 1 || m.Distance < 1 || m.Distance > 2 {
				t.Errorf("%s → %+v: want a weight in (0, 1) and 1-2 edits", e.Term, m)
			}
			got[e.Term] = append(got[e.Term], m.Term)
		}
	}
	if !slices.Contains(got["vacaton"], "vacat") {
		t.Errorf("vacaton expanded to %v; want vacat among them (all: %v)", got["vacaton"], got)
	}
	// Retrieval finds the passage despite the typos. (Whether it is quoted
	// is the answer decision's call, which does not take a typo for the
	// word it resembles: a word the corpus lacks is evidence against it.)
	res, err := k.Retrieve(ctx, "", q, 3)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, h := range res.Hits {
		found = found || strings.Contains(h.Chunk.Text, "20 days")
	}
	if !found {
		t.Errorf("the top 3 passages for %q do not hold the 20 days of vacation", q)
	}

	cfg := config.Default()
	cfg.Retrieval.Fuzzy = false
	off, err := Open(ctx, cfg, dir, true)
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	resp, err = off.Ask(ctx, "", q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := detail(resp, "retrieve")["fuzzy"]; ok {
		t.Errorf("fuzzy off, yet the retrieve step shows %v", f)
	}
}
