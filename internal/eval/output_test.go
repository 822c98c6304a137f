package eval

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sampleReport(t *testing.T, gateYAML string) (*Report, []MetricDef) {
	t.Helper()
	defs := Metrics(nil)
	b, c := pairedReports(40, func(i int) (float64, float64) { return 0.8, 0.8 - float64(i%2)*0.4 })
	for i := range c.Questions {
		c.Questions[i].Tags = []string{[]string{"en", "zh"}[i%2]}
		c.Questions[i].Question = "question <b>" + c.Questions[i].ID + "</b>"
	}
	c.Summarize(defs)
	cmp, err := Compare(defs, b, c, BootstrapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.Comparison = &ComparisonSection{Metrics: cmp}
	if gateYAML != "" {
		g, err := ParseGate("gate.yaml", []byte(gateYAML), defs)
		if err != nil {
			t.Fatal(err)
		}
		res := g.Evaluate(c, map[string]map[string]Comparison{"": cmp}, defs)
		c.Gate = &res
	}
	return c, defs
}

func TestWriteReportsAndResults(t *testing.T) {
	rep, defs := sampleReport(t, "metrics:\n  latency_p50_ms: {max: 100}\n  f1: {min: 0.7, max_regression: 0.05}\n")
	dir := t.TempDir()
	digest, err := WriteReports(dir, rep, defs)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := os.ReadFile(filepath.Join(dir, ReportJSON))
	if digest != Digest(js) || !strings.HasPrefix(digest, "sha256:") {
		t.Errorf("digest %s does not match report.json", digest)
	}
	back, err := ReadReport(filepath.Join(dir, ReportJSON))
	if err != nil || back.Metrics["f1"] != rep.Metrics["f1"] || len(back.Questions) != 40 {
		t.Fatalf("read back: %v", err)
	}

	// JUnit: read back with an XML parser; one case per gate check, the
	// failing ones carrying their numbers.
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	data, _ := os.ReadFile(filepath.Join(dir, JUnitXML))
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatal(err)
	}
	if suites.Tests != 3 || suites.Failures != 2 || len(suites.Suites[0].Cases) != 3 {
		t.Fatalf("junit = %+v", suites)
	}
	for _, c := range suites.Suites[0].Cases[:2] {
		if c.Failure == nil || !strings.Contains(c.Failure.Message, "f1") {
			t.Errorf("case %s: failure %+v", c.Name, c.Failure)
		}
	}

	md, _ := os.ReadFile(filepath.Join(dir, SummaryMD))
	table := string(md)[strings.Index(string(md), "| metric |"):]
	if !strings.Contains(string(md), "gate failed") || !strings.HasPrefix(strings.Split(table, "\n")[2], "| f1 |") {
		t.Errorf("summary.md must put the failing metric first:\n%s", md)
	}
	html, _ := os.ReadFile(filepath.Join(dir, ReportHTML))
	if strings.Contains(string(html), "<b>q000</b>") || !strings.Contains(string(html), "&lt;b&gt;q000") || !strings.Contains(string(html), "<svg") {
		t.Error("report.html must escape question text and carry inline SVG charts")
	}

	res := t.TempDir()
	if err := WriteResults(res, rep, digest); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{ResultPassed: "false", ResultDigest: digest} {
		if b, _ := os.ReadFile(filepath.Join(res, name)); string(b) != want {
			t.Errorf("%s = %q, want %q", name, b, want)
		}
	}
	if s, _ := os.ReadFile(filepath.Join(res, ResultSummary)); !strings.HasPrefix(string(s), "FAILED") || strings.Contains(string(s), "\n") {
		t.Errorf("summary = %q", s)
	}
}

func TestOneLineStaysUnder4KB(t *testing.T) {
	rep, _ := sampleReport(t, "")
	rep.Gate = &GateResult{}
	for i := 0; i < 200; i++ {
		rep.Gate.Checks = append(rep.Gate.Checks, GateCheck{Name: "x", Message: strings.Repeat("指标", 20)})
	}
	s := OneLine(rep)
	if len(s) > 4000 || !strings.HasSuffix(s, "...") || strings.ContainsRune(s, '\uFFFD') {
		t.Errorf("one line of %d bytes: %q…", len(s), s[:80])
	}
}
