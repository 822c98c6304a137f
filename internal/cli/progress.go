package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/ragline/ragline/internal/kb"
)

// progressEvery is how often a line of progress is written when stderr is
// not a terminal (a log file, CI); tests shorten it.
var progressEvery = 2 * time.Second

// isTerminal reports whether w is a terminal, where progress is a bar
// redrawn in place; tests replace it.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// progress reports ingestion on stderr: a bar on a terminal (documents,
// bytes, rate, time left), a line every progressEvery otherwise; failures
// always get a line of their own. A corpus file (BEIR JSONL) moves it as
// its documents are written, not only when the whole file is done.
type progress struct {
	w        io.Writer
	bar      *progressbar.ProgressBar
	files    int
	done     int
	docs     int
	bytes    int64            // of finished files
	inflight map[string]int64 // text bytes of corpus files in progress
	partDocs map[string]int   // documents of corpus files in progress
	total    int64
	started  time.Time
	last     time.Time
}

func newProgress(w io.Writer) *progress {
	now := time.Now()
	return &progress{w: w, started: now, last: now, inflight: map[string]int64{}, partDocs: map[string]int{}}
}

func (p *progress) Start(files int, bytes int64) {
	p.files, p.total = files, bytes
	if isTerminal(p.w) {
		p.bar = progressbar.NewOptions64(bytes,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("ingest"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
}

// shown is the bytes done so far, counting the text written from corpus
// files that are not finished yet (never past the file's size).
func (p *progress) shown() int64 {
	n := p.bytes
	for _, b := range p.inflight {
		n += b
	}
	return min(n, max(p.total, p.bytes))
}

func (p *progress) Part(path string, documents int, bytes int64) {
	p.docs += documents
	p.partDocs[path] += documents
	p.inflight[path] += bytes
	p.update()
}

func (p *progress) File(r kb.FileResult) {
	p.done++
	p.bytes += r.Bytes
	p.docs += r.Documents - p.partDocs[r.Path] // the parts were counted already
	delete(p.inflight, r.Path)
	delete(p.partDocs, r.Path)
	if r.Err != nil {
		if p.bar != nil {
			_ = p.bar.Clear()
		}
		fmt.Fprintf(p.w, "ragline: ingest: %s: %s\n", r.Path, trimPathPrefix(r.Err.Error(), r.Path))
	}
	p.update()
}

func (p *progress) update() {
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("ingest %d/%d files, %d docs", p.done, p.files, p.docs))
		_ = p.bar.Set64(p.shown())
		return
	}
	if time.Since(p.last) >= progressEvery {
		p.last = time.Now()
		n := p.shown()
		secs := time.Since(p.started).Seconds()
		line := fmt.Sprintf("ingest: %d/%d files, %d documents, %s of %s, %s/s", p.done, p.files, p.docs, humanBytes(n), humanBytes(p.total), humanBytes(int64(float64(n)/secs)))
		if n > 0 && p.total > n {
			line += ", about " + eta(secs, float64(n), float64(p.total)) + " left"
		}
		fmt.Fprintln(p.w, line)
	}
}

func (p *progress) finish(rep kb.Report) {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
	secs := time.Since(p.started).Seconds()
	fmt.Fprintf(p.w, "ingest: %d files (%d added, %d replaced, %d unchanged, %d failed), %d chunks, %s in %.1fs\n",
		rep.Files, rep.Added, rep.Replaced, rep.Unchanged, rep.Failed, rep.Chunks, humanBytes(rep.Bytes), secs)
}

// eta estimates the time left from the time spent on done of total.
func eta(secs, done, total float64) string {
	left := time.Duration(secs * (total - done) / done * float64(time.Second))
	return left.Round(time.Second).String()
}

// counter reports progress through a known number of items (questions,
// queries) on stderr: a bar on a terminal, a line every progressEvery
// otherwise. It is safe for concurrent use.
type counter struct {
	w       io.Writer
	label   string
	unit    string
	total   int
	bar     *progressbar.ProgressBar
	mu      sync.Mutex
	done    int
	started time.Time
	last    time.Time
}

// newCounter starts reporting label's progress through total items of
// unit (plural, e.g. "questions"); total < 0 is unknown (a spinner).
func newCounter(w io.Writer, label string, total int, unit string) *counter {
	now := time.Now()
	c := &counter{w: w, label: label, unit: unit, total: total, started: now, last: now}
	if isTerminal(w) {
		c.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(unit),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return c
}

// Add counts n more items done.
func (c *counter) Add(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done += n
	if c.bar != nil {
		_ = c.bar.Add(n)
		return
	}
	if time.Since(c.last) < progressEvery {
		return
	}
	c.last = time.Now()
	secs := time.Since(c.started).Seconds()
	line := fmt.Sprintf("%s: %d", c.label, c.done)
	if c.total > 0 {
		line += fmt.Sprintf("/%d", c.total)
	}
	line += fmt.Sprintf(" %s, %.1f/s", c.unit, float64(c.done)/secs)
	if c.total > c.done && c.done > 0 {
		line += ", about " + eta(secs, float64(c.done), float64(c.total)) + " left"
	}
	fmt.Fprintln(c.w, line)
}

// Finish removes the bar, leaving the terminal for the summary.
func (c *counter) Finish() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bar != nil {
		_ = c.bar.Finish()
	}
}

// trimPathPrefix drops a leading "name: " that repeats the file already
// named on the line.
func trimPathPrefix(msg, path string) string {
	for _, p := range []string{path + ": ", baseName(path) + ": "} {
		if len(msg) > len(p) && msg[:len(p)] == p {
			return msg[len(p):]
		}
	}
	return msg
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' || p[i] == os.PathSeparator {
			return p[i+1:]
		}
	}
	return p
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
