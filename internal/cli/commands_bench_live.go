package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/store"
)

// LiveBench is the JSON printed by `ragline bench live --json`.
type LiveBench struct {
	Collection string `json:"collection"`
	// Documents and Chunks are the collection's size when the run starts.
	Documents int `json:"documents"`
	Chunks    int `json:"chunks"`
	Readers   int `json:"readers"`
	Writers   int `json:"writers"`
	// External writes go through a second handle on the knowledge base,
	// as a CLI ingest in another process does; otherwise through the
	// serving one, as API uploads do.
	External        bool    `json:"external"`
	WriteIntervalMS float64 `json:"write_interval_ms"`
	DurationS       float64 `json:"duration_s"`
	// StartupS is the time from opening the knowledge base to its
	// indexes being loaded (what /readyz waits for).
	StartupS float64 `json:"startup_s"`
	// RSSMB is the resident memory after loading; RSSPerChunkKB divides
	// it by the collection's chunks.
	RSSMB         float64 `json:"rss_mb"`
	RSSPerChunkKB float64 `json:"rss_per_chunk_kb"`
	// Idle* is the latency of one top-10 retrieval with no writes,
	// Write* the same while writers write.
	IdleP50MS     float64 `json:"idle_p50_ms"`
	IdleP99MS     float64 `json:"idle_p99_ms"`
	IdleSearches  int     `json:"idle_searches"`
	WriteP50MS    float64 `json:"write_p50_ms"`
	WriteP99MS    float64 `json:"write_p99_ms"`
	WriteSearches int     `json:"write_searches"`
	// Freshness is the time from a write being acknowledged to its
	// document being found by a search on the serving knowledge base.
	FreshnessP50MS float64 `json:"freshness_p50_ms"`
	FreshnessP99MS float64 `json:"freshness_p99_ms"`
	Writes         int     `json:"writes"`
	WritesPerS     float64 `json:"writes_per_s"`
	// WriteAckP50MS and WriteAckP99MS are how long a write takes to be
	// acknowledged (stored, and applied when written in-process).
	WriteAckP50MS float64 `json:"write_ack_p50_ms"`
	WriteAckP99MS float64 `json:"write_ack_p99_ms"`
	Errors        int     `json:"errors"`
	GoMaxProcs    int     `json:"gomaxprocs"`
}

func (a *app) benchLiveCommand() *cobra.Command {
	var f kbFlags
	var writers, readers int
	var interval, duration time.Duration
	var external, asJSON bool
	var questions string
	cmd := &cobra.Command{
		Use:   "live --data KB",
		Short: "Measure retrieval latency and freshness while documents are written",
		Long: `Opens --data as a server does (indexes loaded, change log followed), runs
--readers clients doing top-10 retrievals on --collection for half of --duration
with no writes (idle), then for --duration while --writers writers each add a
small document every --write-interval to the collection and one more writer does
the same in another collection ("<collection>-live-other"). Freshness is the time
from a write's acknowledgement to a search on the serving knowledge base finding
it. With --external, writes go through a second handle on the knowledge base, as
a CLI ingest in another process would, and reach the server through the change
log. The documents written are deleted at the end. Questions come from
--questions (as for bench http), else from the collection's document titles.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if writers < 0 || readers < 1 || interval <= 0 || duration <= 0 {
				return usageErr("bench live: need --readers ≥ 1, --writers ≥ 0, --write-interval > 0 and --duration > 0")
			}
			ctx := cmd.Context()
			start := time.Now()
			k, err := a.openKB(cmd, &f, false)
			if err != nil {
				return err
			}
			defer k.Close()
			k.StartLive(ctx, func(err error) { fmt.Fprintf(a.stderr, "bench live: follower: %v\n", err) })
			if err := k.WaitLoaded(ctx); err != nil {
				return failErr(err)
			}
			coll := k.Config().Collection
			res := LiveBench{Collection: coll, Readers: readers, Writers: writers, External: external,
				WriteIntervalMS: float64(interval) / float64(time.Millisecond), DurationS: duration.Seconds(),
				StartupS: round(time.Since(start).Seconds(), 3), GoMaxProcs: runtime.GOMAXPROCS(0)}
			// Resident memory as a server holds it once loading garbage
			// is returned to the system.
			debug.FreeOSMemory()
			res.RSSMB = rssMB()
			res.Chunks = k.IndexedChunks(coll)
			if res.Chunks > 0 {
				res.RSSPerChunkKB = round(res.RSSMB*1024/float64(res.Chunks), 3)
			}
			cols, err := k.Collections(ctx)
			if err != nil {
				return failErr(err)
			}
			res.Documents = cols[coll]
			var qs []string
			if questions != "" {
				if qs, err = benchQuestions(questions); err != nil {
					return usageErr("bench live: %v", err)
				}
			} else if qs, err = titleQuestions(ctx, k, coll); err != nil {
				return failErr(err)
			}
			writeKB := k
			if external {
				if writeKB, err = a.openKB(cmd, &f, false); err != nil {
					return err
				}
				defer writeKB.Close()
			}
			fmt.Fprintf(a.stderr, "bench live: %d documents, %d chunks in %s; loaded in %.2f s, %.0f MB resident\n", res.Documents, res.Chunks, coll, res.StartupS, res.RSSMB)
			if err := runLiveBench(ctx, a.stderr, k, writeKB, coll, qs, writers, interval, duration, &res); err != nil {
				return failErr(err)
			}
			if asJSON {
				return json.NewEncoder(a.stdout).Encode(res)
			}
			fmt.Fprintf(a.stdout, "idle:    p50 %.2f ms, p99 %.2f ms (%d searches)\n", res.IdleP50MS, res.IdleP99MS, res.IdleSearches)
			fmt.Fprintf(a.stdout, "writing: p50 %.2f ms, p99 %.2f ms (%d searches)\n", res.WriteP50MS, res.WriteP99MS, res.WriteSearches)
			fmt.Fprintf(a.stdout, "freshness: p50 %.2f ms, p99 %.2f ms; %d writes, %.1f/s; %d errors\n", res.FreshnessP50MS, res.FreshnessP99MS, res.Writes, res.WritesPerS, res.Errors)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().IntVar(&writers, "writers", 1, "writers into the collection (one more writes into another collection)")
	cmd.Flags().IntVar(&readers, "readers", 1, "concurrent retrieval clients")
	cmd.Flags().DurationVar(&interval, "write-interval", 100*time.Millisecond, "time between one writer's writes")
	cmd.Flags().DurationVar(&duration, "duration", 30*time.Second, "length of the write phase (the idle phase is half of it)")
	cmd.Flags().BoolVar(&external, "external", false, "write through a second handle on the knowledge base, as another process would")
	cmd.Flags().StringVar(&questions, "questions", "", "questions file (default: the collection's document titles)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// titleQuestions uses up to 500 document titles of collection as
// questions.
func titleQuestions(ctx context.Context, k *kb.KB, coll string) ([]string, error) {
	docs, err := k.Documents(ctx, coll)
	if err != nil {
		return nil, err
	}
	var qs []string
	step := max(1, len(docs)/500)
	for i := 0; i < len(docs); i += step {
		if t := strings.TrimSpace(docs[i].Title); t != "" {
			qs = append(qs, t)
		}
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("collection %s has no document titles to ask; pass --questions", coll)
	}
	return qs, nil
}

// liveToken is a made-up word that names write n of writer w: letters
// only, so every analyzer keeps it as one term, and ending in "qx", so
// no stemmer rule merges two of them.
func liveToken(w, n int) string {
	var b strings.Builder
	b.WriteString("zqlive")
	b.WriteByte(byte('a' + w%26))
	for {
		b.WriteByte(byte('a' + n%26))
		n /= 26
		if n == 0 {
			break
		}
	}
	b.WriteString("qx")
	return b.String()
}

func runLiveBench(ctx context.Context, stderr io.Writer, k, writeKB *kb.KB, coll string, qs []string, writers int, interval, duration time.Duration, res *LiveBench) error {
	var mu sync.Mutex
	var idle, busy, fresh, acks []float64
	var errs int
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if errs < 5 {
			fmt.Fprintf(stderr, "bench live: %v\n", err)
		}
		errs++
	}
	read := func(ctx context.Context, id int, into *[]float64) {
		r := rand.New(rand.NewPCG(uint64(id), 7))
		for ctx.Err() == nil {
			q := qs[r.IntN(len(qs))]
			t0 := time.Now()
			_, err := k.Retrieve(ctx, coll, q, 10)
			ms := float64(time.Since(t0)) / float64(time.Millisecond)
			if err != nil {
				if ctx.Err() == nil {
					fail(err)
				}
				continue
			}
			mu.Lock()
			*into = append(*into, ms)
			mu.Unlock()
		}
	}
	phase := func(d time.Duration, into *[]float64, extra func(context.Context, *sync.WaitGroup)) {
		pctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		var wg sync.WaitGroup
		for i := range res.Readers {
			wg.Go(func() { read(pctx, i, into) })
		}
		if extra != nil {
			extra(pctx, &wg)
		}
		wg.Wait()
	}
	phase(duration/2, &idle, nil)

	other := coll + "-live-other"
	if len(other) > 64 {
		other = "live-other"
	}
	var keysMu sync.Mutex
	written := map[string][]string{}
	write := func(pctx context.Context, w int, target string, probe bool, wg *sync.WaitGroup) {
		t := time.NewTicker(interval)
		defer t.Stop()
		for n := 0; ; n++ {
			select {
			case <-pctx.Done():
				return
			case <-t.C:
			}
			tok := liveToken(w, n)
			key := fmt.Sprintf("live-bench/%d/%d.txt", w, n)
			doc := schema.Document{Key: key, Source: key, Title: "Live bench note " + tok,
				Text: "A short note written during the live benchmark, about " + tok + " and nothing else.", Type: "text"}
			doc.Hash = store.DocumentID(target, key+tok)
			doc.Size = int64(len(doc.Text))
			t0 := time.Now()
			if err := writeKB.PutDocuments(ctx, target, []schema.Document{doc}); err != nil {
				fail(fmt.Errorf("write %s: %w", key, err))
				continue
			}
			acked := time.Now()
			keysMu.Lock()
			written[target] = append(written[target], store.DocumentID(target, key))
			keysMu.Unlock()
			mu.Lock()
			acks = append(acks, float64(acked.Sub(t0))/float64(time.Millisecond))
			mu.Unlock()
			if !probe {
				continue
			}
			wg.Go(func() {
				deadline := acked.Add(30 * time.Second)
				for time.Now().Before(deadline) {
					r, err := k.Retrieve(ctx, target, tok, 1)
					if err == nil && len(r.Hits) > 0 && r.Hits[0].DocKey == key {
						mu.Lock()
						fresh = append(fresh, float64(time.Since(acked))/float64(time.Millisecond))
						mu.Unlock()
						return
					}
					time.Sleep(2 * time.Millisecond)
				}
				fail(fmt.Errorf("%s in %s not found 30 s after its write", key, target))
			})
		}
	}
	began := time.Now()
	var elapsed float64
	phase(duration, &busy, func(pctx context.Context, wg *sync.WaitGroup) {
		for w := range writers {
			wg.Go(func() { write(pctx, w, coll, true, wg) })
		}
		wg.Go(func() { write(pctx, writers, other, true, wg) })
		go func() { <-pctx.Done(); mu.Lock(); elapsed = time.Since(began).Seconds(); mu.Unlock() }()
	})
	mu.Lock()
	defer mu.Unlock()

	res.IdleP50MS, res.IdleP99MS = p50p99(idle)
	res.IdleSearches = len(idle)
	res.WriteP50MS, res.WriteP99MS = p50p99(busy)
	res.WriteSearches = len(busy)
	res.FreshnessP50MS, res.FreshnessP99MS = p50p99(fresh)
	res.WriteAckP50MS, res.WriteAckP99MS = p50p99(acks)
	res.Writes = len(acks)
	res.WritesPerS = round(float64(len(acks))/elapsed, 2)
	res.Errors = errs

	// Leave the knowledge base as it was.
	for _, ids := range written {
		for _, id := range ids {
			if err := writeKB.DeleteDocument(ctx, id); err != nil {
				return fmt.Errorf("remove benchmark document %s: %w", id, err)
			}
		}
	}
	return nil
}
