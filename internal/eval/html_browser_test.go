package eval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ragline/ragline/internal/browsertest"
)

// TestReportHTMLInBrowser opens report.html in headless Chromium: it must
// render its charts and tables without a single console error.
func TestReportHTMLInBrowser(t *testing.T) {
	rep, defs := sampleReport(t, "metrics:\n  f1: {min: 0.7, max_regression: 0.05}\n")
	dir := t.TempDir()
	if _, err := WriteReports(dir, rep, defs); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.Start(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second) // a bound on a hung browser, not a measurement
	defer cancel()

	var mu sync.Mutex
	var problems []string
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				problems = append(problems, fmt.Sprintf("console.%s", e.Type))
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
				problems = append(problems, "log: "+e.Entry.Text)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	enableLog := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{})
		return err
	})
	if err := chromedp.Do(ctx, enableLog, chromedp.Navigate("file://"+filepath.Join(dir, ReportHTML)), chromedp.WaitVisible("#metrics")); err != nil {
		t.Fatal(err)
	}
	title := must(chromedp.Run(ctx, chromedp.Title()))(t)
	svgs := must(chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg.chart").length`)))(t)
	rows := must(chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#questions tr").length`)))(t)
	verdict := must(chromedp.Run(ctx, chromedp.Text("#verdict")))(t)
	shot := must(chromedp.Run(ctx, chromedp.FullScreenshot(80)))(t)
	os.WriteFile(filepath.Join(dir, "report.png"), shot, 0o644)
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("console problems: %v", problems)
	}
	// Delta chart, latency histogram and per-tag bars.
	if svgs != 3 || rows != 41 || !strings.Contains(verdict, "gate failed") || !strings.Contains(title, "golden:test") {
		t.Errorf("rendered %d charts, %d question rows, verdict %q, title %q", svgs, rows, verdict, title)
	}
}

// must returns a check that fails the test on err and otherwise gives v.
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
