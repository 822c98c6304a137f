package extractive

import (
	"testing"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/text"
)

func TestLimit(t *testing.T) {
	answer := "Parking is free for employees on level two. [1] Visitors pay five dollars per day. [2]"
	cites := []schema.Citation{{Index: 1}, {Index: 2}}
	for _, tc := range []struct {
		name      string
		max       int
		stop      []string
		want      string
		wantCites int
		cut       bool
	}{
		{"no limits", 0, nil, answer, 2, false},
		{"room for all", 100, nil, answer, 2, false},
		{"first sentence with its marker", text.CountTokens("Parking is free for employees on level two. [1]") + 2, nil, "Parking is free for employees on level two. [1]", 1, true},
		{"word boundary", 5, nil, "Parking is free for", 0, true},
		{"stop string", 0, []string{"Visitors"}, "Parking is free for employees on level two. [1]", 1, false},
		{"stop then cap", 3, []string{"level"}, "Parking is", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, kept, cut := Limit(answer, cites, tc.max, tc.stop)
			if got != tc.want || len(kept) != tc.wantCites || cut != tc.cut {
				t.Errorf("Limit = %q, %d citations, cut %v; want %q, %d, %v", got, len(kept), cut, tc.want, tc.wantCites, tc.cut)
			}
			if tc.max > 0 && text.CountTokens(got) > tc.max {
				t.Errorf("%q has %d tokens, cap %d", got, text.CountTokens(got), tc.max)
			}
		})
	}
}
