// Package browsertest starts headless Chromium for tests that check what a
// user sees (the web UI, the HTML evaluation report), driven over the
// DevTools protocol with chromedp.
//
// It is imported by tests only and must never be linked into the binary.
package browsertest
