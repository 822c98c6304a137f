package extractive

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// answerType is the kind of value a question asks for.
type answerType int

const (
	anyType    answerType = iota // no particular value ("what is", "why")
	timeType                     // when, what date, 什么时候
	yearType                     // what year, 哪一年
	numberType                   // how many, how long, 多少, 几
	moneyType                    // how much does it cost, 多少钱
	personType                   // who, 谁
	placeType                    // where, 哪里
)

var typeNames = [...]string{"any", "time", "year", "number", "money", "person", "place"}

func (t answerType) String() string { return typeNames[t] }

// typeRule maps a question pattern to the answer type it asks for; the
// first rule that matches wins, so specific patterns come first.
type typeRule struct {
	re *regexp.Regexp
	t  answerType
}

var typeRules = []typeRule{
	{regexp.MustCompile(`(?i)\b(what|which|in what|in which)\s+year\b|哪一年|哪年|何年|哪个年份|哪一个年份`), yearType},
	{regexp.MustCompile(`(?i)\bhow much\b.*\b(cost|costs|pay|paid|price|charge|fee|fees|reimburs\w*|budget|stipend|salary|worth)\b|多少钱|什么价格|多少元|价格是多少|费用是多少|补贴是多少|多少补贴`), moneyType},
	{regexp.MustCompile(`(?i)^\s*when\b|\bwhen\s+(is|are|was|were|do|does|did|will|can|should)\b|\bwhat\s+(date|time|day|month)\b|\bby when\b|什么时候|何时|哪天|哪一天|几月|几号|几点|什么时间|哪个时间|哪个时期|哪个朝代|何年何月`), timeType},
	{regexp.MustCompile(`(?i)\bhow\s+(many|much|long|often|old|far|big|large|fast|tall|high|soon)\b|\bwhat\s+(percentage|percent|share|rate|number|amount)\b|多少|几|多久|多长|多大|多高|多远|多重|多快|第几`), numberType},
	{regexp.MustCompile(`(?i)\b(who|whom|whose)\b|谁|哪位|何人|哪一位`), personType},
	{regexp.MustCompile(`(?i)\bwhere\b|哪里|哪儿|何地|何处|在哪|哪个国家|哪个城市|哪座城市|哪个省|哪个地方`), placeType},
}

// questionType recognises what a question asks for.
func questionType(q string) answerType {
	for _, r := range typeRules {
		if r.re.MatchString(q) {
			return r.t
		}
	}
	return anyType
}

var (
	yearRE   = regexp.MustCompile(`(^|[^0-9])(1[0-9]{3}|20[0-9]{2})([^0-9]|$)|[0-9〇零一二三四五六七八九十]{2,4}年|公元前|年代|世纪`)
	monthRE  = regexp.MustCompile(`(?i)\b(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|yesterday|noon|midnight)\b|\b(at|by|until|till|from)\s+(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b|[0-9]{1,2}:[0-9]{2}|\b[ap]\.?m\.?\b|[0-9一二三四五六七八九十]{1,3}(月|日|号|点|时)|(上午|下午|晚上|早上|清晨|凌晨|春|夏|秋|冬)|朝|时期|期间|之后|以前|之前|初|末`)
	numberRE = regexp.MustCompile(`(?i)[0-9]+([.,:][0-9]+)*|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|thousand|million|billion|once|twice|dozen|half)\b|[〇零一二三四五六七八九十两百千万亿]+(个|天|年|月|日|周|人|次|元|岁|米|公里|倍|种|座|名|位|家|条|部|本|场|所|届|项|件|层|首|篇|支|队|只|架|艘|辆|分|秒|小时|钟|万|亿|千|百|%)`)
	moneyRE  = regexp.MustCompile(`(?i)[$€£¥￥]\s?[0-9]|[0-9][0-9,.]*\s?(dollars?|cents?|euros?|yuan|rmb|usd|%|percent)|(元|美元|欧元|英镑|日元|港元|人民币|%|％)`)
	// A capitalised word that is not the sentence's first: a name.
	nameRE  = regexp.MustCompile(`[^.!?\s]\s+([A-Z][a-z]+|[A-Z]{2,})`)
	placeRE = regexp.MustCompile(`(?i)\b(in|at|from|near|on)\s+(the\s+)?[A-Z][a-z]+|\b(floor|room|building|office|street|avenue|road|campus|city|country)\b|位于|坐落|在.{1,8}(省|市|县|区|州|国|岛|山|河|湖|城|镇|村|路|街|楼|层|室)|(省|市|县|区|州|国|岛|城|镇|村|路|街|楼|层)`)
	// literalRE finds years and other numbers written in a question.
	literalRE = regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)
)

// holdsValue reports whether sentence s holds a value of type t that the
// question q does not itself contain (a sentence that repeats the
// question's own year does not answer "when").
func holdsValue(t answerType, s, q string) bool {
	var res []*regexp.Regexp
	switch t {
	case yearType:
		res = []*regexp.Regexp{yearRE}
	case timeType:
		res = []*regexp.Regexp{yearRE, monthRE}
	case numberType:
		res = []*regexp.Regexp{numberRE}
	case moneyType:
		res = []*regexp.Regexp{moneyRE}
	case personType:
		if !hasLatin(s) {
			return false // no reliable name pattern for Chinese text
		}
		res = []*regexp.Regexp{nameRE}
	case placeType:
		res = []*regexp.Regexp{placeRE}
	default:
		return false
	}
	for _, re := range res {
		for _, m := range re.FindAllString(s, -1) {
			m = strings.TrimSpace(strings.Trim(m, " .,;:!?"))
			if m != "" && !strings.Contains(q, m) {
				return true
			}
		}
	}
	return false
}

// typeKnown reports whether holdsValue can recognise values of type t in
// text like s: without a pattern for a type (Chinese names) a sentence
// is neither preferred nor penalised.
func typeKnown(t answerType, s string) bool {
	switch t {
	case anyType:
		return false
	case personType:
		return hasLatin(s)
	}
	return true
}

// literals returns the numbers written in a question (years, amounts):
// an answer about "2008" must come from a passage that names 2008.
func literals(q string) []string {
	var out []string
	for _, m := range literalRE.FindAllString(q, -1) {
		if utf8.RuneCountInString(m) >= 2 {
			out = append(out, m)
		}
	}
	return out
}

func hasLatin(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}

// interrogatives are Chinese question phrases; the bigrams that overlap
// them ("是什", "么时", "时候") carry no content.
var interrogatives = []string{
	"什么时候", "什么时间", "多长时间", "多少时间", "为什么", "是什么", "什么", "哪一年", "哪年", "哪一", "哪个", "哪些", "哪里", "哪儿", "哪位", "哪家", "哪种",
	"哪", "多少", "多久", "多长", "多大", "多高", "多远", "第几", "几", "谁", "何时", "何地", "何处", "何人", "如何", "怎么", "怎样",
	"是否", "有没有", "吗", "呢",
}

// measureWords are the Chinese measure words a question phrase such as
// 几 or 多少 takes ("几天", "多少个").
const measureWords = "天个年月日号点次位名辆家种条本件只岁周届项层首篇座所场部倍"

// interrogativeBigrams returns the CJK bigrams of q that overlap a
// question phrase.
func interrogativeBigrams(q string) map[string]bool {
	r := []rune(q)
	cover := make([]bool, len(r))
	for _, w := range interrogatives {
		wr := []rune(w)
		for i := 0; i+len(wr) <= len(r); i++ {
			if string(r[i:i+len(wr)]) == w {
				for j := i; j < i+len(wr); j++ {
					cover[j] = true
				}
			}
		}
	}
	// The measure word after 几 / 多少 / 哪 ("几点", "多少天", "哪一天")
	// belongs to the question phrase.
	for i := 0; i+1 < len(r); i++ {
		if cover[i] && (i+1 == len(r) || !cover[i+1]) && strings.ContainsRune("几少哪一", r[i]) && strings.ContainsRune(measureWords, r[i+1]) {
			cover[i+1] = true
		}
	}
	out := map[string]bool{}
	for i := 0; i+1 < len(r); i++ {
		if cover[i] || cover[i+1] {
			out[string(r[i:i+2])] = true
		}
	}
	for i, c := range cover {
		if c {
			out[string(r[i])] = true
		}
	}
	return out
}
