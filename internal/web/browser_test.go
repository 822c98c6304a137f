package web_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/ragline/ragline/internal/browsertest"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/model/modeltest"
	"github.com/ragline/ragline/internal/server"
)

var uiOut = flag.String("ui.out", "", "folder for the browser tests' screenshots (default: the test's temporary folder, printed with -v)")

// startServer runs a real ragline server on a loopback port over an empty
// knowledge base, with documents ingested from dirs, if any.
func startServer(t *testing.T, cfg *config.Config, dirs ...string) string {
	t.Helper()
	ctx := context.Background()
	k, err := kb.Open(ctx, cfg, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	if len(dirs) > 0 {
		if rep, err := k.Ingest(ctx, "", dirs, nil); err != nil || rep.Failed > 0 {
			t.Fatalf("ingest: %+v %v", rep, err)
		}
	}
	srv := httptest.NewServer(server.New(k, server.Options{Config: cfg}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// browser starts headless Chromium for one test, in the English locale;
// the window is wide enough for the three-column layout.
func browser(t *testing.T) context.Context { return browserIn(t, "en-US") }

// browserIn starts headless Chromium with the locale lang. Any exception
// the page does not catch fails the test.
func browserIn(t *testing.T, lang string) context.Context {
	t.Helper()
	ctx := browsertest.Start(t,
		chromedp.Flag("lang", lang),
		chromedp.Flag("accept-lang", lang),
		chromedp.WindowSize(1400, 1000),
	)
	messages := chromedp.Console(ctx)
	var mu sync.Mutex
	var thrown []string
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() {
				mu.Lock()
				thrown = append(thrown, m.String())
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range thrown {
			t.Errorf("uncaught in the page: %s", e)
		}
	})
	return ctx
}

// outDir is where screenshots go.
func outDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if *uiOut != "" {
		dir = filepath.Join(*uiOut, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// step runs actions with a deadline and saves a screenshot named name.
func step(t *testing.T, ctx context.Context, dir, name string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		shot(t, ctx, dir, name+"-failed")
		t.Fatalf("%s: %v", name, err)
	}
	shot(t, ctx, dir, name)
}

func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)) // quality 100 makes a PNG
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Error(err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// wait polls a JavaScript predicate until it holds.
func wait(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(50*time.Second))
}

// askUI types a question, sends it and waits for answer number n (from
// 1) to be complete.
func askUI(q string, n int) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS("#composer-input"), q),
		chromedp.Click(chromedp.CSS("#send")),
		wait(fmt.Sprintf(`document.querySelectorAll('.msg.assistant .feedback').length === %d`, n)),
	}
}

type sessionTurn struct {
	Citations []struct {
		Index  int    `json:"index"`
		Source string `json:"source"`
		Text   string `json:"text"`
		Page   int    `json:"page"`
	} `json:"citations"`
}

// turnOf reads a turn of a session through the API.
func turnOf(t *testing.T, base, session string, turn int) sessionTurn {
	t.Helper()
	resp, err := http.Get(base + "/v1/sessions/" + session)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct {
		Turns []sessionTurn `json:"turns"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || len(s.Turns) <= turn {
		t.Fatalf("session %s: %+v %v", session, s, err)
	}
	return s.Turns[turn]
}

var space = regexp.MustCompile(`\s+`)

func squash(s string) string { return strings.TrimSpace(space.ReplaceAllString(s, " ")) }

// checkCitation clicks the first citation marker of answer n (from 1) and
// checks that the passage highlighted in the sources panel is exactly the
// cited text the server recorded, from the wanted source.
func checkCitation(t *testing.T, ctx context.Context, base, dir, name string, n int, source string) {
	t.Helper()
	answer := fmt.Sprintf(`document.querySelectorAll('.msg.assistant')[%d]`, n-1)
	step(t, ctx, dir, name,
		chromedp.Evaluate[chromedp.Void](answer+`.querySelector('button.cite').click()`),
		wait(`(() => { const m = document.querySelector('.source.focused mark.cited'); return m && m.textContent.length > 0; })()`),
	)
	sess := eval[string](t, ctx, answer+`.dataset.session`)
	turn := eval[int](t, ctx, `Number(`+answer+`.dataset.turn)`)
	index := eval[int](t, ctx, `Number(`+answer+`.querySelector('button.cite').dataset.cite)`)
	marked := eval[string](t, ctx, `document.querySelector('.source.focused mark.cited').textContent`)
	// The context box is scrolled so that the passage is in view.
	if !eval[bool](t, ctx, `(() => { const m = document.querySelector('.source.focused mark.cited').getBoundingClientRect(), b = document.querySelector('.source.focused .context').getBoundingClientRect(); return m.top >= b.top && m.top < b.bottom; })()`) {
		t.Errorf("%s: the highlighted passage is scrolled out of its context box", name)
	}
	rec := turnOf(t, base, sess, turn)
	for _, c := range rec.Citations {
		if c.Index != index {
			continue
		}
		if c.Source != source {
			t.Errorf("%s: citation %d is from %s, want %s", name, index, c.Source, source)
		}
		if squash(marked) != squash(c.Text) || marked == "" {
			t.Errorf("%s: highlighted %q, cited passage %q", name, marked, c.Text)
		}
		return
	}
	t.Errorf("%s: citation %d not in the recorded turn %+v", name, index, rec)
}

func feedbackCount(t *testing.T, base, rating string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^ragline_feedback_total\{rating="` + rating + `"\} (\S+)$`).FindSubmatch(b)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// TestBrowserEndToEnd drives the interface in headless Chromium against a
// real server: upload a PDF and a Chinese DOCX, ask a question answered
// by each, check the highlighted passage of a citation, send feedback and
// find it on /metrics, list and reopen the conversation, switch language
// and check the narrow layout.
func TestBrowserEndToEnd(t *testing.T) {
	base := startServer(t, config.Default())
	ctx := browser(t)
	dir := outDir(t)
	docs, _ := filepath.Abs(filepath.Join("..", "..", "examples", "quickstart", "docs"))
	pdf := filepath.Join(docs, "expenses-and-travel.pdf")
	docx := filepath.Join(docs, "onboarding-first-week-zh.docx")

	step(t, ctx, dir, "01-start",
		chromedp.Navigate(base+"/"),
		wait(`document.body.dataset.ready === 'true'`),
	)
	if got := eval[string](t, ctx, `document.querySelector('#send').textContent`); got != "Send" {
		t.Errorf("English interface: send button says %q", got)
	}

	step(t, ctx, dir, "02-upload",
		chromedp.Click(chromedp.CSS("#tab-docs")),
		chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{pdf, docx}),
		wait(`document.querySelectorAll('#uploads li[data-status="added"]').length === 2`),
		wait(`document.querySelectorAll('#doc-rows tr').length === 2`),
	)
	rows := eval[string](t, ctx, `[...document.querySelectorAll('#doc-rows tr')].map(r => r.textContent).join('\n')`)
	for _, want := range []string{"expenses-and-travel.pdf", "onboarding-first-week-zh.docx", "pdf", "docx"} {
		if !strings.Contains(rows, want) {
			t.Errorf("document list misses %q:\n%s", want, rows)
		}
	}

	step(t, ctx, dir, "03-answer-pdf", append([]chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.CSS("#tab-chat"))},
		askUI("What is the mileage reimbursement rate when I use my personal car for business?", 1)...)...)
	if a := eval[string](t, ctx, `document.querySelectorAll('.msg.assistant .body')[0].textContent`); !strings.Contains(a, "70 cents") {
		t.Errorf("answer from the PDF: %q", a)
	}
	checkCitation(t, ctx, base, dir, "04-citation-pdf", 1, "expenses-and-travel.pdf")
	step(t, ctx, dir, "05-pdf-page",
		wait(`(() => { const i = document.querySelector('.source.focused img.page-image'); return i && i.complete && i.naturalWidth > 0; })()`),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.source.focused img.page-image').scrollIntoView()`),
	)
	// The server found the cited passage on the page and marked it.
	if marked := eval[string](t, ctx, `document.querySelector('.source.focused img.page-image').dataset.marked`); marked == "0" || marked == "" {
		t.Errorf("page image: the cited passage was not marked (X-Ragline-Marked %q)", marked)
	}

	step(t, ctx, dir, "06-answer-docx", askUI("新员工入职第一天几点到前台报到？", 2)...)
	if a := eval[string](t, ctx, `document.querySelectorAll('.msg.assistant .body')[1].textContent`); !strings.Contains(a, "9:30") {
		t.Errorf("answer from the DOCX: %q", a)
	}
	checkCitation(t, ctx, base, dir, "07-citation-docx", 2, "onboarding-first-week-zh.docx")
	step(t, ctx, dir, "08-trace",
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('.msg.assistant details.trace')[1].open = true`),
		wait(`document.querySelectorAll('.msg.assistant details.trace')[1].querySelectorAll('.trace-step').length > 0`),
	)

	if got := feedbackCount(t, base, "up"); got != "0" {
		t.Fatalf("feedback before: %q", got)
	}
	last := `document.querySelectorAll('.msg.assistant')[1]`
	step(t, ctx, dir, "09-feedback",
		chromedp.Evaluate[chromedp.Void](last+`.querySelector('.thumb[data-rating="up"]').click()`),
		chromedp.SetValue(chromedp.CSS(".msg.assistant:nth-of-type(4) .fb-comment"), "clear and correct"),
		chromedp.Evaluate[chromedp.Void](last+`.querySelector('.fb-send').click()`),
		wait(last+`.querySelector('.feedback').dataset.sent === 'up'`),
	)
	if got := feedbackCount(t, base, "up"); got != "1" {
		t.Errorf("ragline_feedback_total{rating=\"up\"} = %q after one thumbs up, want 1", got)
	}

	step(t, ctx, dir, "10-sessions",
		chromedp.Click(chromedp.CSS("#new-chat")),
		wait(`document.querySelectorAll('.msg').length === 0 && document.querySelectorAll('#sessions button.session').length === 1`),
		// Found and clicked in one step: the list is drawn again when the
		// sessions are fetched, which can replace the button between a
		// separate look-up and click.
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#sessions button.session').click()`),
		wait(`document.querySelectorAll('.msg.assistant').length === 2 && document.querySelectorAll('.msg.assistant button.cite').length > 0`),
	)
	if title := eval[string](t, ctx, `document.querySelector('#sessions .session-title').textContent`); !strings.Contains(title, "mileage") {
		t.Errorf("session listed as %q, want its first question", title)
	}

	step(t, ctx, dir, "11-chinese",
		chromedp.Click(chromedp.CSS("#lang-toggle")),
		wait(`document.documentElement.lang === 'zh-CN'`),
	)
	for sel, want := range map[string]string{"#send": "发送", "#new-chat": "新对话", "#tab-docs": "文档", "#lang-toggle": "English"} {
		if got := eval[string](t, ctx, `document.querySelector('`+sel+`').textContent`); got != want {
			t.Errorf("Chinese interface: %s says %q, want %q", sel, got, want)
		}
	}

	// Every string has both languages, and every key the page uses exists.
	missing := eval[[]string](t, ctx, `import('/ui/i18n.js').then(({ strings }) => {
		const en = Object.keys(strings.en), zh = Object.keys(strings.zh);
		const used = [...document.querySelectorAll('[data-i18n],[data-i18n-label],[data-i18n-placeholder]')]
			.flatMap(e => [e.dataset.i18n, e.dataset.i18nLabel, e.dataset.i18nPlaceholder]).filter(Boolean);
		const same = en.filter(k => strings.en[k] === strings.zh[k] && !['assistant', 'contextBefore', 'contextAfter'].includes(k));
		return [...en.filter(k => !zh.includes(k)).map(k => 'zh lacks ' + k), ...zh.filter(k => !en.includes(k)).map(k => 'en lacks ' + k),
			...used.filter(k => !en.includes(k)).map(k => 'no string ' + k), ...same.map(k => 'untranslated ' + k)];
	})`)
	if len(missing) > 0 {
		t.Errorf("translations: %v", missing)
	}

	step(t, ctx, dir, "12-narrow-375",
		chromedp.EmulateViewport(375, 812),
		wait(`document.querySelector('#menu-toggle').offsetWidth > 0`),
	)
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("at 375 px the page is %d px wide (scrolls sideways)", w)
	}
}

// hostile is a document whose text holds markup and a script link. Shown
// as an answer, as a passage in context and through the Markdown
// renderer, none of it may run or become an element.
const hostile = "The vault password rotates every Friday at noon. " +
	"<script>window.__pwned = 'script'</script> " +
	"<img src=x onerror=\"window.__pwned = 'img'\"> " +
	"[x](javascript:window.__pwned='link') " +
	"The vault password rotation is announced by the security team.\n"

// TestBrowserRendersInert asks a question answered from a hostile
// document and checks that nothing of it runs or turns into markup.
func TestBrowserRendersInert(t *testing.T) {
	docs := t.TempDir()
	if err := os.WriteFile(filepath.Join(docs, "hostile.txt"), []byte(hostile), 0o644); err != nil {
		t.Fatal(err)
	}
	base := startServer(t, config.Default(), docs)
	// A Chinese browser gets the Chinese interface without asking.
	ctx := browserIn(t, "zh-CN")
	dir := outDir(t)

	step(t, ctx, dir, "00-chinese-by-default",
		chromedp.Navigate(base+"/"),
		wait(`document.body.dataset.ready === 'true'`),
	)
	if got := eval[string](t, ctx, `document.documentElement.lang + ' ' + document.querySelector('#send').textContent`); got != "zh-CN 发送" {
		t.Errorf("a zh-CN browser sees %q, want the Chinese interface", got)
	}
	step(t, ctx, dir, "01-hostile-answer", append(askUI("When does the vault password rotate?", 1),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.msg.assistant button.cite').click()`),
		wait(`(() => { const m = document.querySelector('.source.focused mark.cited'); return m && m.textContent.length > 0; })()`),
	)...)

	// The payload reached the page as text, in the answer or the passage.
	shown := eval[string](t, ctx, `document.querySelector('#messages').textContent + document.querySelector('#source-list').textContent`)
	for _, s := range []string{"<script>", "<img src=x onerror=", "javascript:"} {
		if !strings.Contains(shown, s) {
			t.Errorf("%q is not shown as text; page text: %q", s, shown)
		}
	}
	// Direct use of the renderer, with every hostile form at once.
	rendered := eval[string](t, ctx, `import('/ui/markdown.js').then(({ renderMarkdown }) => {
		const box = document.createElement('div');
		box.append(renderMarkdown(`+"`"+`**bold** <script>window.__pwned='md'</script> <img src=x onerror="window.__pwned='md-img'">
[x](javascript:window.__pwned='md-link') [y](JAVASCRIPT:alert(1)) [z]( javascript:alert(1)) [ok](https://example.com/a)
<a href="javascript:alert(1)">a</a> <iframe src="javascript:alert(1)"></iframe>`+"`"+`));
		document.body.append(box);
		return box.innerHTML;
	})`)
	if strings.Contains(rendered, "<script") || strings.Contains(rendered, "<img") || strings.Contains(rendered, "<iframe") || strings.Contains(rendered, "<a href=\"javascript") {
		t.Errorf("renderer made elements of markup: %s", rendered)
	}
	if !strings.Contains(rendered, "<strong>bold</strong>") || !strings.Contains(rendered, `href="https://example.com/a"`) {
		t.Errorf("renderer lost safe Markdown: %s", rendered)
	}
	for _, check := range []string{
		`window.__pwned === undefined`,
		`document.querySelectorAll('#messages script, #messages img, #messages iframe, #source-list script, #source-list img, #source-list iframe').length === 0`,
		`[...document.querySelectorAll('a[href]')].every(a => /^(https?|mailto):/i.test(a.href))`,
		`[...document.querySelectorAll('*')].every(e => ![...e.attributes].some(a => a.name.startsWith('on')))`,
	} {
		if !eval[bool](t, ctx, check) {
			t.Errorf("not inert: %s", check)
		}
	}
	// Clicking every link the answer has does not run anything either.
	eval[bool](t, ctx, `(() => { for (const a of document.querySelectorAll('#messages a')) { a.target = ''; a.addEventListener('click', e => e.preventDefault()); a.click(); } return true; })()`)
	if !eval[bool](t, ctx, `window.__pwned === undefined`) {
		t.Error("a link ran script")
	}
	shot(t, ctx, dir, "02-inert")
}

// darkMode makes the page see prefers-color-scheme: dark.
func darkMode() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		})
		return err
	})
}

// TestBrowserKeyDocumentsKeyboard runs the interface against a server
// that requires a key: the page asks for it, asks again when it is
// wrong, keeps it in sessionStorage only; then one good and one bad file
// are uploaded together (each with its own outcome), a document is
// deleted after a cancelled and a confirmed confirmation, a question is
// asked with the keyboard alone, and the dark theme follows the system.
func TestBrowserKeyDocumentsKeyboard(t *testing.T) {
	const key = "rl_browser-key-0123456789abcdef0123456789"
	cfg := config.Default()
	cfg.Server.Keys = []config.APIKey{{Name: "browser", Hash: server.HashKey(key), Scopes: []string{"admin"}}}
	base := startServer(t, cfg)
	ctx := browser(t)
	dir := outDir(t)
	files := t.TempDir()
	good := filepath.Join(files, "parking.md")
	bad := filepath.Join(files, "blob.bin")
	if err := os.WriteFile(good, []byte("# Parking\n\nParking is free for employees on level two of the garage.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte{0, 1, 2, 3, 0, 0, 0xff, 0xfe, 0, 9, 0, 0, 7}, 0o644); err != nil {
		t.Fatal(err)
	}

	submitKey := func(k string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			wait(`document.querySelector('#key-dialog').open`),
			chromedp.SetValue(chromedp.CSS("#key-input"), k),
			chromedp.Click(chromedp.CSS(`#key-form button[type="submit"]`)),
		}
	}
	step(t, ctx, dir, "01-key-prompt",
		chromedp.Navigate(base+"/"),
		wait(`document.querySelector('#key-dialog').open`),
	)
	step(t, ctx, dir, "02-key-rejected", append(submitKey("wrong-key"),
		wait(`document.querySelector('#key-dialog').open && !document.querySelector('#key-error').hidden`))...)
	step(t, ctx, dir, "03-key-accepted", append(submitKey(key),
		wait(`document.body.dataset.ready === 'true'`))...)
	if got := eval[string](t, ctx, `sessionStorage.getItem('ragline.key')`); got != key {
		t.Errorf("sessionStorage holds %q", got)
	}
	if leaked := eval[bool](t, ctx, `Object.keys(localStorage).some(k => localStorage.getItem(k).includes('`+key+`')) || document.cookie.includes('`+key+`')`); leaked {
		t.Error("the key was written to localStorage or a cookie")
	}

	step(t, ctx, dir, "04-upload-good-and-bad",
		chromedp.Click(chromedp.CSS("#tab-docs")),
		chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{good, bad}),
		wait(`document.querySelector('#uploads li[data-file="parking.md"]')?.dataset.status === 'added'`),
		wait(`document.querySelector('#uploads li[data-file="blob.bin"]')?.dataset.status === 'failed'`),
		wait(`document.querySelectorAll('#doc-rows tr').length === 1`),
	)
	if msg := eval[string](t, ctx, `document.querySelector('#uploads li[data-file="blob.bin"] .up-status').textContent`); !strings.Contains(msg, "blob.bin") && !strings.Contains(msg, "unsupported") {
		t.Errorf("the bad file's error does not say what is wrong: %q", msg)
	}

	step(t, ctx, dir, "05-delete-confirm",
		chromedp.Click(chromedp.CSS("#doc-rows button.danger")),
		wait(`document.querySelector('#confirm-dialog').open`),
	)
	step(t, ctx, dir, "06-delete-cancelled",
		chromedp.Click(chromedp.CSS(`#confirm-dialog button[value="cancel"]`)),
		wait(`!document.querySelector('#confirm-dialog').open`),
	)
	if n := eval[int](t, ctx, `fetch('/v1/collections/default/documents', {headers: {Authorization: 'Bearer ' + sessionStorage.getItem('ragline.key')}}).then(r => r.json()).then(b => b.documents.length)`); n != 1 {
		t.Fatalf("after cancel: %d documents", n)
	}
	step(t, ctx, dir, "07-deleted",
		chromedp.Click(chromedp.CSS("#doc-rows button.danger")),
		wait(`document.querySelector('#confirm-dialog').open`),
		chromedp.Click(chromedp.CSS("#confirm-ok")),
		wait(`document.querySelectorAll('#doc-rows tr').length === 0`),
	)
	if n := eval[int](t, ctx, `fetch('/v1/collections/default/documents', {headers: {Authorization: 'Bearer ' + sessionStorage.getItem('ragline.key')}}).then(r => r.json()).then(b => b.documents.length)`); n != 0 {
		t.Fatalf("after delete: %d documents", n)
	}

	// Files dropped on the drop zone are uploaded like chosen ones.
	step(t, ctx, dir, "07-dropped",
		chromedp.Evaluate[chromedp.Void](`(() => {
			const dt = new DataTransfer();
			dt.items.add(new File(['# Lunch\n\nLunch is served from noon in the cafeteria.\n'], 'lunch.md', { type: 'text/markdown' }));
			dt.items.add(new File(['# Bikes\n\nBikes go in the rack by the north door.\n'], 'bikes.md', { type: 'text/markdown' }));
			const dz = document.querySelector('#dropzone');
			dz.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
			dz.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
		})()`),
		wait(`document.querySelector('#uploads li[data-file="lunch.md"]')?.dataset.status === 'added' && document.querySelector('#uploads li[data-file="bikes.md"]')?.dataset.status === 'added'`),
		wait(`document.querySelectorAll('#doc-rows tr').length === 2`),
	)
	for range 2 {
		step(t, ctx, dir, "07-dropped-deleted",
			chromedp.Click(chromedp.CSS("#doc-rows button.danger")),
			wait(`document.querySelector('#confirm-dialog').open`),
			chromedp.Click(chromedp.CSS("#confirm-ok")),
			wait(`!document.querySelector('#confirm-dialog').open`),
		)
	}
	step(t, ctx, dir, "07-empty", wait(`document.querySelectorAll('#doc-rows tr').length === 0`))

	// A new collection from the picker receives the next upload.
	step(t, ctx, dir, "08-new-collection",
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#collection'); s.value = s.options[s.options.length - 1].value; s.dispatchEvent(new Event('change')); })()`),
		wait(`document.querySelector('#collection-dialog').open`),
		chromedp.SetValue(chromedp.CSS("#collection-input"), "team-a"),
		chromedp.Click(chromedp.CSS(`#collection-form button[value="ok"]`)),
		wait(`document.querySelector('#collection').value === 'team-a'`),
		chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{good}),
		wait(`document.querySelectorAll('#doc-rows tr').length === 1`),
	)
	if n := eval[int](t, ctx, `fetch('/v1/collections/team-a/documents', {headers: {Authorization: 'Bearer ' + sessionStorage.getItem('ragline.key')}}).then(r => r.json()).then(b => b.documents.length)`); n != 1 {
		t.Fatalf("team-a holds %d documents", n)
	}

	// Upload again, reload (the key survives in this tab) and use only
	// the keyboard: Tab reaches controls with a visible focus ring, Enter
	// sends the question.
	step(t, ctx, dir, "09-keyboard",
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#collection'); s.value = 'default'; s.dispatchEvent(new Event('change')); })()`),
		wait(`document.querySelectorAll('#doc-rows tr').length === 0`),
		chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{good}),
		wait(`document.querySelectorAll('#doc-rows tr').length === 1`),
		chromedp.Navigate(base+"/"),
		wait(`document.body.dataset.ready === 'true' && !document.querySelector('#key-dialog').open`),
		chromedp.KeyEvent("\t"),
	)
	if got := eval[string](t, ctx, `document.activeElement.className + ' ' + getComputedStyle(document.activeElement).outlineStyle`); !strings.HasPrefix(got, "skip ") || strings.HasSuffix(got, " none") {
		t.Errorf("first Tab: focus on %q, want the skip link with a visible outline", got)
	}
	for i := range 3 {
		step(t, ctx, dir, fmt.Sprintf("10-tab-%d", i+1), chromedp.KeyEvent("\t"))
		if got := eval[string](t, ctx, `getComputedStyle(document.activeElement).outlineStyle + ' ' + document.activeElement.tagName`); strings.HasPrefix(got, "none") {
			t.Errorf("focused control without a visible outline: %s", got)
		}
	}
	step(t, ctx, dir, "11-keyboard-answer",
		chromedp.Focus(chromedp.CSS("#composer-input")),
		chromedp.SendKeys(chromedp.CSS("#composer-input"), "Is parking free for employees?"),
		chromedp.KeyEvent("\r"),
		wait(`document.querySelectorAll('.msg.assistant .feedback').length === 1`),
	)
	if a := eval[string](t, ctx, `document.querySelector('.msg.assistant .body').textContent`); !strings.Contains(a, "Parking is free") {
		t.Errorf("answer: %q", a)
	}

	// The conversation can be deleted from the list, after confirmation.
	step(t, ctx, dir, "12-delete-conversation",
		wait(`document.querySelectorAll('#sessions .session-row').length === 1`),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#sessions .session-delete').click()`),
		wait(`document.querySelector('#confirm-dialog').open`),
		chromedp.Click(chromedp.CSS("#confirm-ok")),
		wait(`document.querySelectorAll('#sessions .session-row').length === 0 && document.querySelectorAll('.msg').length === 0`),
	)
	if n := eval[int](t, ctx, `fetch('/v1/sessions', {headers: {Authorization: 'Bearer ' + sessionStorage.getItem('ragline.key')}}).then(r => r.json()).then(b => b.sessions.length)`); n != 0 {
		t.Errorf("after deleting the conversation the API lists %d", n)
	}

	light := eval[string](t, ctx, `getComputedStyle(document.body).backgroundColor`)
	step(t, ctx, dir, "13-dark", darkMode(), wait(`getComputedStyle(document.body).backgroundColor !== '`+light+`'`))
	if dark := eval[string](t, ctx, `getComputedStyle(document.body).backgroundColor`); dark != "rgb(18, 19, 22)" {
		t.Errorf("dark theme background %s (light %s)", dark, light)
	}
}

// TestBrowserStreamsModelTokens answers with a language model (a scripted
// OpenAI-compatible server that streams three characters at a time): the
// page receives many small deltas, and the final rendering comes from the
// done event — Markdown formatted, the citation a button, the model's raw
// HTML inert.
func TestBrowserStreamsModelTokens(t *testing.T) {
	const reply = "**Parking** is free for employees on level two [1].\n\n- no fee <b onclick=\"window.__pwned=1\">raw</b>\n- badge needed"
	llm := modeltest.New(t)
	llm.Chat = func(modeltest.ChatRequest) modeltest.Reply { return modeltest.Reply{Text: reply} }
	cfg, err := config.Parse("ragline.yaml", []byte("models:\n  chat: {provider: openai, base_url: "+llm.URL+"/v1, model: scripted, max_retries: 0}\ngenerator: {kind: llm}\n"))
	if err != nil {
		t.Fatal(err)
	}
	docs := t.TempDir()
	if err := os.WriteFile(filepath.Join(docs, "parking.md"), []byte("# Parking\n\nParking is free for employees on level two of the garage.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := startServer(t, cfg, docs)
	ctx := browser(t)
	dir := outDir(t)
	step(t, ctx, dir, "01-streamed", append([]chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/"),
		wait(`document.body.dataset.ready === 'true'`),
	}, askUI("Is parking free for employees?", 1)...)...)

	if n := eval[int](t, ctx, `Number(document.querySelector('.msg.assistant').dataset.deltas || 0)`); n < 20 {
		t.Errorf("%d delta events, want one per few characters", n)
	}
	body := `document.querySelector('.msg.assistant .body')`
	if got := eval[string](t, ctx, body+`.querySelector('strong')?.textContent || ''`); got != "Parking" {
		t.Errorf("bold: %q", got)
	}
	if n := eval[int](t, ctx, body+`.querySelectorAll('li').length`); n != 2 {
		t.Errorf("%d list items, want 2", n)
	}
	if got := eval[string](t, ctx, body+`.querySelector('button.cite')?.dataset.cite || ''`); got != "1" {
		t.Errorf("citation marker: %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('.msg.assistant b, .msg.assistant [onclick]').length`); n != 0 || !strings.Contains(eval[string](t, ctx, body+`.textContent`), "<b onclick=") {
		t.Errorf("the model's HTML became %d elements or vanished", n)
	}
	if tokens := eval[bool](t, ctx, `document.querySelector('.msg.assistant details.trace').textContent.includes('llm')`); !tokens {
		t.Error("the trace does not show the model step")
	}
	// The model's token usage is in the trace summary.
	if s := eval[string](t, ctx, `document.querySelector('.msg.assistant details.trace summary').textContent`); !regexp.MustCompile(`· [1-9]\d* model tokens$`).MatchString(s) {
		t.Errorf("trace summary %q does not count the model's tokens", s)
	}
}
