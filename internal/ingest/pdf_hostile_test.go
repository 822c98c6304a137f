package ingest

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// hostilePDF writes a one-page PDF of width × height points whose page
// content is content, Flate-compressed: a small file can hold a huge
// page or millions of operators.
func hostilePDF(width, height float64, content string) []byte {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write([]byte(content))
	zw.Close()
	var b bytes.Buffer
	var offsets []int
	obj := func(body string, stream []byte) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s", len(offsets), body)
		if stream != nil {
			b.WriteString("\nstream\n")
			b.Write(stream)
			b.WriteString("\nendstream")
		}
		b.WriteString("\nendobj\n")
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>", nil)
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>", nil)
	obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>", width, height), nil)
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", nil)
	obj(fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>", z.Len()), z.Bytes())
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// textOperators is page content with n text-showing operators, each its
// own positioned run of a few characters.
func textOperators(n int) string {
	var s strings.Builder
	s.WriteString("BT /F1 1 Tf\n")
	for i := range n {
		fmt.Fprintf(&s, "1 0 0 1 %d %d Tm (w%d) Tj\n", i%500, (i/500)%700, i%10)
	}
	s.WriteString("ET\n")
	return s.String()
}

// childEnv selects the hostile-PDF job a re-executed test binary runs
// (see runPDFChild) instead of the tests.
const childEnv = "RAGLINE_PDF_CHILD"

// runPDFChild runs one job on a PDF file in this process and prints the
// result and the process's peak resident memory (VmHWM) in KiB. Run
// alone in a fresh process, VmHWM is the job's peak, nothing else's.
func runPDFChild(job, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Println("error", err)
		return
	}
	ctx := context.Background()
	var res string
	switch job {
	case "render110", "render200":
		dpi, _ := strconv.Atoi(strings.TrimPrefix(job, "render"))
		img, err := RenderPDFPage(ctx, data, 1, dpi, "")
		res = fmt.Sprintf("%dx%d dpi=%d err=%v", img.Width, img.Height, img.DPI, err)
	case "extract":
		doc, err := loadPDF(ctx, data, DefaultLimits())
		res = fmt.Sprintf("chars=%d err=%v", len(doc.Text), err)
	}
	status, _ := os.ReadFile("/proc/self/status")
	hwm, rss := 0, 0
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			hwm, _ = strconv.Atoi(f[1])
		} else if len(f) >= 2 && f[0] == "VmRSS:" {
			rss, _ = strconv.Atoi(f[1])
		}
	}
	fmt.Printf("result %s\nvmhwm_kib %d\nvmrss_kib %d\n", res, hwm, rss)
	_ = closePDFium()
}

// pdfChild runs job on data in a fresh test process and returns its
// result line, its peak RSS and its RSS after the job, in MiB.
func pdfChild(t *testing.T, job string, data []byte) (string, int, int) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "hostile.pdf")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+job+":"+file)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var res string
	kib, after := -1, -1
	for _, l := range strings.Split(string(out), "\n") {
		if r, ok := strings.CutPrefix(l, "result "); ok {
			res = r
		}
		if v, ok := strings.CutPrefix(l, "vmhwm_kib "); ok {
			kib, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(l, "vmrss_kib "); ok {
			after, _ = strconv.Atoi(v)
		}
	}
	if kib < 0 {
		t.Fatalf("child printed no peak memory:\n%s", out)
	}
	return res, kib / 1024, after / 1024
}

// maxHostileRSS is the peak resident memory, in MiB, allowed for ingesting
// or rendering any hostile PDF of up to 2 MB.
const maxHostileRSS = 512

// maxRecycledRSS bounds the resident memory, in MiB, left after a hostile
// job: the runtime, the compiled engine and a fresh instance.
const maxRecycledRSS = 200

// TestHostilePDFMemory reproduces PDFs that made the PDF engine take
// gigabytes: a page of 14400 × 14400 points rendered at 200 dpi, and a
// one-page file with 400,000 text operators ingested. Each runs in a
// fresh process whose peak resident memory must stay within 512 MiB;
// the render comes back at a lower resolution, the extraction as a
// per-file error.
func TestHostilePDFMemory(t *testing.T) {
	huge := hostilePDF(14400, 14400, "BT /F1 400 Tf 100 7000 Td (huge) Tj ET\n0 0 m 14400 14400 l S\n")
	ops := hostilePDF(612, 792, textOperators(400_000))
	// The same operator repeated compresses a thousandfold: a small file
	// whose page the engine would need gigabytes to load.
	dense := hostilePDF(612, 792, "BT /F1 1 Tf\n"+strings.Repeat("(w) Tj\n", 3_000_000)+"ET\n")
	for _, c := range []struct {
		name, job string
		data      []byte
		want      string
	}{
		{"huge page rendered", "render110", huge, "err=<nil>"},
		{"huge page rendered at 200 dpi", "render200", huge, "err=<nil>"},
		{"400k text operators extracted", "extract", ops, "over the size limit"},
		{"millions of repeated operators extracted", "extract", dense, "over the size limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if len(c.data) > 2<<20 {
				t.Fatalf("the hostile file is %d bytes, the bound is for files up to 2 MB", len(c.data))
			}
			res, mib, after := pdfChild(t, c.job, c.data)
			t.Logf("%d-byte file: %s, peak RSS %d MiB, %d MiB after", len(c.data), res, mib, after)
			if !strings.Contains(res, c.want) {
				t.Errorf("result %q, want %q", res, c.want)
			}
			if mib > maxHostileRSS {
				t.Errorf("peak RSS %d MiB, bound %d MiB", mib, maxHostileRSS)
			}
			// The engine's instance was replaced after the large job and its
			// memory handed back.
			if after > maxRecycledRSS {
				t.Errorf("RSS after the job %d MiB, want the engine's memory returned (≤ %d MiB)", after, maxRecycledRSS)
			}
		})
	}
}

// TestFitDPI checks the resolution chosen for pages of every size.
func TestFitDPI(t *testing.T) {
	for _, c := range []struct {
		w, h     float64
		dpi      int
		want     int
		tooLarge bool
	}{
		{612, 792, 110, 110, false},
		{612, 792, 200, 200, false},
		{2384, 3370, 200, 0, false}, // A0: lowered
		{14400, 14400, 110, 20, false},
		{14400 * 20, 14400 * 20, 110, 0, true}, // a UserUnit giant
	} {
		got, err := fitDPI(c.w, c.h, c.dpi)
		if c.tooLarge {
			if !errors.Is(err, ErrPageTooLarge) {
				t.Errorf("%gx%g: %d %v, want ErrPageTooLarge", c.w, c.h, got, err)
			}
			continue
		}
		px := func(d int) float64 { return math.Ceil(c.w*float64(d)/72) * math.Ceil(c.h*float64(d)/72) }
		if err != nil || got > c.dpi || px(got) > MaxPagePixels || (got < c.dpi && px(got+1) <= MaxPagePixels) || (c.want > 0 && got != c.want) {
			t.Errorf("%gx%g at %d dpi: %d %v", c.w, c.h, c.dpi, got, err)
		}
	}
}
