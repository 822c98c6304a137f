package extractive

import (
	"strings"
	"testing"

	"github.com/ragline/ragline/internal/schema"
)

// TestNeverQuotesFurniture: bylines, navigation trails, table-of-contents
// lines and numbered headings are never quoted, even when they hold the
// question's words.
func TestNeverQuotesFurniture(t *testing.T) {
	for _, s := range []string{
		"*Northwind Robotics Employee Handbook · Owner: People Team · Applies to all regular employees*",
		"Owner: Ethics Office",
		"Home › Employee handbook › IT and security › Password policy",
		"Vacation and leave .......... 12",
		"5.2 Client meals",
		"Policy owner: Priya Raman, Chief Information Security Officer",
		"北风机器人员工手册 · 负责部门：人力资源部 · 适用范围：全体正式员工",
		"作者：张三",
		"**负责人：** 李娜",
		"版本 2.1",
		"目录",
		"第 3 页",
		"_Owner: People Team_",
	} {
		if quotable(s, nil, "") {
			t.Errorf("quotable: %q", s)
		}
	}
	for _, s := range []string{
		"Owners of company cars pay for fuel themselves.",
		"By March 31, carried-over days expire.",
		"员工每周最多可远程办公三天。",
		// Words that are labels elsewhere, inside a sentence.
		"这本书的作者是鲁迅。",
		"请联系部门负责人王经理办理报销。",
		"该游戏的版本于2010年发布。",
		"本书的目录共有十章内容。",
		"作者在书中回忆了童年的生活。",
		"Secondary caregivers receive 6 weeks of fully paid parental leave.",
	} {
		if !quotable(s, nil, "") {
			t.Errorf("not quotable: %q", s)
		}
	}
}

// TestAnswerType: the sentence holding the asked-for value wins over one
// that restates the question, and a year named in the question must be in
// the passage.
func TestAnswerType(t *testing.T) {
	a := analyzer(t)
	cases := []struct {
		name, question string
		hits           []schema.Hit
		want           string // cited text of the first citation; "" = no answer
	}{
		{"how many", "How many parking spaces does the Berlin office have?", []schema.Hit{
			hit("d1", "berlin.md", "The Berlin office has parking spaces for employees and visitors. Its garage holds 120 cars on two levels.", 0, 5, "Berlin office parking spaces")},
			"Its garage holds 120 cars on two levels."},
		{"when zh", "北风机器人奥斯汀办公室是什么时候启用的？", []schema.Hit{
			hit("d2", "offices.md", "奥斯汀办公室是北风机器人在北美的销售中心。奥斯汀办公室于2023年启用，负责售后支持。", 0, 5, "奥斯汀办公室")},
			"奥斯汀办公室于2023年启用，负责售后支持。"},
		{"year must match", "What was the revenue of the Seattle plant in 2019?", []schema.Hit{
			hit("d3", "plants.md", "The Seattle plant had a revenue of 40 million dollars in 2021. It employs 300 people.", 0, 5, "Seattle plant")},
			""},
	}
	g := New(a, Options{MaxSentences: 3, MinScore: 0.32})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ans := g.Generate(c.question, c.hits, stats(a, c.hits, 30))
			got := ""
			if !ans.NoAnswer {
				got = ans.Citations[0].Text
			}
			if got != c.want {
				t.Errorf("cited %q (score %.3f, type %s), want %q", got, ans.Score, ans.Type, c.want)
			}
		})
	}
}

// TestAbstainsOnMissingKeyTerm: a sentence that shares some of the
// question's words but not the one it is about is not an answer, in
// English and Chinese; the decision is the same at any MinScore below
// the score and the quoted sentence does not depend on MinScore.
func TestAbstainsOnMissingKeyTerm(t *testing.T) {
	a := analyzer(t)
	budget := hit("d1", "learning.md", "Every employee has an annual learning budget of $1,500. The budget resets on January 1 and unused amounts do not roll over.", 0, 6, "Your learning budget")
	pw := hit("d2", "security.html", "Passwords must be at least 14 characters long. 1Password is the only approved password manager.", 0, 4, "Passwords")
	phone := hit("d3", "offices.html", "上海研发中心的前台电话是021-5555-0188。午休期间前台暂停接待访客。", 0, 5, "上海研发中心")
	plant := hit("d4", "offices.html", "深圳工厂负责机器人整机组装、测试和出货。生产线实行两班制。", 100, 3, "深圳工厂")
	hits := []schema.Hit{budget, pw, phone, plant}
	st := stats(a, hits, 40)
	for _, q := range []string{"How do I reset my password?", "How many weeks of paid sabbatical leave do employees get?", "深圳工厂的前台电话是多少？"} {
		ans := New(a, Options{MaxSentences: 3, MinScore: 0.32}).Generate(q, hits, st)
		if !ans.NoAnswer {
			t.Errorf("%q answered %q (score %.3f)", q, ans.Text, ans.Score)
		}
		low := New(a, Options{MaxSentences: 3, MinScore: 0}).Generate(q, hits, st)
		if low.Score != ans.Score || (low.NoAnswer && len(low.Citations) > 0) {
			t.Errorf("%q: score %.3f at MinScore 0, %.3f at 0.32", q, low.Score, ans.Score)
		}
		if ans.Missing == "" || !strings.Contains(strings.Join(a.Terms(q), " "), ans.Missing) {
			t.Errorf("%q: missing term %q", q, ans.Missing)
		}
	}
	ans := New(a, Options{MaxSentences: 3, MinScore: 0.32}).Generate("上海研发中心前台的电话是多少？", hits, st)
	if ans.NoAnswer || !strings.Contains(ans.Text, "021-5555-0188") {
		t.Errorf("answerable: %q (score %.3f)", ans.Text, ans.Score)
	}
}
