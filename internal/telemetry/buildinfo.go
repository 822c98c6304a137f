package telemetry

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// buildInfo exports ragline_build_info as a collector rather than a
// GaugeVec so that replacing the digest is atomic: a scrape sees either
// the old series or the new one, never both and never neither.
type buildInfo struct {
	desc *prometheus.Desc

	mu      sync.RWMutex
	set     bool
	version string
	digest  string
}

func newBuildInfo() *buildInfo {
	return &buildInfo{desc: prometheus.NewDesc(
		"ragline_build_info",
		"Always 1; labels name the running build and the digest of the knowledge base it serves.",
		[]string{"version", "digest"}, nil,
	)}
}

// Describe implements prometheus.Collector.
func (b *buildInfo) Describe(ch chan<- *prometheus.Desc) { ch <- b.desc }

// Collect implements prometheus.Collector.
func (b *buildInfo) Collect(ch chan<- prometheus.Metric) {
	b.mu.RLock()
	set, version, digest := b.set, b.version, b.digest
	b.mu.RUnlock()
	if set {
		ch <- prometheus.MustNewConstMetric(b.desc, prometheus.GaugeValue, 1, version, digest)
	}
}

// SetBuildInfo sets ragline_build_info{version,digest} to 1, replacing
// the series of any earlier call, so that a knowledge base swapped at run
// time shows up as one series that changes labels. Until the first call
// the metric has no series.
func (m *Metrics) SetBuildInfo(version, digest string) {
	b := m.build
	b.mu.Lock()
	defer b.mu.Unlock()
	b.set, b.version, b.digest = true, labelValue(version), labelValue(digest)
}
