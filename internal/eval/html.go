package eval

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"sort"
	"strings"
)

// HTML renders report.html: one self-contained page (no scripts, no
// external resources) with the verdict, the gate's checks, the metric
// deltas and their intervals, a latency histogram, per-tag bars and every
// question's record. Charts are inline SVG.
func HTML(r *Report, defs []MetricDef) ([]byte, error) {
	data := htmlData{R: r, Summary: OneLine(r)}
	for _, name := range metricOrder(r, defs) {
		row := htmlMetric{Name: name, Value: fmtNum(r.Metrics[name])}
		if r.Comparison != nil {
			if c, ok := r.Comparison.Metrics[name]; ok {
				row.Baseline, row.Delta = fmtNum(c.Baseline), fmt.Sprintf("%+.4g", c.Delta)
				row.CI, row.Verdict = fmt.Sprintf("[%+.4g, %+.4g]", c.CILow, c.CIHigh), c.Verdict
			}
		}
		data.Metrics = append(data.Metrics, row)
	}
	if r.Comparison != nil {
		data.DeltaChart = deltaChart(r, defs)
	}
	data.LatencyChart = latencyChart(r)
	data.TagChart = tagChart(r)
	for _, q := range r.Questions {
		hq := htmlQuestion{ID: q.ID, Question: q.Question, Answer: q.Answer, Error: q.Error,
			Latency: fmt.Sprintf("%.1f", q.LatencyMS), Tags: strings.Join(q.Tags, ", "),
			Expected: strings.Join(q.Expected, " | "), Failed: Failed(q)}
		if q.ExpectNoAnswer {
			hq.Expected = "no answer"
		}
		if hq.Failed {
			data.Failed++
		}
		for _, m := range []string{"hit@5", "ndcg@10", "f1", "answer_contains", "citation_precision", "groundedness"} {
			if v, ok := q.Metrics[m]; ok {
				hq.Scores = append(hq.Scores, fmt.Sprintf("%s %s", m, fmtNum(roundMetric(v))))
			}
		}
		data.Questions = append(data.Questions, hq)
	}
	// Failed questions first, each group in dataset order.
	sort.SliceStable(data.Questions, func(i, j int) bool { return data.Questions[i].Failed && !data.Questions[j].Failed })
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Failed reports whether a question went wrong: the system failed on it,
// its answer lacks every reference answer, it was answered although the
// corpus does not answer it, or retrieval missed every relevant document
// in the top 5.
func Failed(q Record) bool {
	if q.Error != "" {
		return true
	}
	if v, ok := q.Metrics["answer_contains"]; ok && v == 0 {
		return true
	}
	if q.ExpectNoAnswer && !q.NoAnswer {
		return true
	}
	if v, ok := q.Metrics["hit@5"]; ok && v == 0 {
		return true
	}
	return false
}

type htmlData struct {
	R                                  *Report
	Summary                            string
	Metrics                            []htmlMetric
	Questions                          []htmlQuestion
	Failed                             int
	DeltaChart, LatencyChart, TagChart template.HTML
}

type htmlMetric struct{ Name, Value, Baseline, Delta, CI, Verdict string }

type htmlQuestion struct {
	ID, Question, Answer, Error, Latency, Tags string
	// Expected are the reference answers ("no answer" for a question the
	// corpus does not answer).
	Expected string
	Failed   bool
	Scores   []string
}

// esc escapes text for SVG (which is XML inside HTML).
func esc(s string) string { return template.HTMLEscapeString(s) }

// deltaChart draws each share metric's delta as a dot with its 95%
// interval as a bar, on one symmetric scale around zero.
func deltaChart(r *Report, defs []MetricDef) template.HTML {
	type row struct {
		name          string
		d, lo, hi     float64
		verdict       string
		lowerIsBetter bool
	}
	var rows []row
	span := 0.0
	for _, d := range defs {
		c, ok := r.Comparison.Metrics[d.Name]
		if !ok || d.Timing || d.Name == "tokens_total" {
			continue
		}
		rows = append(rows, row{d.Name, c.Delta, c.CILow, c.CIHigh, c.Verdict, d.LowerIsBetter})
		span = math.Max(span, math.Max(math.Abs(c.CILow), math.Abs(c.CIHigh)))
	}
	if len(rows) == 0 {
		return ""
	}
	if span == 0 {
		span = 0.01
	}
	const left, width, rowH = 170, 420, 22
	h := len(rows)*rowH + 40
	x := func(v float64) float64 { return left + width/2 + v/span*width/2 }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="metric deltas with 95%% intervals" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, left+width+120, h, left+width+120, h)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="10" x2="%.1f" y2="%d" stroke="#888" stroke-dasharray="3,3"/>`, x(0), x(0), h-25)
	for i, rw := range rows {
		y := 20 + i*rowH
		color := "#777"
		switch rw.verdict {
		case Improved:
			color = "#1a7f37"
		case Regressed:
			color = "#cf222e"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="12">%s</text>`, left-8, y+4, esc(rw.name))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="3"/>`, x(rw.lo), y, x(rw.hi), y, color)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%d" r="4" fill="%s"><title>%s: delta %+.4g, 95%% CI [%+.4g, %+.4g], %s</title></circle>`,
			x(rw.d), y, color, esc(rw.name), rw.d, rw.lo, rw.hi, esc(rw.verdict))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="%s">%+.3g</text>`, left+width+8, y+4, color, rw.d)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11">−%.3g</text><text x="%.1f" y="%d" font-size="11" text-anchor="middle">0</text><text x="%d" y="%d" font-size="11" text-anchor="end">+%.3g</text>`,
		left, h-8, span, x(0), h-8, left+width, h-8, span)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// latencyChart is a histogram of the questions' answer latencies.
func latencyChart(r *Report) template.HTML {
	var lat []float64
	for _, q := range r.Questions {
		if _, ok := q.Metrics["latency_ms"]; ok {
			lat = append(lat, q.LatencyMS)
		}
	}
	if len(lat) == 0 {
		return ""
	}
	lo, hi := lat[0], lat[0]
	for _, v := range lat {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	const bins, w, hgt = 20, 600, 160
	if hi == lo {
		hi = lo + 1
	}
	counts := make([]int, bins)
	peak := 0
	for _, v := range lat {
		i := min(int((v-lo)/(hi-lo)*bins), bins-1)
		counts[i]++
		peak = max(peak, counts[i])
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="latency histogram" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, w+20, hgt+40, w+20, hgt+40)
	bw := float64(w) / bins
	for i, c := range counts {
		bh := float64(c) / float64(peak) * hgt
		from := lo + (hi-lo)*float64(i)/bins
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#3b82f6"><title>%.1f–%.1f ms: %d</title></rect>`,
			10+float64(i)*bw, 10+hgt-bh, bw-1, bh, from, from+(hi-lo)/bins, c)
	}
	fmt.Fprintf(&b, `<text x="10" y="%d" font-size="11">%.1f ms</text><text x="%d" y="%d" font-size="11" text-anchor="end">%.1f ms</text>`, hgt+28, lo, w+10, hgt+28, hi)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// tagChart draws per-tag bars of the headline share metrics.
func tagChart(r *Report) template.HTML {
	if len(r.Tags) == 0 {
		return ""
	}
	var cols []string
	for _, c := range tagColumns(r) {
		if c != "latency_p95_ms" {
			cols = append(cols, c)
		}
	}
	if len(cols) > 4 {
		cols = cols[:4]
	}
	tags := sortedTags(r)
	palette := []string{"#3b82f6", "#10b981", "#f59e0b", "#8b5cf6"}
	const left, barW, groupGap, hgt = 40, 14, 18, 150
	groupW := len(cols)*barW + groupGap
	w := left + len(tags)*groupW + 20
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="metrics per tag" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, w, hgt+70, w, hgt+70)
	fmt.Fprintf(&b, `<line x1="%d" y1="10" x2="%d" y2="%d" stroke="#888"/><text x="%d" y="14" font-size="10" text-anchor="end">1</text><text x="%d" y="%d" font-size="10" text-anchor="end">0</text>`, left, left, hgt+10, left-4, left-4, hgt+10)
	for ti, t := range tags {
		x0 := left + 6 + ti*groupW
		for ci, c := range cols {
			v, ok := r.Tags[t].Metrics[c]
			if !ok {
				continue
			}
			bh := math.Max(0, math.Min(1, v)) * hgt
			fmt.Fprintf(&b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s %s = %s</title></rect>`,
				x0+ci*barW, 10+hgt-bh, barW-2, bh, palette[ci%len(palette)], esc(t), esc(c), fmtNum(v))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11">%s</text>`, x0, hgt+26, esc(t))
	}
	for ci, c := range cols {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" font-size="11">%s</text>`,
			left+ci*130, hgt+44, palette[ci%len(palette)], left+ci*130+14, hgt+53, esc(c))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ragline eval — {{.R.Dataset.Name}}</title>
<link rel="icon" href="data:,">
<style>
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --muted: #6b7280; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC", sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #8884; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: var(--ok); } .fail { color: var(--bad); } .muted { color: var(--muted); }
.verdict-regressed { color: var(--bad); } .verdict-improved { color: var(--ok); }
code { font-size: 12px; } .chart { max-width: 100%; height: auto; } .chart text { fill: currentColor; }
details { margin: .2rem 0; }
tr.failed td:first-child { border-left: 3px solid var(--bad); }
#questions.only-failed tr.passed { display: none; }
</style>
</head>
<body>
<h1 id="verdict">ragline eval: {{if .R.Gate}}{{if .R.Gate.Passed}}<span class="pass">gate passed</span>{{else}}<span class="fail">gate failed</span>{{end}}{{else}}evaluated (no gate){{end}}</h1>
<p>{{.Summary}}</p>
<table>
<tr><th>dataset</th><td>{{.R.Dataset.Name}} — {{.R.Dataset.Questions}} questions — <code>{{.R.Dataset.Digest}}</code></td></tr>
<tr><th>knowledge base</th><td><code>{{.R.KBDigest}}</code></td></tr>
<tr><th>config</th><td><code>{{.R.ConfigDigest}}</code></td></tr>
<tr><th>target</th><td>{{.R.Target}} · ragline {{.R.Version}}</td></tr>
<tr><th>run</th><td>{{.R.Timing.Started}} · {{printf "%.1f" .R.Timing.DurationSeconds}} s · seed {{.R.Settings.Seed}} · {{.R.Settings.Resamples}} resamples</td></tr>
</table>
{{if .R.Gate}}
<h2>Gate</h2>
<table id="gate">
<tr><th></th><th>check</th><th>result</th></tr>
{{range .R.Gate.Checks}}<tr class="{{if .Passed}}pass{{else}}fail{{end}}"><td>{{if not .Passed}}✗{{else if .Skipped}}–{{else}}✓{{end}}</td><td><code>{{.Name}}</code></td><td>{{.Message}}</td></tr>
{{end}}</table>
{{end}}
<h2>Metrics</h2>
{{if .DeltaChart}}<figure>{{.DeltaChart}}<figcaption class="muted">Delta against the baseline with its 95% paired bootstrap interval (red: significantly worse, green: significantly better).</figcaption></figure>{{end}}
<table id="metrics">
<tr><th>metric</th><th class="num">value</th>{{if .R.Comparison}}<th class="num">baseline</th><th class="num">delta</th><th>95% CI</th><th>verdict</th>{{end}}</tr>
{{range .Metrics}}<tr><td>{{.Name}}</td><td class="num">{{.Value}}</td>{{if $.R.Comparison}}<td class="num">{{.Baseline}}</td><td class="num">{{.Delta}}</td><td>{{.CI}}</td><td class="verdict-{{.Verdict}}">{{.Verdict}}</td>{{end}}</tr>
{{end}}</table>
{{if .LatencyChart}}<h2>Latency</h2><figure>{{.LatencyChart}}<figcaption class="muted">Answer latency per question.</figcaption></figure>{{end}}
{{if .TagChart}}<h2>Per tag</h2><figure>{{.TagChart}}</figure>{{end}}
<h2>Questions</h2>
<p><label><input type="checkbox" id="failed-only" onchange="document.getElementById('questions').classList.toggle('only-failed', this.checked)"> show only failed questions</label> <span class="muted" id="failed-count">{{.Failed}} of {{len .Questions}} failed, listed first</span></p>
<table id="questions">
<tr><th>id</th><th>question and answer</th><th>expected</th><th class="num">ms</th><th>scores</th></tr>
{{range .Questions}}<tr{{if .Failed}} class="failed"{{else}} class="passed"{{end}}><td>{{if .Failed}}<span class="fail" title="failed">✗</span> {{end}}<code>{{.ID}}</code><div class="muted">{{.Tags}}</div></td><td><details{{if .Failed}} open{{end}}><summary>{{.Question}}</summary>{{.Answer}}</details>{{if .Error}}<div class="fail">{{.Error}}</div>{{end}}</td><td class="expected">{{.Expected}}</td><td class="num">{{.Latency}}</td><td>{{range .Scores}}<div>{{.}}</div>{{end}}</td></tr>
{{end}}</table>
</body>
</html>
`))
