package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ragline/ragline/internal/schema"
)

func TestLoadFile(t *testing.T) {
	tests := []struct {
		file     string
		typ      string
		title    string
		pages    int
		contains []string
		absent   []string
		// headings lists the heading blocks in order, as "level:text".
		headings []string
		// rows lists the table rows or records, in order.
		rows []string
	}{
		{
			file:     "english.pdf",
			typ:      TypePDF,
			title:    "Employee Handbook",
			pages:    1,
			contains: []string{"New hires receive 20 vacation days per year.", "carried over into the following year"},
			headings: []string{"1:Employee Handbook"},
		},
		{
			file:     "chinese.pdf",
			typ:      TypePDF,
			title:    "员工手册",
			pages:    1,
			contains: []string{"新员工每年享有十五天带薪年假。", "未使用的年假可以结转到下一年，最多五天。"},
			headings: []string{"1:员工手册"},
		},
		{
			file:     "multipage.pdf",
			typ:      TypePDF,
			title:    "Onboarding Guide",
			pages:    3,
			contains: []string{"Security training, which takes about two hours.", "Hotel per night 150 EUR", "Berlin, Lisbon and Singapore"},
			headings: []string{"1:Onboarding Guide", "2:First week", "2:Expenses", "2:Offices"},
		},
		{
			file:     "handbook.docx",
			typ:      TypeDOCX,
			title:    "Benefits Overview",
			contains: []string{"Health insurance starts on the first day of employment."},
			headings: []string{"1:Benefits", "2:Leave policy", "2:Health insurance"},
			rows:     []string{"Leave type | Entitlement", "Parental leave | 16 weeks fully paid", "Sabbatical | 3 months after 5 years of service"},
		},
		{
			file:     "article.html",
			typ:      TypeHTML,
			title:    "Remote Work Policy",
			contains: []string{"up to three days per week", "A monthly internet allowance of 25 euros.", "request-equipment --item chair\n  --budget 300"},
			absent: []string{
				"Company News", "People Directory", "Sign in to the portal", "Acme Intranet Home", // header and nav
				"Canteen menu", "summer party raffle", "Related links", // aside
				"Copyright 2024", "Privacy statement", // footer
				"TRACKING-SCRIPT-TEXT", "font-family", // script and style
			},
			headings: []string{"1:Remote Work Policy", "2:Eligibility", "3:Working abroad", "2:Equipment"},
			rows:     []string{"Item | Budget", "Chair | 300 EUR", "Internet | 25 EUR per month"},
		},
		{
			file:     "gbk.html",
			typ:      TypeHTML,
			title:    "通知",
			contains: []string{"新员工每年享有十五天带薪年假。"},
		},
		{
			file: "guide.md",
			typ:  TypeMarkdown,
			// The first H1 wins over the front matter title.
			title: "Developer Guide",
			contains: []string{
				"Welcome to the platform team. This guide explains how we build, test and ship services. See the internal wiki for more.",
				"git clone https://git.example/platform.git\n./scripts/setup.sh",
				"Never deploy on Fridays & holidays.",
				"Use make hotfix to cut the branch.",
			},
			absent:   []string{"**", "](", "# ", "owner: platform-team", "internal note", "```"},
			headings: []string{"1:Developer Guide", "2:Getting started", "3:Requirements", "2:Releases", "3:Hotfixes"},
			rows:     []string{"Environment | Approver | Window", "staging | any engineer | any time", "production | on-call engineer | Tuesday 10:00–12:00"},
		},
		{
			file:     "records.csv",
			typ:      TypeCSV,
			contains: []string{"name: Bob Chen, Jr.; department: Finance"},
			rows: []string{
				"employee_id: E001; name: Alice Martin; department: Engineering; office: Berlin; start_date: 2021-03-01",
				"employee_id: E002; name: Bob Chen, Jr.; department: Finance; office: Singapore; start_date: 2019-11-15",
				"employee_id: E003; name: Carla Souza; department: People; office: Lisbon; start_date: 2023-01-09",
				"employee_id: E004; name: Dmitri Ivanov; department: Engineering; start_date: 2022-06-20; column 6: contractor",
				"employee_id: E005; name: Eve Adams; department: Legal",
			},
		},
		{
			file:     "notes.txt",
			typ:      TypeText,
			contains: []string{"Acme office hours\n\nThe Berlin office opens at 8:00 and closes at 18:00 on weekdays.\nOn public holidays the office is closed.\n\nVisitors must register at reception."},
		},
		{
			file:     "malformed.txt",
			typ:      TypeText,
			contains: []string{"Café menu", "The caf\uFFFD serves coffee from 8:00.\uFFFD Tea is free.", "crème brûlée and \uFFFD cheesecake."},
		},
		{
			file:     "utf16.txt",
			typ:      TypeText,
			contains: []string{"UTF-16 notes\n\n新员工每年享有十五天带薪年假。"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			docs, err := LoadFile(t.Context(), path, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 1 {
				t.Fatalf("got %d documents, want 1", len(docs))
			}
			doc := docs[0]
			checkDocument(t, doc)
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if doc.Key != path || doc.Source != tt.file || doc.Type != tt.typ || doc.Size != fi.Size() || doc.Pages != tt.pages {
				t.Errorf("key, source, type, size, pages = %q, %q, %q, %d, %d; want %q, %q, %q, %d, %d",
					doc.Key, doc.Source, doc.Type, doc.Size, doc.Pages, path, tt.file, tt.typ, fi.Size(), tt.pages)
			}
			if doc.ID != "" || doc.Collection != "" || doc.Language != "" {
				t.Errorf("caller-owned fields set: id %q, collection %q, language %q", doc.ID, doc.Collection, doc.Language)
			}
			if want := fileHash(t, path); doc.Hash != want {
				t.Errorf("hash = %s, want sha256 of the file %s", doc.Hash, want)
			}
			if doc.Title != tt.title {
				t.Errorf("title = %q, want %q", doc.Title, tt.title)
			}
			for _, s := range tt.contains {
				if !strings.Contains(doc.Text, s) {
					t.Errorf("text lacks %q; text:\n%s", s, doc.Text)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(doc.Text, s) {
					t.Errorf("text holds %q; text:\n%s", s, doc.Text)
				}
			}
			var headings []string
			for _, b := range doc.Blocks {
				if b.Kind == schema.BlockHeading {
					headings = append(headings, strconv.Itoa(b.Level)+":"+doc.Text[b.Start:b.End])
				}
			}
			if !slices.Equal(headings, tt.headings) {
				t.Errorf("headings = %q, want %q", headings, tt.headings)
			}
			rows := append(blockTexts(doc, schema.BlockTableRow), blockTexts(doc, schema.BlockRecord)...)
			if !slices.Equal(rows, tt.rows) {
				t.Errorf("rows = %q, want %q", rows, tt.rows)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		file   string
		lim    Limits
		want   error
		reason string
	}{
		{file: "empty.txt", want: ErrNoText, reason: "empty file"},
		{file: "blank.pdf", want: ErrNoText, reason: "no text layer on any of 1 pages"},
		{file: "corrupt.pdf", want: ErrCorrupt, reason: "pdfium"},
		{file: "encrypted.pdf", want: ErrEncrypted, reason: "password required"},
		{file: "multipage.pdf", lim: Limits{MaxPages: 2}, want: ErrTooLarge, reason: "3 pages, limit 2"},
		{file: "article.html", lim: Limits{MaxChars: 100}, want: ErrTooLarge, reason: "over 100 characters"},
		{file: "handbook.docx", lim: Limits{MaxChars: 100}, want: ErrTooLarge, reason: "over 100 characters"},
		{file: "multipage.pdf", lim: Limits{MaxChars: 100}, want: ErrTooLarge, reason: "over 100 characters"},
		{file: "records.csv", lim: Limits{MaxFileSize: 100}, want: ErrTooLarge, reason: "bytes, limit 100"},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.reason, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			docs, err := LoadFile(t.Context(), path, tt.lim)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if docs != nil {
				t.Errorf("got %d documents with the error", len(docs))
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+": ") || !strings.Contains(msg, tt.reason) {
				t.Errorf("err = %q, want it to start with %q and say %q", msg, path+": ", tt.reason)
			}
		})
	}
}

func TestLoadBytes(t *testing.T) {
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	tests := []struct {
		name string
		data string
		want error
		text string
	}{
		{name: "random.txt", data: string(random), want: ErrUnsupportedType},
		{name: "random.pdf", data: string(random), want: ErrUnsupportedType},
		{name: "random", data: string(random[:64]), want: ErrUnsupportedType},
		{name: "image.png", data: "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", want: ErrUnsupportedType},
		{name: "sheet.xlsx", data: "PK\x03\x04\x14\x00\x00\x00xl/workbook.xml", want: ErrUnsupportedType},
		{name: "fake.docx", data: "PK\x03\x04 not really a zip", want: ErrCorrupt},
		{name: "broken.jsonl.gz", data: "\x1f\x8b\x08\x00garbage", want: ErrCorrupt},
		{name: "archive.tar.gz", data: "\x1f\x8b\x08\x00garbage", want: ErrUnsupportedType},
		{name: "blank.txt", data: " \n\t\n", want: ErrNoText},
		{name: "header-only.csv", data: "a,b,c\n", want: ErrNoText},
		{name: "empty.html", data: "<html><body><nav>Home</nav></body></html>", want: ErrNoText},
		{name: "data.tsv", data: "city\tcountry\nLisbon\tPortugal\n", text: "city: Lisbon; country: Portugal"},
		{name: "semicolon.csv", data: "city;country\nLisbon;Portugal\n", text: "city: Lisbon; country: Portugal"},
		{name: "crlf.txt", data: "one\r\ntwo\r\n\r\nthree", text: "one\ntwo\n\nthree"},
		{name: "nul-free.txt", data: "tab\tand\fform feed", text: "tab\tand\fform feed"},
		{name: "README", data: "No extension, plain text.", text: "No extension, plain text."},
		{name: "page", data: "<!DOCTYPE html><title>T</title><p>Sniffed as HTML.</p>", text: "Sniffed as HTML."},
		{name: "notes.txt", data: "<!DOCTYPE html><p>A text file keeps its markup.</p>", text: "<!DOCTYPE html><p>A text file keeps its markup.</p>"},
		{name: "short.html", data: `<html><body><header>Site Header</header><div role="navigation">Menu</div><div>Short body   text.<br>Second <b>line</b>.</div><p hidden>Hidden</p><p style="display: none">Gone</p><p aria-hidden="true">Aria</p><footer>Foot</footer></body></html>`, text: "Short body text.\nSecond line."},
		{name: "cjk.md", data: "# 标题\n\n新员工每年享有\n十五天带薪年假。\nNew hires get\n15 days.", text: "标题\n\n新员工每年享有十五天带薪年假。 New hires get 15 days."},
		{name: "gbk.txt", data: "\xd0\xc2\xd4\xb1\xb9\xa4\xc3\xbf\xc4\xea\xcf\xed\xd3\xd0\xca\xae\xce\xe5\xcc\xec\xb4\xf8\xd0\xbd\xc4\xea\xbc\xd9\xa1\xa3", text: "新员工每年享有十五天带薪年假。"},
		{name: "latin1.txt", data: "caf\xe9 cr\xe8me", text: "caf\uFFFD cr\uFFFDme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := Load(t.Context(), tt.name, []byte(tt.data), DefaultLimits())
			if tt.want != nil {
				if !errors.Is(err, tt.want) || !strings.HasPrefix(err.Error(), tt.name+": ") {
					t.Fatalf("err = %v, want %v naming the file", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkDocument(t, docs[0])
			if docs[0].Text != tt.text {
				t.Errorf("text = %q, want %q", docs[0].Text, tt.text)
			}
		})
	}
}

func TestLoadJSONL(t *testing.T) {
	t.Run("gzip", func(t *testing.T) {
		path := filepath.Join("testdata", "corpus.jsonl.gz")
		docs, err := LoadFile(t.Context(), path, DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		want := []struct{ key, title, text string }{
			{"doc1", "Vacation policy", "Vacation policy\n\nNew hires receive 20 vacation days per year."},
			{"doc2", "", "Expense reports are due within thirty days of travel."},
			{"doc3", "年假制度", "年假制度\n\n新员工每年享有十五天带薪年假。\n\n未使用的年假可以结转到下一年。"},
		}
		if len(docs) != len(want) {
			t.Fatalf("got %d documents, want %d", len(docs), len(want))
		}
		hashes := map[string]bool{}
		for i, w := range want {
			d := docs[i]
			checkDocument(t, d)
			if d.Key != w.key || d.Title != w.title || d.Text != w.text || d.Type != TypeJSONL || d.Source != "corpus.jsonl.gz" {
				t.Errorf("doc %d = key %q title %q text %q type %q source %q; want %+v", i, d.Key, d.Title, d.Text, d.Type, d.Source, w)
			}
			if w.title != "" && (d.Blocks[0].Kind != schema.BlockHeading || d.Blocks[0].Level != 1 || !slices.Equal(d.Blocks[1].Headings, []string{w.title})) {
				t.Errorf("doc %d: title is not a level-1 heading over the text: %+v", i, d.Blocks)
			}
			if len(d.Hash) != 64 || hashes[d.Hash] {
				t.Errorf("doc %d: hash %q missing or repeated", i, d.Hash)
			}
			hashes[d.Hash] = true
		}
		if got := docs[0].Metadata; got["url"] != "https://intranet.example/vacation" || got["year"] != "2024" {
			t.Errorf("metadata = %v", got)
		}
	})
	t.Run("bad lines", func(t *testing.T) {
		path := filepath.Join("testdata", "corpus_bad.jsonl")
		docs, err := LoadFile(t.Context(), path, DefaultLimits())
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("err = %v, want ErrCorrupt", err)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, path+":2: ") || !strings.Contains(msg, "3 bad lines") {
			t.Errorf("err = %q, want the first bad line (2) and the count (3)", msg)
		}
		var keys []string
		for _, d := range docs {
			checkDocument(t, d)
			keys = append(keys, d.Key)
		}
		if !slices.Equal(keys, []string{"a1", "42"}) {
			t.Errorf("keys = %q, want the good records a1 and 42", keys)
		}
	})
	t.Run("gzip bomb", func(t *testing.T) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		line := []byte(`{"_id":"x","text":"` + strings.Repeat("a", 1000) + `"}` + "\n")
		for range 512 { // 512 KiB unpacked, a few kilobytes packed
			zw.Write(line)
		}
		zw.Close()
		_, err := Load(t.Context(), "bomb.jsonl.gz", buf.Bytes(), Limits{MaxFileSize: 64 << 10})
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "decompressed content over 262144 bytes") {
			t.Errorf("err = %v, want ErrTooLarge for the decompressed size", err)
		}
	})
	t.Run("hash of line", func(t *testing.T) {
		line := `{"_id":"x","text":"Body."}`
		a, err := Load(t.Context(), "a.jsonl", []byte(line+"\n"), DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		b, err := Load(t.Context(), "b.jsonl", []byte(`{"_id":"y","text":"Other."}`+"\r\n"+line), DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		if a[0].Hash != b[1].Hash || a[0].Size != int64(len(line)) {
			t.Errorf("the same line hashes differently by position or line end: %s vs %s", a[0].Hash, b[1].Hash)
		}
	})
}

func TestLoadFileOverSizeIsNotRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.txt")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	// A sparse file: large on paper, no data on disk, never read.
	if err := os.Truncate(path, 1<<40); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFile(t.Context(), path, Limits{MaxFileSize: 1 << 20})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if !strings.Contains(err.Error(), "1099511627776 bytes, limit 1048576") {
		t.Errorf("err = %q does not give size and limit", err)
	}
}

func TestLoadFileNotRegular(t *testing.T) {
	if _, err := LoadFile(t.Context(), t.TempDir(), DefaultLimits()); !errors.Is(err, ErrUnsupportedType) {
		t.Errorf("folder: err = %v, want ErrUnsupportedType", err)
	}
	if _, err := LoadFile(t.Context(), filepath.Join(t.TempDir(), "missing.txt"), DefaultLimits()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want os.ErrNotExist", err)
	}
}

func TestLoadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, file := range []string{"english.pdf", "notes.txt"} {
		_, err := LoadFile(ctx, filepath.Join("testdata", file), DefaultLimits())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", file, err)
		}
	}
	// The PDF runtime keeps working after a cancelled load.
	if _, err := LoadFile(t.Context(), filepath.Join("testdata", "english.pdf"), DefaultLimits()); err != nil {
		t.Fatal(err)
	}
}

func TestLoadStable(t *testing.T) {
	for _, file := range []string{"multipage.pdf", "article.html", "handbook.docx"} {
		path := filepath.Join("testdata", file)
		a, err := LoadFile(t.Context(), path, DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		b, err := LoadFile(t.Context(), path, DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		if a[0].Hash != b[0].Hash || a[0].Text != b[0].Text || !slices.EqualFunc(a[0].Blocks, b[0].Blocks, func(x, y schema.Block) bool {
			return x.Kind == y.Kind && x.Start == y.Start && x.End == y.End && x.Page == y.Page && slices.Equal(x.Headings, y.Headings)
		}) {
			t.Errorf("%s: two loads differ", file)
		}
	}
}

func TestLoadConcurrent(t *testing.T) {
	files := []string{"english.pdf", "chinese.pdf", "multipage.pdf", "handbook.docx", "article.html", "guide.md", "corrupt.pdf"}
	var wg sync.WaitGroup
	for range 3 {
		for _, file := range files {
			wg.Go(func() {
				docs, err := LoadFile(t.Context(), filepath.Join("testdata", file), DefaultLimits())
				if file == "corrupt.pdf" {
					if !errors.Is(err, ErrCorrupt) {
						t.Errorf("%s: err = %v, want ErrCorrupt", file, err)
					}
					return
				}
				if err != nil {
					t.Errorf("%s: %v", file, err)
					return
				}
				if err := validateDocument(docs[0]); err != nil {
					t.Errorf("%s: %v", file, err)
				}
			})
		}
	}
	wg.Wait()
}

func TestPDFBlocksCarryPages(t *testing.T) {
	docs, err := LoadFile(t.Context(), filepath.Join("testdata", "multipage.pdf"), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	doc := docs[0]
	pageOf := func(s string) int {
		for _, b := range doc.Blocks {
			if strings.Contains(doc.Text[b.Start:b.End], s) {
				return b.Page
			}
		}
		return -1
	}
	for s, want := range map[string]int{
		"onboarding checklist":         1,
		"Laptop setup":                 1,
		"Page two describes":           2,
		"Hotel per night":              2,
		"Berlin, Lisbon and Singapore": 3,
	} {
		if got := pageOf(s); got != want {
			t.Errorf("page of %q = %d, want %d", s, got, want)
		}
	}
	items := blockTexts(doc, schema.BlockListItem)
	if len(items) != 3 || !strings.Contains(items[1], "Security training") {
		t.Errorf("list items = %q", items)
	}
	for _, b := range doc.Blocks {
		if strings.Contains(doc.Text[b.Start:b.End], "Hotel per night") && !slices.Equal(b.Headings, []string{"Onboarding Guide", "Expenses"}) {
			t.Errorf("headings of the expense table = %q", b.Headings)
		}
	}
}
