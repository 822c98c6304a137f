package ingest

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// yellowPixels counts pixels the mark colour turned yellow: red and
// green high, blue low. Black text on white paper has none.
func yellowPixels(t *testing.T, b []byte) (int, image.Rectangle) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	n := 0
	var box image.Rectangle
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r > 0xc000 && g > 0xb000 && bl < 0x4000 {
				n++
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return n, box
}

func TestRenderPDFPage(t *testing.T) {
	ctx := context.Background()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	english, multi, chinese := read("english.pdf"), read("multipage.pdf"), read("chinese.pdf")

	plain, err := RenderPDFPage(ctx, english, 1, 72, "")
	if err != nil {
		t.Fatal(err)
	}
	// A US Letter or A4 page at 72 dpi is about 600 × 800 pixels.
	if plain.Width < 500 || plain.Width > 700 || plain.Height < 700 || plain.Height > 900 || plain.Marked != 0 {
		t.Fatalf("plain page: %dx%d marked %d", plain.Width, plain.Height, plain.Marked)
	}
	if n, _ := yellowPixels(t, plain.PNG); n != 0 {
		t.Errorf("unmarked page has %d yellow pixels", n)
	}

	// Extraction may change spacing and punctuation; the mark still finds
	// the passage.
	marked, err := RenderPDFPage(ctx, english, 1, 72, "New hires receive 20 vacation days  per year")
	if err != nil {
		t.Fatal(err)
	}
	n, box := yellowPixels(t, marked.PNG)
	if marked.Marked == 0 || n < 500 {
		t.Fatalf("marked page: %d rectangles, %d yellow pixels", marked.Marked, n)
	}
	// One line of text: wider than tall, inside the page.
	if box.Dx() < 3*box.Dy() || box.Dy() > 40 {
		t.Errorf("mark box %v is not one line of text", box)
	}

	// The higher the resolution, the bigger the image.
	big, err := RenderPDFPage(ctx, english, 1, 144, "")
	if err != nil || big.Width < 2*plain.Width-2 || big.Width > 2*plain.Width+2 {
		t.Errorf("144 dpi: %dx%d (72 dpi %d wide) %v", big.Width, big.Height, plain.Width, err)
	}

	zh, err := RenderPDFPage(ctx, chinese, 1, 72, "新员工每年享有十五天带薪年假。")
	if err != nil || zh.Marked == 0 {
		t.Errorf("Chinese passage: %d rectangles %v", zh.Marked, err)
	}

	// A passage of page 2 is found on page 2 and not on page 1.
	p2, err := RenderPDFPage(ctx, multi, 2, 72, "Hotel per night 150 EUR")
	if err != nil || p2.Marked == 0 {
		t.Errorf("page 2: %d rectangles %v", p2.Marked, err)
	}
	p1, err := RenderPDFPage(ctx, multi, 1, 72, "Hotel per night 150 EUR")
	if err != nil || p1.Marked != 0 {
		t.Errorf("page 1 marked %d rectangles of a page 2 passage (%v)", p1.Marked, err)
	}

	for _, c := range []struct {
		data []byte
		page int
		want error
	}{
		{multi, 0, ErrNoPage},
		{multi, 4, ErrNoPage},
		{read("corrupt.pdf"), 1, ErrCorrupt},
		{read("encrypted.pdf"), 1, ErrEncrypted},
	} {
		if _, err := RenderPDFPage(ctx, c.data, c.page, 72, ""); !errors.Is(err, c.want) {
			t.Errorf("page %d: %v, want %v", c.page, err, c.want)
		}
	}
	if _, err := RenderPDFPage(ctx, english, 1, 5000, ""); err == nil {
		t.Error("5000 dpi accepted")
	}
}

func TestLocate(t *testing.T) {
	for _, c := range []struct {
		hay, needle string
		from, to    int
		ok          bool
	}{
		{"Hello, World!", "hello world", 0, 12, true},
		{"ab cd\r\nef", "cdef", 3, 9, true},
		{"x 新员工 y", "新员工", 2, 5, true},
		{"nothing here", "elsewhere", 0, 0, false},
		{"", "a", 0, 0, false},
		{"abc", "", 0, 0, false},
		// The passage runs onto the next page: its start is marked to the page end.
		{"zz The first twenty-four letters of it, then", "The first twenty-four letters of it then more on the next page", 3, 44, true},
	} {
		from, to, ok := locate([]rune(c.hay), []rune(c.needle))
		if ok != c.ok || (ok && (from != c.from || to != c.to)) {
			t.Errorf("locate(%q, %q) = %d, %d, %v; want %d, %d, %v", c.hay, c.needle, from, to, ok, c.from, c.to, c.ok)
		}
	}
}

// BenchmarkRenderPDFPage renders a cited page at the server's default
// resolution with its passage marked, as GET /v1/documents/{id}/pages/{n}.png does.
func BenchmarkRenderPDFPage(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "multipage.pdf"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// The first call starts the runtime; that is not what is measured.
	if _, err := RenderPDFPage(ctx, data, 2, 110, "Hotel per night 150 EUR"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		img, err := RenderPDFPage(ctx, data, 2, 110, "Hotel per night 150 EUR")
		if err != nil || img.Marked == 0 {
			b.Fatalf("%d marked, %v", img.Marked, err)
		}
	}
}
