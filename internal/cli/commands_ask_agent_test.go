package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/schema"
)

// TestAskRoutesOffline runs `ragline ask` with the example agent
// configuration: the rules alone send arithmetic to the calculator, the
// time to the clock, a confidential topic to a refusal and the rest to
// retrieval.
func TestAskRoutesOffline(t *testing.T) {
	data := t.TempDir()
	if code, _, stderr := run(t, "ingest", "--data", data, "../../examples/quickstart/docs"); code != 0 {
		t.Fatalf("ingest: %d %s", code, stderr)
	}
	for _, c := range []struct{ question, tool, answer string }{
		{"what is 17*23+4", "calculator", "395"},
		{"现在几点", "current_time", "Asia/Shanghai"},
		{"What is the CEO's salary?", "", "can't help"},
		{"How many weeks of paid parental leave does a primary caregiver get?", "", "[1]"},
	} {
		t.Run(c.question, func(t *testing.T) {
			code, stdout, stderr := run(t, "ask", "--config", "../../examples/agent/ragline.yaml", "--data", data, "--json", c.question)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var resp schema.Response
			if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(resp.Answer, c.answer) {
				t.Errorf("answer %q lacks %q", resp.Answer, c.answer)
			}
			var named string
			for _, st := range resp.Trace {
				if st.Step == "tool" {
					named, _ = st.Detail["tool"].(string)
				}
			}
			if named != c.tool {
				t.Errorf("trace names tool %q, want %q", named, c.tool)
			}
		})
	}
}
