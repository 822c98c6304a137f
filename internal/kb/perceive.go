package kb

import (
	"regexp"
	"strings"

	"github.com/ragline/ragline/internal/model"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/text"
)

// carriedWeight is the weight of a term carried into a follow-up from the
// previous question: it narrows the search without outweighing what the
// user just asked.
const carriedWeight = 0.5

// shortQuestion is the number of terms at or below which a question with
// history is read as elliptical ("and in Munich?").
const shortQuestion = 3

// Perception is what the perceive step understood of a question.
type Perception struct {
	// Question is the normalised question as asked.
	Question string
	// Language is "en", "zh" or another detected language code.
	Language string
	// FollowUp is true when terms of an earlier turn were carried in.
	FollowUp bool
	// Carried are the analyzed terms taken from the earlier question.
	Carried []string
	// Terms are the weighted query terms retrieval and scoring use.
	Terms []schema.QueryTerm
	// Standalone is the question as it reads without the conversation.
	Standalone string
	// Rewritten is set when models.chat wrote Standalone.
	Rewritten bool
	// Expansions are alternative phrasings from models.chat
	// (retrieval.multi_query), retrieved and fused with the question.
	Expansions []string
	// Translation is the question in the collection's other language
	// (retrieval.cross_lingual), written by models.chat; TranslationTerms
	// are its analysed terms.
	Translation      string
	TranslationTerms []schema.QueryTerm
	// ModelNotes records failed query-understanding calls ("rewrite",
	// "expand" → error), which were skipped.
	ModelNotes map[string]string
	// Usage counts the tokens of the query-understanding calls.
	Usage model.Usage
	// ModelCalls is the number of those calls.
	ModelCalls int
}

var (
	// Pronouns and openers that point back to an earlier turn.
	anaphoraEN = regexp.MustCompile(`(?i)^(and|what about|how about|also)\b|\b(it|its|they|them|their|this|that|these|those|there|he|she|his|her)\b`)
	anaphoraZH = []string{"它", "这个", "那个", "这些", "那些", "其", "呢", "还有", "那么", "他们", "她们", "该"}
)

func hasAnaphora(q string) bool {
	if anaphoraEN.MatchString(q) {
		return true
	}
	for _, w := range anaphoraZH {
		if strings.Contains(q, w) {
			return true
		}
	}
	return false
}

// perceive analyses a normalised question and, when it reads as a
// follow-up (short, or pointing back with a pronoun) in a conversation,
// carries the salient terms of the previous question into it at a lower
// weight, so retrieval and answer scoring see a standalone question.
func (k *KB) perceive(q string, history []schema.Message) Perception {
	p := Perception{Question: q, Language: text.DetectLanguage(q), Standalone: q}
	own := k.analyzer.Terms(trimParticles(q))
	seen := make(map[string]bool, len(own))
	// Repeated terms stay: retrieval counts them as query term frequency.
	p.Terms = weighted(own)
	for _, t := range own {
		seen[t] = true
	}
	prev := lastUserMessage(history)
	if prev == "" || (len(seen) > shortQuestion && !hasAnaphora(q)) {
		return p
	}
	for _, t := range k.analyzer.Terms(prev) {
		if !seen[t] {
			seen[t] = true
			p.Carried = append(p.Carried, t)
			p.Terms = append(p.Terms, schema.QueryTerm{Term: t, Weight: carriedWeight})
		}
	}
	if len(p.Carried) > 0 {
		p.FollowUp = true
		p.Standalone = q + " (" + prev + ")"
	}
	return p
}

// trimParticles drops Chinese sentence-final particles (呢, 吗, 吧, 啊, 呀)
// and the punctuation after them: they carry tone, not content, and as
// bigrams with the word before ("话呢") they match nothing.
func trimParticles(q string) string {
	t := strings.TrimRight(q, "？?！!。. ")
	for {
		n := strings.TrimRight(t, "呢吗吧啊呀")
		if n == t {
			break
		}
		t = strings.TrimRight(n, "？?！!。. ")
	}
	if t == "" {
		return q
	}
	return t
}

// lastUserMessage returns the most recent user message of a history.
func lastUserMessage(history []schema.Message) string {
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].Role == "user" && strings.TrimSpace(history[i].Content) != "" {
			return strings.TrimSpace(history[i].Content)
		}
	}
	return ""
}
