package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// matchExpr builds the FTS5 query: the collection tag AND any of the
// terms. A term listed n times is n phrases, each scored by bm25(), which
// is how FTS5 weighs query term frequency.
func matchExpr(collection string, terms []string) string {
	var b strings.Builder
	b.WriteString(`coll:"`)
	b.WriteString(collectionToken(collection))
	b.WriteString(`" AND {title body}:(`)
	n := 0
	for _, t := range terms {
		if t == "" {
			continue
		}
		if n > 0 {
			b.WriteString(" OR ")
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(t, `"`, `""`))
		b.WriteByte('"')
		n++
	}
	b.WriteByte(')')
	if n == 0 {
		return ""
	}
	return b.String()
}

// maxRepeat bounds how many times a whole-number weight is written as
// repeated phrases; larger weights are scored as a weighted group.
const maxRepeat = 16

// weightGroups splits weighted terms into groups that FTS5 can score:
// bm25() has no per-phrase weight, but it sums over phrases, so terms of
// whole-number weight go into one group (weight 1) as that many repeated
// phrases, and terms of any other weight go into one group per weight,
// whose bm25() is then scaled by it. The first group is the whole-number
// one (possibly empty).
func weightGroups(terms []string, weights []float64) []termGroup {
	groups := []termGroup{{weight: 1}}
	at := map[float64]int{}
	for i, t := range terms {
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		switch {
		case t == "" || w <= 0:
		case w == math.Trunc(w) && w <= maxRepeat:
			for range int(w) {
				groups[0].terms = append(groups[0].terms, t)
			}
		default:
			g, ok := at[w]
			if !ok {
				g = len(groups)
				at[w] = g
				groups = append(groups, termGroup{weight: w})
			}
			groups[g].terms = append(groups[g].terms, t)
		}
	}
	return groups
}

// termGroup is a set of phrases scored by one bm25() call and scaled by
// weight.
type termGroup struct {
	terms  []string
	weight float64
}

// Search ranks a collection's chunks by BM25 over the query terms. When
// all weights are whole numbers FTS5 ranks and limits in one statement;
// otherwise each weight group is scored in full and the weighted sums are
// ranked here, which gives the same scores the in-memory index computes.
func (s *SQLite) Search(ctx context.Context, q Query) ([]Match, error) {
	if q.Weights != nil && len(q.Weights) != len(q.Terms) {
		return nil, fmt.Errorf("search: %d weights for %d terms", len(q.Weights), len(q.Terms))
	}
	if q.K <= 0 {
		return nil, nil
	}
	var groups []termGroup
	for _, g := range weightGroups(q.Terms, q.Weights) {
		if len(g.terms) > 0 {
			groups = append(groups, g)
		}
	}
	switch len(groups) {
	case 0:
		return nil, nil
	case 1:
		out := make([]Match, 0, q.K)
		err := s.bm25(ctx, q, groups[0].terms, q.K, func(m Match) {
			m.Score *= groups[0].weight
			out = append(out, m)
		})
		return out, err
	}
	sum := map[int64]float64{}
	for _, g := range groups {
		err := s.bm25(ctx, q, g.terms, -1, func(m Match) { sum[m.ChunkRowID] += g.weight * m.Score })
		if err != nil {
			return nil, err
		}
	}
	out := make([]Match, 0, len(sum))
	for id, score := range sum {
		out = append(out, Match{ChunkRowID: id, Score: score})
	}
	slices.SortFunc(out, func(a, b Match) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ChunkRowID, b.ChunkRowID)
	})
	return out[:min(q.K, len(out))], nil
}

// bm25 runs one FTS5 query over terms and calls fn for each match, best
// first; limit < 0 means all matches.
func (s *SQLite) bm25(ctx context.Context, q Query, terms []string, limit int, fn func(Match)) error {
	rows, err := s.db.QueryContext(ctx, `SELECT rowid, -bm25(chunks_fts, 0.0, ?, 1.0) AS score
		FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts, 0.0, ?, 1.0) LIMIT ?`,
		q.TitleWeight, matchExpr(q.Collection, terms), q.TitleWeight, limit)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m Match
		if err := rows.Scan(&m.ChunkRowID, &m.Score); err != nil {
			return fmt.Errorf("search: %w", err)
		}
		fn(m)
	}
	return rows.Err()
}

// Chunks loads chunks by row id, in the order given; unknown ids are
// skipped.
func (s *SQLite) Chunks(ctx context.Context, rowids []int64) ([]ChunkRecord, error) {
	if len(rowids) == 0 {
		return nil, nil
	}
	ph := strings.Repeat("?,", len(rowids))
	args := make([]any, len(rowids))
	for i, id := range rowids {
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, `SELECT c.rowid, c.id, c.document_id, c.ordinal, c.start, c.end, c.page, c.headings, c.tokens, c.text,
		d.collection, d.key, d.source, d.title, d.type
		FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.rowid IN (`+ph[:len(ph)-1]+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("load chunks: %w", err)
	}
	defer rows.Close()
	byID := make(map[int64]ChunkRecord, len(rowids))
	for rows.Next() {
		var r ChunkRecord
		var headings string
		c := &r.Chunk
		if err := rows.Scan(&r.RowID, &c.ID, &c.DocumentID, &c.Ordinal, &c.Start, &c.End, &c.Page, &headings, &c.Tokens, &c.Text,
			&r.Collection, &r.DocKey, &r.Source, &r.Title, &r.Type); err != nil {
			return nil, fmt.Errorf("load chunks: %w", err)
		}
		_ = json.Unmarshal([]byte(headings), &c.Headings)
		byID[r.RowID] = r
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]ChunkRecord, 0, len(rowids))
	for _, id := range rowids {
		if r, ok := byID[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// DocumentChunks returns a document's chunks in order.
func (s *SQLite) DocumentChunks(ctx context.Context, id string) ([]ChunkRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT rowid FROM chunks WHERE document_id = ? ORDER BY ordinal`, id)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var r int64
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, r)
	}
	rows.Close()
	return s.Chunks(ctx, ids)
}

// DocFreq returns, for each term, the number of chunks whose text or
// title contains it, and the total number of chunks.
func (s *SQLite) DocFreq(ctx context.Context, terms []string) (map[string]int, int, error) {
	out := make(map[string]int, len(terms))
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM chunks`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("doc freq: %w", err)
	}
	stmt, err := s.db.PrepareContext(ctx, `SELECT doc FROM chunks_vocab WHERE term = ?`)
	if err != nil {
		return nil, 0, fmt.Errorf("doc freq: %w", err)
	}
	defer stmt.Close()
	for _, t := range terms {
		if _, ok := out[t]; ok {
			continue
		}
		var n int
		err := stmt.QueryRowContext(ctx, t).Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, 0, fmt.Errorf("doc freq: %w", err)
		}
		out[t] = n
	}
	return out, total, nil
}
