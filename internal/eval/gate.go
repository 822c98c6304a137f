package eval

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Gate is a quality gate: bounds and maximum regressions per metric,
// overall and per tag.
type Gate struct {
	File  string
	Rules []GateRule
}

// GateRule bounds one metric. Nil bounds are not checked.
type GateRule struct {
	// Tag limits the rule to the questions with this tag ("" for all).
	Tag    string
	Metric string
	// Min and Max bound the candidate's value.
	Min, Max *float64
	// MaxRegression fails the gate only when the comparison with the
	// baseline is significantly worse by more than this much: the 95%
	// interval's upper bound of the delta lies below −MaxRegression (for a
	// lower-is-better metric, its lower bound above +MaxRegression).
	MaxRegression *float64
	Line, Column  int
}

// GateCheck is the outcome of one bound of one rule.
type GateCheck struct {
	Name   string `json:"name"`
	Tag    string `json:"tag,omitempty"`
	Metric string `json:"metric"`
	// Kind is "min", "max" or "max_regression".
	Kind      string  `json:"kind"`
	Threshold float64 `json:"threshold"`
	// Value is the candidate's value (min, max) or the delta
	// (max_regression); nil when the metric was not measured.
	Value   *float64 `json:"value"`
	CILow   *float64 `json:"ci_low,omitempty"`
	CIHigh  *float64 `json:"ci_high,omitempty"`
	Passed  bool     `json:"passed"`
	Skipped bool     `json:"skipped,omitempty"`
	Message string   `json:"message"`
}

// GateResult is the verdict of a gate on a run.
type GateResult struct {
	File   string      `json:"file"`
	Passed bool        `json:"passed"`
	Checks []GateCheck `json:"checks"`
}

// Failed returns the failing checks.
func (g *GateResult) Failed() []GateCheck {
	var out []GateCheck
	for _, c := range g.Checks {
		if !c.Passed {
			out = append(out, c)
		}
	}
	return out
}

// LoadGate reads a gate file. Every problem — unknown keys or metrics,
// non-numeric bounds, min above max — is reported at once as
// "file:line:col: field: message".
func LoadGate(path string, defs []MetricDef) (*Gate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read gate: %w", err)
	}
	return ParseGate(path, data, defs)
}

// ParseGate parses gate YAML:
//
//	metrics:
//	  ndcg@10: {min: 0.6, max_regression: 0.02}
//	  latency_p95_ms: {max: 50}
//	tags:
//	  zh:
//	    f1: {min: 0.3}
func ParseGate(path string, data []byte, defs []MetricDef) (*Gate, error) {
	known := make(map[string]bool, len(defs))
	for _, d := range defs {
		known[d.Name] = true
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid YAML: %v", path, err)
	}
	g := &Gate{File: path}
	var errs []string
	fail := func(n ast.Node, field, format string, args ...any) {
		pos := ""
		if n != nil && n.GetToken() != nil {
			p := n.GetToken().Position
			pos = fmt.Sprintf(":%d:%d", p.Line, p.Column)
		}
		errs = append(errs, fmt.Sprintf("%s%s: %s: %s", path, pos, field, fmt.Sprintf(format, args...)))
	}
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		return nil, fmt.Errorf("%s: the gate is empty (want a metrics: mapping)", path)
	}
	top, ok := mappingPairs(file.Docs[0].Body)
	if !ok {
		return nil, fmt.Errorf("%s: want a mapping with the keys metrics and tags", path)
	}
	rules := func(node ast.Node, tag, prefix string) {
		pairs, ok := mappingPairs(node)
		if !ok {
			fail(node, prefix, "want a mapping of metric names to bounds")
			return
		}
		for _, p := range pairs {
			name := p.Key.String()
			field := prefix + "." + name
			if !known[name] {
				fail(p.Key, field, "unknown metric (known: %s)", knownList(defs))
				continue
			}
			pos := p.Key.GetToken().Position
			r := GateRule{Tag: tag, Metric: name, Line: pos.Line, Column: pos.Column}
			bounds, ok := mappingPairs(p.Value)
			if !ok {
				fail(p.Value, field, "want a mapping with min, max or max_regression")
				continue
			}
			for _, b := range bounds {
				key := b.Key.String()
				v, err := strconv.ParseFloat(strings.TrimSpace(b.Value.String()), 64)
				if err != nil {
					fail(b.Value, field+"."+key, "want a number, got %q", b.Value.String())
					continue
				}
				switch key {
				case "min":
					r.Min = &v
				case "max":
					r.Max = &v
				case "max_regression":
					if v < 0 {
						fail(b.Value, field+"."+key, "must be ≥ 0")
						continue
					}
					r.MaxRegression = &v
				default:
					fail(b.Key, field+"."+key, "unknown bound (want min, max or max_regression)")
				}
			}
			if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
				fail(p.Key, field, "min %g is above max %g", *r.Min, *r.Max)
			}
			if len(bounds) == 0 {
				fail(p.Key, field, "no bound given (want min, max or max_regression)")
			}
			g.Rules = append(g.Rules, r)
		}
	}
	for _, p := range top {
		switch key := p.Key.String(); key {
		case "metrics":
			rules(p.Value, "", "metrics")
		case "tags":
			tags, ok := mappingPairs(p.Value)
			if !ok {
				fail(p.Value, "tags", "want a mapping of tag names to metrics")
				continue
			}
			for _, t := range tags {
				rules(t.Value, t.Key.String(), "tags."+t.Key.String())
			}
		default:
			fail(p.Key, key, "unknown key (want metrics or tags)")
		}
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	if len(g.Rules) == 0 {
		return nil, fmt.Errorf("%s: the gate has no rules", path)
	}
	return g, nil
}

func mappingPairs(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	case *ast.TagNode:
		return mappingPairs(m.Value)
	}
	return nil, false
}

func knownList(defs []MetricDef) string {
	names := make([]string, len(defs))
	for i, d := range defs {
		names[i] = d.Name
	}
	return strings.Join(names, ", ")
}

// Evaluate checks the gate against a run. cmp holds the comparisons with
// the baseline (overall under "", per tag under the tag), nil without a
// baseline: then max_regression checks are skipped (and pass).
func (g *Gate) Evaluate(rep *Report, cmp map[string]map[string]Comparison, defs []MetricDef) GateResult {
	lower := map[string]bool{}
	for _, d := range defs {
		lower[d.Name] = d.LowerIsBetter
	}
	res := GateResult{File: g.File, Passed: true}
	for _, r := range g.Rules {
		metrics := rep.Metrics
		scope := r.Metric
		if r.Tag != "" {
			metrics = rep.Tags[r.Tag].Metrics
			scope = "tag " + r.Tag + ": " + r.Metric
		}
		val, measured := metrics[r.Metric]
		bound := func(kind string, th float64, ok func(v float64) bool, rel string) {
			c := GateCheck{Name: fmt.Sprintf("%s %s %g", scope, kind, th), Tag: r.Tag, Metric: r.Metric, Kind: kind, Threshold: th}
			if !measured {
				c.Message = fmt.Sprintf("%s was not measured on this dataset (no question it applies to)", scope)
			} else {
				v := val
				c.Value = &v
				c.Passed = ok(v)
				if c.Passed {
					c.Message = fmt.Sprintf("%s = %s %s %s", scope, fmtNum(v), rel, fmtNum(th))
				} else {
					c.Message = fmt.Sprintf("%s = %s, want %s %s", scope, fmtNum(v), rel, fmtNum(th))
				}
			}
			res.Checks = append(res.Checks, c)
		}
		if r.Min != nil {
			bound("min", *r.Min, func(v float64) bool { return v >= *r.Min }, "≥")
		}
		if r.Max != nil {
			bound("max", *r.Max, func(v float64) bool { return v <= *r.Max }, "≤")
		}
		if r.MaxRegression != nil {
			th := *r.MaxRegression
			c := GateCheck{Name: fmt.Sprintf("%s max_regression %g", scope, th), Tag: r.Tag, Metric: r.Metric, Kind: "max_regression", Threshold: th}
			cm, ok := cmp[r.Tag][r.Metric]
			switch {
			case cmp == nil:
				c.Passed, c.Skipped = true, true
				c.Message = scope + ": no baseline to compare with (skipped)"
			case !ok:
				c.Message = scope + ": not measured in both the baseline and this run"
			default:
				d, lo, hi := cm.Delta, cm.CILow, cm.CIHigh
				c.Value, c.CILow, c.CIHigh = &d, &lo, &hi
				if lower[r.Metric] {
					c.Passed = lo <= th
				} else {
					c.Passed = hi >= -th
				}
				c.Message = fmt.Sprintf("%s %s → %s, delta %+.4g (95%% CI [%+.4g, %+.4g]), %s; allowed regression %g",
					scope, fmtNum(cm.Baseline), fmtNum(cm.Candidate), d, lo, hi, cm.Verdict, th)
			}
			res.Checks = append(res.Checks, c)
		}
	}
	for _, c := range res.Checks {
		if !c.Passed {
			res.Passed = false
		}
	}
	// Failing checks first, each group in file order.
	sort.SliceStable(res.Checks, func(i, j int) bool { return !res.Checks[i].Passed && res.Checks[j].Passed })
	return res
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
