package eval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
)

// ReportVersion is the version of the report.json layout.
const ReportVersion = 1

// Report is everything one evaluation run produced: what was evaluated
// (digests), the metrics overall and per tag, every question's record,
// and, when asked for, the comparison with a baseline and the gate's
// verdict. It is written as report.json.
type Report struct {
	Format  int    `json:"format"`
	Version string `json:"ragline_version"`
	// Target is "in-process" or the URL of the server evaluated.
	Target       string      `json:"target"`
	Dataset      DatasetInfo `json:"dataset"`
	KBDigest     string      `json:"kb_digest"`
	ConfigDigest string      `json:"config_digest"`
	Collection   string      `json:"collection,omitempty"`
	// Judge names the judge model (models.judge), when one scored answers.
	Judge    string   `json:"judge,omitempty"`
	Settings Settings `json:"settings"`
	// Metrics are the aggregate values, under their stable names.
	Metrics map[string]float64 `json:"metrics"`
	// Directions lists the metrics where lower is better.
	LowerIsBetter []string              `json:"lower_is_better"`
	Tags          map[string]TagMetrics `json:"tags,omitempty"`
	Questions     []Record              `json:"questions"`
	Comparison    *ComparisonSection    `json:"comparison,omitempty"`
	Gate          *GateResult           `json:"gate,omitempty"`
	// Timing holds the run's clock times (differ between runs).
	Timing Timing `json:"timing"`
}

// DatasetInfo identifies the questions and judgements evaluated.
type DatasetInfo struct {
	Spec string `json:"spec"`
	Name string `json:"name"`
	// Digest covers every question's id, text, tags, answers, passages
	// and judgements (not the corpus: that is the knowledge-base digest).
	Digest    string `json:"digest"`
	Questions int    `json:"questions"`
}

// Settings are the run's parameters that shape its numbers.
type Settings struct {
	Ks          []int  `json:"ks"`
	Depth       int    `json:"depth"`
	Concurrency int    `json:"concurrency"`
	Resamples   int    `json:"resamples"`
	Seed        uint64 `json:"seed"`
}

// TagMetrics are the metrics of the questions carrying one tag.
type TagMetrics struct {
	Questions int                `json:"questions"`
	Metrics   map[string]float64 `json:"metrics"`
}

// ComparisonSection is the comparison with a baseline report.
type ComparisonSection struct {
	BaselineVersion  string                `json:"baseline_version"`
	BaselineKBDigest string                `json:"baseline_kb_digest"`
	BaselineConfig   string                `json:"baseline_config_digest"`
	Metrics          map[string]Comparison `json:"metrics"`
}

// Timing records when the run happened and how long it took.
type Timing struct {
	Started         string  `json:"started"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// DatasetDigest hashes the questions and judgements of ds.
func DatasetDigest(ds *Dataset) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, q := range ds.Queries {
		ids := make([]string, 0, len(q.Relevant))
		for id := range q.Relevant {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		rel := make([][2]any, len(ids))
		for i, id := range ids {
			rel[i] = [2]any{id, q.Relevant[id]}
		}
		_ = enc.Encode([]any{q.ID, q.Text, q.Tags, q.Answers, q.Passages, rel})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Summarize fills a report's aggregate metrics, per-tag metrics and
// direction list from its records.
func (r *Report) Summarize(defs []MetricDef) {
	r.Metrics = Aggregate(defs, r.Questions)
	r.LowerIsBetter = r.LowerIsBetter[:0]
	for _, d := range defs {
		if d.LowerIsBetter {
			r.LowerIsBetter = append(r.LowerIsBetter, d.Name)
		}
	}
	byTag := map[string][]Record{}
	for _, q := range r.Questions {
		for _, t := range q.Tags {
			byTag[t] = append(byTag[t], q)
		}
	}
	if len(byTag) == 0 {
		r.Tags = nil
		return
	}
	r.Tags = make(map[string]TagMetrics, len(byTag))
	for t, recs := range byTag {
		r.Tags[t] = TagMetrics{Questions: len(recs), Metrics: Aggregate(defs, recs)}
	}
}

// Failing returns the records the system failed on.
func (r *Report) Failing() []Record {
	var out []Record
	for _, q := range r.Questions {
		if q.Error != "" {
			out = append(out, q)
		}
	}
	return out
}

// OnlyTag returns a copy of r restricted to the questions carrying tag,
// with its metrics recomputed, for comparing one tag's questions.
func OnlyTag(r *Report, tag string, defs []MetricDef) *Report {
	c := *r
	c.Questions = nil
	for _, q := range r.Questions {
		for _, t := range q.Tags {
			if t == tag {
				c.Questions = append(c.Questions, q)
				break
			}
		}
	}
	c.LowerIsBetter = nil
	c.Summarize(defs)
	return &c
}
