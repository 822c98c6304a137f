package store

import (
	"context"
	"reflect"
	"testing"
)

func TestFormatParseRows(t *testing.T) {
	for _, rows := range [][]int64{nil, {7}, {1, 2, 3}, {1, 3, 4, 5, 9}, {10, 11, 20, 22, 23}} {
		s := formatRows(rows)
		got, err := parseRows(s)
		if err != nil {
			t.Fatalf("%v → %q: %v", rows, s, err)
		}
		if len(rows) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, rows) {
			t.Errorf("%v → %q → %v", rows, s, got)
		}
	}
	if _, err := parseRows("5-3"); err == nil {
		t.Error("reversed range accepted")
	}
}

// TestChangeLogRecordsEveryWrite checks that adds, replaces, deletes and
// vector writes each append one change, in commit order, with the chunk
// rows a follower must drop, and that an unchanged put appends nothing.
func TestChangeLogRecordsEveryWrite(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	if seq, err := s.LastChange(ctx); err != nil || seq != 0 {
		t.Fatalf("empty log: %d %v", seq, err)
	}
	put(t, s, "a", "one.txt", "alpha beta\n\ngamma")
	put(t, s, "b", "two.txt", "delta")
	put(t, s, "a", "one.txt", "alpha beta\n\ngamma") // unchanged: no change
	id := DocumentID("a", "one.txt")
	oldRows, err := s.DocumentTerms(ctx, id)
	if err != nil || len(oldRows) != 2 {
		t.Fatalf("document terms: %v %v", oldRows, err)
	}
	if oldRows[0].Body != "alpha beta" || oldRows[1].Body != "gamma" {
		t.Errorf("terms: %+v", oldRows)
	}
	put(t, s, "a", "one.txt", "epsilon")
	if err := s.PutVectors(ctx, "e", []ChunkVector{{RowID: 3, Collection: "b", Vec: []float32{1, 0}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDocument(ctx, DocumentID("b", "two.txt")); err != nil {
		t.Fatal(err)
	}

	all, err := s.Changes(ctx, "", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		op         ChangeOp
		coll, key  string
		rows       []int64
		documentID string
	}
	want := []row{
		{OpAdd, "a", "one.txt", nil, id},
		{OpAdd, "b", "two.txt", nil, DocumentID("b", "two.txt")},
		{OpReplace, "a", "one.txt", []int64{oldRows[0].RowID, oldRows[1].RowID}, id},
		{OpEmbed, "b", "", []int64{3}, ""},
		{OpDelete, "b", "two.txt", []int64{3}, DocumentID("b", "two.txt")},
	}
	if len(all) != len(want) {
		t.Fatalf("got %d changes, want %d: %+v", len(all), len(want), all)
	}
	for i, c := range all {
		w := want[i]
		if c.Op != w.op || c.Collection != w.coll || c.Key != w.key || c.DocumentID != w.documentID || !reflect.DeepEqual(c.Rows, w.rows) {
			t.Errorf("change %d: got %+v, want %+v", i, c, w)
		}
		if i > 0 && c.Seq <= all[i-1].Seq {
			t.Errorf("sequence not increasing: %d after %d", c.Seq, all[i-1].Seq)
		}
	}
	last, err := s.LastChange(ctx)
	if err != nil || last != all[len(all)-1].Seq {
		t.Errorf("last change %d %v, want %d", last, err, all[len(all)-1].Seq)
	}
	onlyA, err := s.Changes(ctx, "a", 0, 100)
	if err != nil || len(onlyA) != 2 {
		t.Errorf("collection a: %+v %v", onlyA, err)
	}
	tail, err := s.Changes(ctx, "", all[2].Seq, 1)
	if err != nil || len(tail) != 1 || tail[0].Seq != all[3].Seq {
		t.Errorf("after %d limit 1: %+v %v", all[2].Seq, tail, err)
	}
	if terms, err := s.DocumentTerms(ctx, DocumentID("b", "two.txt")); err != nil || len(terms) != 0 {
		t.Errorf("deleted document still has terms: %v %v", terms, err)
	}
}
