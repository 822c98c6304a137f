package text

import (
	"hash/maphash"
	"sync"

	"github.com/kljensen/snowball/english"
)

// The Snowball stemmer costs about a microsecond per word, mostly in
// allocation, which alone would hold English analysis to a few MB/s.
// Words follow Zipf's law, so a bounded memo of recent stems answers most
// look-ups: it lifts English analysis about fivefold (see
// BenchmarkAnalyzerEnglish). Stemming is a pure function of the word, so
// the memo is process-wide and shared by every Analyzer; it is sharded to
// keep lock contention low and each shard is simply emptied when full.
const (
	stemShards   = 32
	stemShardCap = 2048 // entries per shard: at most 64K words, a few MB
)

type stemShard struct {
	mu sync.RWMutex
	m  map[string]string
}

var (
	stemSeed  = maphash.MakeSeed()
	stemMemo  [stemShards]stemShard
	stemSetup sync.Once
)

// stemWord returns the English Snowball stem of the lower-case word w.
func stemWord(w []byte) string {
	stemSetup.Do(func() {
		for i := range stemMemo {
			stemMemo[i].m = make(map[string]string, stemShardCap)
		}
	})
	sh := &stemMemo[maphash.Bytes(stemSeed, w)%stemShards]
	sh.mu.RLock()
	t, ok := sh.m[string(w)]
	sh.mu.RUnlock()
	if ok {
		return t
	}
	key := string(w)
	t = english.Stem(key, true)
	switch {
	case t == "":
		t = key
	case t == key:
		t = key // share one string for key and value
	}
	sh.mu.Lock()
	if len(sh.m) >= stemShardCap {
		clear(sh.m)
	}
	sh.m[key] = t
	sh.mu.Unlock()
	return t
}
