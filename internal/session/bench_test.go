package session

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ragline/ragline/internal/redistest"
)

// BenchmarkRedisListPage reads the first and a deep page of one owner's
// listing among 50,000 sessions: the cost follows the page, not the
// owner's number of sessions.
func BenchmarkRedisListPage(b *testing.B) {
	ctx := context.Background()
	addr := redistest.Start(b)
	s, err := OpenRedis(ctx, "redis://"+addr+"/0", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	// Fill the store directly, as 50,000 one-turn sessions would leave it.
	raw := redis.NewClient(&redis.Options{Addr: addr})
	defer raw.Close()
	const n = 50_000
	now := time.Now()
	for start := 0; start < n; start += 1000 {
		_, err := raw.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < start+1000; i++ {
				id := fmt.Sprintf("session-%08d", i)
				k := keysFor(id)
				at := now.Add(time.Duration(i) * time.Millisecond)
				p.RPush(ctx, k.turns, `{"question":"q?","answer":"a","no_answer":false,"time":"2026-01-01T00:00:00Z"}`)
				p.HSet(ctx, k.meta, "created", at.Format(time.RFC3339Nano), "updated", at.Format(time.RFC3339Nano))
				p.ZAdd(ctx, ownerKey("load"), redis.Z{Score: float64(at.UnixMilli()), Member: id + "|" + id})
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	first, err := s.List(ctx, "load", "", 100)
	if err != nil || len(first.Sessions) != 100 {
		b.Fatalf("first page: %d %v", len(first.Sessions), err)
	}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.List(ctx, "load", "", 100); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("after-first", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.List(ctx, "load", first.Next, 100); err != nil {
				b.Fatal(err)
			}
		}
	})
}
