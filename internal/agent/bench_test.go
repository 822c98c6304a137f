package agent

import (
	"context"
	"testing"

	"github.com/ragline/ragline/internal/config"
)

// BenchmarkRun measures the agent's own overhead (perceive, decide) on a
// rule routed to the calculator, and a question answered by retrieval
// with the example's rules in front.
func BenchmarkRun(b *testing.B) {
	cfg, err := config.Load("../../examples/agent/ragline.yaml")
	if err != nil {
		b.Fatal(err)
	}
	a, _, _ := newAgent(b, cfg, nil)
	for _, q := range []struct{ name, question string }{
		{"calculator", "what is 17*23+4"},
		{"refusal", "What is the CEO's salary?"},
		{"retrieval", "Is parking free for employees?"},
	} {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Run(context.Background(), Request{Question: q.question}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
