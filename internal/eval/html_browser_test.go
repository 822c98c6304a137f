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
	// Every third question misses its reference answer; the last is
	// answered although nothing should be.
	for i := range rep.Questions {
		q := &rep.Questions[i]
		q.Expected, q.Metrics["answer_contains"] = []string{"answer " + q.ID}, b2f(i%3 != 1)
	}
	last := &rep.Questions[len(rep.Questions)-1]
	last.Expected, last.ExpectNoAnswer, last.NoAnswer = nil, true, false
	delete(last.Metrics, "answer_contains")
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
	// Failed questions come first, marked; the filter hides the others.
	failed := 0
	for _, q := range rep.Questions {
		if Failed(q) {
			failed++
		}
	}
	firstRows := must(chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#questions tr.failed, #questions tr.passed")).map(r => r.className)`)))(t)
	if failed == 0 || len(firstRows) != len(rep.Questions) {
		t.Fatalf("sample report has %d failed questions, page shows %d rows", failed, len(firstRows))
	}
	for i, c := range firstRows {
		if (i < failed) != (c == "failed") {
			t.Errorf("row %d is %q; the %d failed questions must come first", i, c, failed)
			break
		}
	}
	if _, err := chromedp.Run(ctx, chromedp.Click("#failed-only")); err != nil {
		t.Fatal(err)
	}
	visible := must(chromedp.Run(ctx, chromedp.Evaluate[int](`Array.from(document.querySelectorAll("#questions tr.failed, #questions tr.passed")).filter(r => r.offsetParent !== null).length`)))(t)
	expected := must(chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#questions tr.failed td.expected").textContent`)))(t)
	if visible != failed || expected == "" {
		t.Errorf("with the filter %d rows visible, want %d; expected cell %q", visible, failed, expected)
	}
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
