package eval

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// Names of the files WriteReports and WriteResults write.
const (
	ReportJSON    = "report.json"
	SummaryMD     = "summary.md"
	JUnitXML      = "junit.xml"
	ReportHTML    = "report.html"
	ResultPassed  = "passed"
	ResultSummary = "summary"
	ResultDigest  = "report-digest"
)

// MarshalReport encodes a report as indented JSON, the bytes of
// report.json.
func MarshalReport(r *Report) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ReadReport reads a report.json.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: not a ragline eval report: %v", path, err)
	}
	if r.Format != ReportVersion || r.Dataset.Name == "" {
		return nil, fmt.Errorf("%s: not a ragline eval report (format %d)", path, r.Format)
	}
	return &r, nil
}

// Digest returns "sha256:<hex>" of data.
func Digest(data []byte) string {
	s := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(s[:])
}

// WriteReports writes report.json, summary.md, junit.xml and report.html
// into dir (created if needed) and returns the report's digest.
func WriteReports(dir string, r *Report, defs []MetricDef) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	js, err := MarshalReport(r)
	if err != nil {
		return "", err
	}
	junit, err := JUnit(r)
	if err != nil {
		return "", err
	}
	html, err := HTML(r, defs)
	if err != nil {
		return "", err
	}
	files := []struct {
		name string
		data []byte
	}{{ReportJSON, js}, {SummaryMD, []byte(Markdown(r, defs))}, {JUnitXML, junit}, {ReportHTML, html}}
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			return "", err
		}
	}
	return Digest(js), nil
}

// WriteResults writes the Tekton-style result files into dir: passed
// ("true" or "false"), summary (one line, under 4 KB) and report-digest.
func WriteResults(dir string, r *Report, reportDigest string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	passed := r.Gate == nil || r.Gate.Passed
	for name, data := range map[string]string{
		ResultPassed:  fmt.Sprint(passed),
		ResultSummary: OneLine(r),
		ResultDigest:  reportDigest,
	} {
		if err := writeFileAtomic(filepath.Join(dir, name), []byte(data)); err != nil {
			return err
		}
	}
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// maxSummaryBytes bounds the one-line summary (Tekton results are small).
const maxSummaryBytes = 4000

// headline metrics shown in one-line summaries, when measured.
var headline = []string{"ndcg@10", "recall@5", "hit@5", "f1", "answer_contains", "citation_precision", "groundedness", "no_answer_rate", "latency_p95_ms"}

// OneLine summarises a run in one line under 4 KB: verdict, dataset,
// headline metrics and the failing checks.
func OneLine(r *Report) string {
	var b strings.Builder
	switch {
	case r.Gate == nil:
		b.WriteString("EVALUATED")
	case r.Gate.Passed:
		b.WriteString("PASSED")
	default:
		b.WriteString("FAILED")
	}
	fmt.Fprintf(&b, " %s (%d questions):", r.Dataset.Name, r.Dataset.Questions)
	for _, m := range headline {
		if v, ok := r.Metrics[m]; ok {
			fmt.Fprintf(&b, " %s=%s", m, fmtNum(v))
		}
	}
	if r.Gate != nil {
		if f := r.Gate.Failed(); len(f) > 0 {
			b.WriteString("; failing:")
			for _, c := range f {
				b.WriteString(" " + c.Message + ";")
			}
		}
	}
	s := strings.TrimSuffix(b.String(), ";")
	if len(s) > maxSummaryBytes {
		s = s[:maxSummaryBytes-3]
		for !utf8.ValidString(s) { // do not split a rune
			s = s[:len(s)-1]
		}
		s += "..."
	}
	return s
}

// metricOrder lists the report's metrics: those failing a gate check
// first, then those that regressed, then the rest in definition order.
func metricOrder(r *Report, defs []MetricDef) []string {
	rank := map[string]int{}
	if r.Gate != nil {
		for _, c := range r.Gate.Failed() {
			if c.Tag == "" {
				rank[c.Metric] = 2
			}
		}
	}
	if r.Comparison != nil {
		for name, c := range r.Comparison.Metrics {
			if c.Verdict == Regressed && rank[name] == 0 {
				rank[name] = 1
			}
		}
	}
	var names []string
	for _, d := range defs {
		if _, ok := r.Metrics[d.Name]; ok {
			names = append(names, d.Name)
		}
	}
	sort.SliceStable(names, func(i, j int) bool { return rank[names[i]] > rank[names[j]] })
	return names
}

// Markdown renders summary.md: a verdict line, the digests, the gate's
// checks (failing first) and the metric table (failing metrics first),
// ready for a pull-request comment or a CI step summary.
func Markdown(r *Report, defs []MetricDef) string {
	var b strings.Builder
	verdict := "evaluated (no gate)"
	if r.Gate != nil {
		verdict = "❌ gate failed"
		if r.Gate.Passed {
			verdict = "✅ gate passed"
		}
	}
	fmt.Fprintf(&b, "## ragline eval: %s\n\n", verdict)
	fmt.Fprintf(&b, "Dataset `%s` (%d questions, %s) · target %s · ragline %s  \n", r.Dataset.Name, r.Dataset.Questions, short(r.Dataset.Digest), r.Target, r.Version)
	fmt.Fprintf(&b, "Knowledge base `%s` · config `%s`\n\n", short(r.KBDigest), short(r.ConfigDigest))
	if r.Gate != nil {
		b.WriteString("| | gate check | result |\n|---|---|---|\n")
		for _, c := range r.Gate.Checks {
			mark := "✅"
			switch {
			case !c.Passed:
				mark = "❌"
			case c.Skipped:
				mark = "⏭️"
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s |\n", mark, c.Name, mdEscape(c.Message))
		}
		b.WriteString("\n")
	}
	if r.Comparison != nil {
		fmt.Fprintf(&b, "Compared with baseline ragline %s (knowledge base `%s`), paired bootstrap over questions, %d resamples, 95%% interval.\n\n",
			r.Comparison.BaselineVersion, short(r.Comparison.BaselineKBDigest), r.Settings.Resamples)
		b.WriteString("| metric | value | baseline | delta | 95% CI | verdict |\n|---|---:|---:|---:|---|---|\n")
	} else {
		b.WriteString("| metric | value |\n|---|---:|\n")
	}
	for _, name := range metricOrder(r, defs) {
		v := r.Metrics[name]
		if r.Comparison == nil {
			fmt.Fprintf(&b, "| %s | %s |\n", name, fmtNum(v))
			continue
		}
		c, ok := r.Comparison.Metrics[name]
		if !ok {
			fmt.Fprintf(&b, "| %s | %s | | | | |\n", name, fmtNum(v))
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %+.4g | [%+.4g, %+.4g] | %s |\n", name, fmtNum(v), fmtNum(c.Baseline), c.Delta, c.CILow, c.CIHigh, c.Verdict)
	}
	if len(r.Tags) > 0 {
		tags := sortedTags(r)
		b.WriteString("\n<details><summary>Per tag</summary>\n\n| tag | questions |")
		cols := tagColumns(r)
		for _, c := range cols {
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n|---|---:|" + strings.Repeat("---:|", len(cols)) + "\n")
		for _, t := range tags {
			tm := r.Tags[t]
			fmt.Fprintf(&b, "| %s | %d |", mdEscape(t), tm.Questions)
			for _, c := range cols {
				if v, ok := tm.Metrics[c]; ok {
					fmt.Fprintf(&b, " %s |", fmtNum(v))
				} else {
					b.WriteString(" |")
				}
			}
			b.WriteString("\n")
		}
		b.WriteString("\n</details>\n")
	}
	if f := r.Failing(); len(f) > 0 {
		fmt.Fprintf(&b, "\n%d question(s) failed: ", len(f))
		for i, q := range f {
			if i == 5 {
				b.WriteString("…")
				break
			}
			fmt.Fprintf(&b, "`%s` (%s) ", q.ID, mdEscape(q.Error))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func sortedTags(r *Report) []string {
	tags := make([]string, 0, len(r.Tags))
	for t := range r.Tags {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	return tags
}

// tagColumns picks the headline metrics measured for some tag.
func tagColumns(r *Report) []string {
	var cols []string
	for _, m := range headline {
		for _, tm := range r.Tags {
			if _, ok := tm.Metrics[m]; ok {
				cols = append(cols, m)
				break
			}
		}
	}
	return cols
}

func short(d string) string {
	if len(d) > 19 {
		return d[:19] + "…"
	}
	return d
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}

// junit types: the schema GitLab and Jenkins import.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string          `xml:"name,attr"`
	Tests     int             `xml:"tests,attr"`
	Failures  int             `xml:"failures,attr"`
	Errors    int             `xml:"errors,attr"`
	Skipped   int             `xml:"skipped,attr"`
	Time      string          `xml:"time,attr"`
	Timestamp string          `xml:"timestamp,attr,omitempty"`
	Props     []junitProperty `xml:"properties>property,omitempty"`
	Cases     []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// JUnit renders junit.xml: one test case per gate check (or a single
// "evaluation completed" case without a gate), failures carrying the
// numbers.
func JUnit(r *Report) ([]byte, error) {
	suite := junitSuite{
		Name:      "ragline eval " + r.Dataset.Name,
		Time:      fmt.Sprintf("%.3f", r.Timing.DurationSeconds),
		Timestamp: r.Timing.Started,
		Props: []junitProperty{
			{"dataset_digest", r.Dataset.Digest}, {"kb_digest", r.KBDigest},
			{"config_digest", r.ConfigDigest}, {"ragline_version", r.Version}, {"target", r.Target},
		},
	}
	if r.Gate == nil {
		c := junitCase{Classname: "ragline.eval", Name: "evaluation completed", Time: suite.Time, SystemOut: OneLine(r)}
		if f := r.Failing(); len(f) > 0 {
			c.Failure = &junitFailure{Message: fmt.Sprintf("%d questions failed", len(f)), Type: "error", Text: f[0].ID + ": " + f[0].Error}
		}
		suite.Cases = append(suite.Cases, c)
	} else {
		for _, gc := range r.Gate.Checks {
			c := junitCase{Classname: "ragline.eval.gate", Name: gc.Name, Time: "0", SystemOut: gc.Message}
			switch {
			case !gc.Passed:
				c.Failure = &junitFailure{Message: gc.Message, Type: gc.Kind, Text: gc.Message}
			case gc.Skipped:
				c.Skipped = &junitSkipped{Message: gc.Message}
			}
			suite.Cases = append(suite.Cases, c)
		}
	}
	suite.Tests = len(suite.Cases)
	for _, c := range suite.Cases {
		if c.Failure != nil {
			suite.Failures++
		}
		if c.Skipped != nil {
			suite.Skipped++
		}
	}
	doc := junitSuites{Name: "ragline eval", Tests: suite.Tests, Failures: suite.Failures, Skipped: suite.Skipped, Suites: []junitSuite{suite}}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	buf.WriteString("\n")
	return buf.Bytes(), nil
}
