package kb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/schema"
)

const officesEN = `# Offices

## Munich

The Munich office opens at 8:00 on weekdays.
The Munich office phone number is 089-1234-5678.
Parking at the Munich office costs 12 euros per day.

## Berlin

The Berlin office opens at 9:30 on weekdays.
The Berlin office phone number is 030-9876-5432.
Parking at the Berlin office is free for visitors.
`

const officesZH = `# 办公室

## 上海

上海办公室早上八点开门。
上海办公室的电话是021-1111-2222。

## 深圳

深圳办公室早上九点开门。
深圳办公室的电话是0755-3333-4444。
`

// TestFollowUpsUseHistory runs scripted two-turn conversations whose second
// question only makes sense with the first. An answer is right when it
// states the expected fact and not the other office's. With the history the
// perceive step carries the first question's terms into the follow-up;
// without it the follow-up is ambiguous. The history must do strictly
// better and never worse on any conversation.
func TestFollowUpsUseHistory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for name, body := range map[string]string{"offices.md": officesEN, "offices-zh.md": officesZH} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	k := openKB(t, t.TempDir(), false)
	ingestOK(t, k, dir)
	convs := []struct {
		first, followUp, want, wrong string
	}{
		{"When does the Munich office open?", "And its phone number?", "089-1234-5678", "030-9876-5432"},
		{"When does the Berlin office open?", "What is its phone number?", "030-9876-5432", "089-1234-5678"},
		{"When does the Berlin office open?", "What about parking there?", "free for visitors", "12 euros"},
		{"上海办公室几点开门？", "它的电话是多少？", "021-1111-2222", "0755-3333-4444"},
		{"深圳办公室几点开门？", "电话呢？", "0755-3333-4444", "021-1111-2222"},
	}
	right := func(r schema.Response, want, wrong string) bool {
		return strings.Contains(r.Answer, want) && !strings.Contains(r.Answer, wrong)
	}
	var with, without int
	for _, c := range convs {
		history := []schema.Message{{Role: "user", Content: c.first}, {Role: "assistant", Content: "…"}}
		h, err := k.Ask(ctx, "", c.followUp, history)
		if err != nil {
			t.Fatal(err)
		}
		b, err := k.Ask(ctx, "", c.followUp, nil)
		if err != nil {
			t.Fatal(err)
		}
		hr, br := right(h, c.want, c.wrong), right(b, c.want, c.wrong)
		if hr {
			with++
		}
		if br {
			without++
		}
		if br && !hr {
			t.Errorf("%q after %q: history made it worse: %q", c.followUp, c.first, h.Answer)
		}
		if !hr {
			t.Errorf("%q after %q: %q lacks %q or states %q", c.followUp, c.first, h.Answer, c.want, c.wrong)
		}
		if h.Trace[0].Detail["follow_up"] != true {
			t.Errorf("%q not read as a follow-up: %v", c.followUp, h.Trace[0].Detail)
		}
	}
	t.Logf("right with history %d/%d, without %d/%d", with, len(convs), without, len(convs))
	if with <= without {
		t.Fatalf("history did not improve answers: %d vs %d", with, without)
	}
	// A self-contained question is not rewritten.
	r, err := k.Ask(ctx, "", "When does the Munich office open on weekdays?", []schema.Message{{Role: "user", Content: "深圳办公室几点开门？"}})
	if err != nil || r.Trace[0].Detail["follow_up"] != false || !strings.Contains(r.Answer, "8:00") {
		t.Fatalf("standalone question: %v %+v", err, r.Trace[0].Detail)
	}
}
