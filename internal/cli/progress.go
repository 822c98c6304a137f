package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/ragline/ragline/internal/kb"
)

// progress reports ingestion on stderr: a bar on a terminal, a line every
// few seconds otherwise; failures always get a line of their own.
type progress struct {
	w       io.Writer
	bar     *progressbar.ProgressBar
	files   int
	done    int
	bytes   int64
	total   int64
	started time.Time
	last    time.Time
}

func newProgress(w io.Writer) *progress {
	now := time.Now()
	return &progress{w: w, started: now, last: now}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

func (p *progress) Start(files int, bytes int64) {
	p.files, p.total = files, bytes
	if isTerminal(p.w) && files > 1 {
		p.bar = progressbar.NewOptions64(bytes,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetDescription("ingest"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
}

func (p *progress) File(r kb.FileResult) {
	p.done++
	p.bytes += r.Bytes
	if r.Err != nil {
		if p.bar != nil {
			_ = p.bar.Clear()
		}
		fmt.Fprintf(p.w, "ragline: ingest: %s: %s\n", r.Path, trimPathPrefix(r.Err.Error(), r.Path))
	}
	if p.bar != nil {
		_ = p.bar.Set64(p.bytes)
		return
	}
	if time.Since(p.last) >= 2*time.Second {
		p.last = time.Now()
		fmt.Fprintf(p.w, "ingest: %d/%d files, %s, %s/s\n", p.done, p.files, humanBytes(p.bytes), humanBytes(int64(float64(p.bytes)/time.Since(p.started).Seconds())))
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
