package extractive

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/text"
)

// Analyzer turns text into index terms; it must be the analyzer the chunks
// were indexed with.
type Analyzer interface {
	Terms(s string) []string
}

// Options tune the generator.
type Options struct {
	// MaxSentences caps the sentences quoted in an answer.
	MaxSentences int
	// MinScore is the share of the question's term weight (IDF) a
	// sentence must cover to be quoted.
	MinScore float64
}

// Stats are corpus statistics for weighting question terms.
type Stats struct {
	// DocFreq maps a term to the number of chunks containing it.
	DocFreq map[string]int
	// Total is the number of chunks.
	Total int
}

// Answer is the generator's output.
type Answer struct {
	Text      string
	Citations []schema.Citation
	NoAnswer  bool
	// Considered is the number of sentences scored.
	Considered int
	// BestScore is the best sentence score seen, for traces.
	BestScore float64
}

// Generator is the extractive generator. It is immutable and safe for
// concurrent use.
type Generator struct {
	analyzer Analyzer
	opts     Options
	cache    *sentenceCache
}

// New returns a generator.
func New(a Analyzer, o Options) *Generator {
	if o.MaxSentences <= 0 {
		o.MaxSentences = 3
	}
	return &Generator{analyzer: a, opts: o, cache: newSentenceCache(maxCachedChunks)}
}

// NoAnswerText returns the fixed no-answer message in the question's
// language.
func NoAnswerText(lang string) string {
	if lang == "zh" {
		return "知识库中没有找到这个问题的答案。"
	}
	return "I could not find an answer to this question in the knowledge base."
}

type candidate struct {
	hit      int // index into hits
	start    int // rune offset of the sentence in the document
	end      int
	text     string
	terms    []string // distinct analyzer terms, sorted
	coverage float64
	carried  float64 // coverage of the terms carried from earlier turns
	score    float64
}

// secondaryRatio is how close to the best sentence another sentence must
// score to be quoted too, so answers stay focused.
const secondaryRatio = 0.6

// redundancy is the term overlap (Jaccard) above which a sentence repeats
// one already chosen.
const redundancy = 0.6

// Generate answers question from hits (best first).
func (g *Generator) Generate(question string, hits []schema.Hit, st Stats) Answer {
	words := g.analyzer.Terms(question)
	terms := make([]schema.QueryTerm, len(words))
	for i, w := range words {
		terms[i] = schema.QueryTerm{Term: w, Weight: 1}
	}
	return g.GenerateTerms(text.DetectLanguage(question), terms, hits, st)
}

// GenerateTerms answers from hits for weighted, analysed question terms
// (a term's first occurrence sets its weight); lang picks the language of
// the no-answer message.
func (g *Generator) GenerateTerms(lang string, terms []schema.QueryTerm, hits []schema.Hit, st Stats) Answer {
	weights, total := termWeights(terms, st, false)
	carried, carriedTotal := termWeights(terms, st, true)
	if total == 0 {
		// Nothing of the question's own is left (e.g. "And?"): the
		// carried terms are all there is to answer.
		weights, total, carried, carriedTotal = carried, carriedTotal, nil, 0
	}
	if total == 0 || len(hits) == 0 {
		return Answer{Text: NoAnswerText(lang), NoAnswer: true}
	}
	topScore := hits[0].Score
	var cands []candidate
	seen := map[[2]int]string{} // (doc, start) of sentences already seen via chunk overlap
	docIdx := map[string]int{}
	for hi, h := range hits {
		if _, ok := docIdx[h.Chunk.DocumentID]; !ok {
			docIdx[h.Chunk.DocumentID] = len(docIdx)
		}
		ct := h.Chunk.Text
		for _, si := range g.sentences(ct) {
			sent := ct[si.byteStart:si.byteEnd]
			start := h.Chunk.Start + si.runeStart
			key := [2]int{docIdx[h.Chunk.DocumentID], start}
			if _, dup := seen[key]; dup {
				continue
			}
			seen[key] = sent
			if !quotable(sent, h.Chunk.Headings) {
				continue
			}
			var cov, ccov float64
			for _, t := range si.terms {
				cov += weights[t]
				ccov += carried[t]
			}
			cov /= total
			score := cov
			if carriedTotal > 0 {
				ccov /= carriedTotal
				score += carriedBonus * ccov
			}
			if si.n > 60 { // long passages dilute the quote
				score -= 0.002 * float64(si.n-60)
			}
			if topScore > 0 {
				score += 0.05 * h.Score / topScore
			}
			cands = append(cands, candidate{hit: hi, start: start, end: start + si.runeLen, text: sent, terms: si.terms, coverage: cov, carried: ccov, score: score})
		}
	}
	ans := Answer{Considered: len(cands)}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	if len(cands) > 0 {
		ans.BestScore = cands[0].coverage
	}
	var chosen []candidate
	for _, c := range cands {
		if len(chosen) == g.opts.MaxSentences {
			break
		}
		if c.coverage < g.opts.MinScore {
			continue
		}
		if len(chosen) > 0 && c.score < secondaryRatio*chosen[0].score {
			break
		}
		if redundant(c, chosen) {
			continue
		}
		// In a follow-up, once the best sentence is about the earlier
		// turn's subject, a sentence that shares much less of it is about
		// something else ("its phone number" after "the Munich office").
		if len(chosen) > 0 && c.carried < 0.5*chosen[0].carried {
			continue
		}
		chosen = append(chosen, c)
	}
	if len(chosen) == 0 {
		ans.Text, ans.NoAnswer = NoAnswerText(lang), true
		return ans
	}
	// Source order: documents in the order they were retrieved, sentences
	// in document order.
	sort.SliceStable(chosen, func(i, j int) bool {
		di, dj := docIdx[hits[chosen[i].hit].Chunk.DocumentID], docIdx[hits[chosen[j].hit].Chunk.DocumentID]
		if di != dj {
			return di < dj
		}
		return chosen[i].start < chosen[j].start
	})
	var b strings.Builder
	for i, c := range chosen {
		h := hits[c.hit]
		if i > 0 && !endsCJK(chosen[i-1].text) {
			b.WriteByte(' ')
		}
		b.WriteString(c.text)
		b.WriteString(" [")
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString("]")
		ans.Citations = append(ans.Citations, schema.Citation{
			Index:      i + 1,
			DocumentID: h.Chunk.DocumentID,
			ChunkID:    h.Chunk.ID,
			DocKey:     h.DocKey,
			Source:     h.Source,
			Title:      h.Title,
			Page:       h.Chunk.Page,
			Section:    strings.Join(h.Chunk.Headings, " > "),
			Start:      c.start,
			End:        c.end,
			Text:       c.text,
			Score:      h.Score,
		})
	}
	ans.Text = b.String()
	return ans
}

// absentWeight scales the weight of a question term that occurs in no
// chunk. Such a term cannot be supported by any sentence; it still counts
// (a question about "revenue" is not answered by a sentence about the
// company name) but at half the weight of a rare term, because many of
// them are artefacts: a bigram across two words, a different inflection.
const absentWeight = 0.5

// carriedBonus is how much a sentence's coverage of terms carried from an
// earlier turn adds to its score. Carried terms only break ties between
// sentences that answer the question itself: the relevance threshold
// applies to the question's own terms.
const carriedBonus = 0.3

// termWeights gives each distinct question term its IDF times its weight;
// question words carry no weight. With carried set it returns only the
// terms carried from earlier turns (weight below 1), else only the
// question's own.
func termWeights(terms []schema.QueryTerm, st Stats, carried bool) (map[string]float64, float64) {
	w := map[string]float64{}
	var total float64
	n := float64(st.Total)
	seen := map[string]bool{}
	for _, qt := range terms {
		t := qt.Term
		if seen[t] || questionWords[t] || qt.Weight <= 0 {
			continue
		}
		seen[t] = true
		if (qt.Weight < 1) != carried {
			continue
		}
		df := st.DocFreq[t]
		idf := math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
		if df == 0 {
			idf *= absentWeight
		}
		idf *= qt.Weight
		w[t] = idf
		total += idf
	}
	return w, total
}

// questionWords are interrogatives that a question contains and its
// answer does not (after analysis: lower-cased, stemmed, CJK bigrams).
var questionWords = map[string]bool{
	"how": true, "mani": true, "much": true, "what": true, "which": true, "when": true,
	"where": true, "who": true, "whom": true, "whose": true, "why": true, "doe": true, "do": true,
	"多少": true, "什么": true, "怎么": true, "怎样": true, "如何": true, "哪些": true, "哪里": true,
	"哪个": true, "哪儿": true, "几点": true, "是否": true, "为什": true, "是多": true, "有多": true,
	"多长": true, "几天": true, "几次": true, "几个": true, "吗": true, "呢": true,
}

// quotable reports whether a sentence can stand as an answer: headings
// and questions (FAQ prompts) are context, not answers.
func quotable(sent string, headings []string) bool {
	for _, h := range headings {
		if strings.TrimSpace(h) == sent {
			return false
		}
	}
	r, _ := utf8.DecodeLastRuneInString(sent)
	return r != '?' && r != '？'
}

func redundant(c candidate, chosen []candidate) bool {
	for _, o := range chosen {
		inter := 0
		for i, j := 0, 0; i < len(c.terms) && j < len(o.terms); {
			switch {
			case c.terms[i] == o.terms[j]:
				inter++
				i++
				j++
			case c.terms[i] < o.terms[j]:
				i++
			default:
				j++
			}
		}
		union := len(c.terms) + len(o.terms) - inter
		if union > 0 && float64(inter)/float64(union) > redundancy {
			return true
		}
	}
	return false
}

func endsCJK(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r >= 0x2E80
}
