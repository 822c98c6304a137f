package kube

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// TargetLabels are the labels Prometheus (through the ServiceMonitor) adds
// to every scraped series; ragline itself does not expose them.
var TargetLabels = []string{"namespace", "pod", "service", "job", "instance", "endpoint", "container",
	"rollouts_pod_template_hash", "app_kubernetes_io_version"}

// grafanaVars replaces Grafana's template variables with values PromQL accepts.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h", "$namespace", "ragline-prod")

// literalAlternation is a regex matcher value without metacharacters other
// than "|": a list of exact values (route patterns keep their {name} parts).
var literalAlternation = regexp.MustCompile(`^[^.*+?()\[\]^$\\|]+(\|[^.*+?()\[\]^$\\|]+)*$`)

// QueryProblems parses a PromQL expression with Prometheus's own parser and
// checks every vector selector against the metric families a live `ragline
// serve` exposes: the metric exists (as a family, or as a histogram's
// _bucket/_sum/_count), every matched label is one of its labels or a
// target label, and every value matched by `=` (or each alternative of a
// literal `=~` alternation) is a value ragline exposes for that label.
// `up` is Prometheus's own and may match target labels only.
func QueryProblems(where, query string, families map[string]*dto.MetricFamily) []string {
	q := grafanaVars.Replace(query)
	expr, err := parser.ParseExpr(q)
	if err != nil {
		return []string{fmt.Sprintf("%s: PromQL: %v", where, err)}
	}
	values := exposedValues(families)
	var bad []string
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		var metricLabels map[string]bool
		if name == "up" {
			metricLabels = map[string]bool{}
		} else {
			f := familyOf(name, families)
			if f == nil {
				bad = append(bad, fmt.Sprintf("%s: metric %s is not exposed by ragline serve", where, name))
				return nil
			}
			metricLabels = map[string]bool{}
			for _, m := range f.GetMetric() {
				for _, lp := range m.GetLabel() {
					metricLabels[lp.GetName()] = true
				}
			}
			if strings.HasSuffix(name, "_bucket") {
				metricLabels["le"] = true
			}
		}
		for _, m := range vs.LabelMatchers {
			if m.Name == labels.MetricName || slices.Contains(TargetLabels, m.Name) {
				continue
			}
			if !metricLabels[m.Name] {
				bad = append(bad, fmt.Sprintf("%s: %s has no label %q", where, name, m.Name))
				continue
			}
			var want []string
			switch {
			case m.Type == labels.MatchEqual:
				want = []string{m.Value}
			case m.Type == labels.MatchRegexp && literalAlternation.MatchString(m.Value):
				want = strings.Split(m.Value, "|")
			}
			for _, v := range want {
				if !values[m.Name][v] {
					bad = append(bad, fmt.Sprintf("%s: %s{%s=%q}: ragline never exposes %s=%q (it exposes %v)", where, name, m.Name, m.Value, m.Name, v, sortedKeys(values[m.Name])))
				}
			}
		}
		return nil
	})
	return bad
}

func familyOf(name string, families map[string]*dto.MetricFamily) *dto.MetricFamily {
	if f := families[name]; f != nil {
		return f
	}
	for _, s := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, s); ok {
			if f := families[base]; f != nil && (f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY) {
				return f
			}
		}
	}
	return nil
}

// exposedValues is, per label name, every value any ragline series carries.
func exposedValues(families map[string]*dto.MetricFamily) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if out[lp.GetName()] == nil {
					out[lp.GetName()] = map[string]bool{}
				}
				out[lp.GetName()][lp.GetValue()] = true
			}
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
