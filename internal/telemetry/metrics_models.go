package telemetry

import "github.com/prometheus/client_golang/prometheus"

// modelComponents are the documented components of
// ragline_model_fallbacks_total.
var modelComponents = []string{"generate", "rerank", "rewrite", "expand", "vector"}

func newModelFallbacks() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ragline_model_fallbacks_total",
		Help: "Model calls that failed and were worked around (extractive answer, fused order, original question, lexical list), by component.",
	}, []string{"component"})
}

// ModelFallback counts one model failure that a question survived.
// Components are generate, rerank, rewrite, expand and vector; any other
// value is counted as "other".
func (m *Metrics) ModelFallback(component string) {
	m.fallbacks.WithLabelValues(known(modelComponents, component)).Inc()
}
