package llm

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/model"
	"github.com/ragline/ragline/internal/schema"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestRenderedPromptsGolden keeps the built-in prompts as the model sees
// them, in English and Chinese, in testdata; refresh with -update after a
// deliberate change.
func TestRenderedPromptsGolden(t *testing.T) {
	g, err := New(nil, Options{MaxChunkChars: 60})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ lang, question string }{
		{"en", "How many vacation days do new hires get?"},
		{"zh", "新员工有多少天年假？"},
	} {
		msgs, err := g.Messages(Input{Question: tc.question, Language: tc.lang, Hits: hits(),
			History: []schema.Message{{Role: "user", Content: "Hi"}, {Role: "assistant", Content: "Hello!"}, {Role: "tool", Content: "ignored"}}})
		if err != nil {
			t.Fatal(err)
		}
		got := transcript(msgs)
		file := filepath.Join("testdata", "prompt_"+tc.lang+".golden")
		if *update {
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s prompt changed (refresh with -update):\n%s", tc.lang, got)
		}
	}
}

func transcript(msgs []model.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString("--- " + m.Role + "\n" + m.Content + "\n")
	}
	return b.String()
}
