package extractive

import (
	"maps"
	"math"
	"regexp"
	"slices"
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
	// BestScore is the best sentence's coverage of the question's terms.
	BestScore float64
	// Score is the decision score of the answer: the support of the best
	// sentence (coverage of the question's key terms by the sentence and
	// its passage, discounted by the heaviest key term left uncovered).
	// The generator answers when Score ≥ MinScore.
	Score float64
	// Type is the kind of value the question asks for ("time", "year",
	// "number", "money", "person", "place" or "any").
	Type string
	// Missing is the heaviest question term the best sentence and its
	// passage do not cover ("" when all are covered).
	Missing string
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

// MinScore is the configured decision threshold.
func (g *Generator) MinScore() float64 { return g.opts.MinScore }

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
	coverage float64  // share of the question's weight in the sentence
	support  float64  // decision score (see Answer.Score)
	rank     float64  // support with a linear cost of the missing term
	missing  string
	carried  float64 // coverage of the terms carried from earlier turns
	typed    bool    // holds a value of the asked-for type
	score    float64 // ranking score
}

// secondaryRatio is how close to the best sentence another sentence must
// score to be quoted too, so answers stay focused.
const secondaryRatio = 0.75

// secondaryFloor is the least support a second or third sentence needs.
const secondaryFloor = 0.35

// redundancy is the term overlap (Jaccard) above which a sentence repeats
// one already chosen.
const redundancy = 0.6

// Scoring weights, tuned on CMRC 2018 (one half of dev) and the
// quick-start handbook; docs/evaluation.md has the measurements.
const (
	// contextShare is how much of the question's weight that the
	// sentence misses but its passage (chunk, headings, title) holds
	// counts towards support: the answer sentence often names its subject
	// only by a pronoun.
	contextShare = 0.5
	// contextBefore and contextAfter bound the neighbouring sentences
	// counted as a sentence's context.
	contextBefore, contextAfter = 2, 1
	// typeBonus favours a sentence holding a value of the asked type
	// (a year for "when", a number for "how many").
	typeBonus = 0.15
	// untypedPenalty is taken from a sentence without such a value.
	untypedPenalty = 0.1
	// restatePenalty is taken from a sentence that says nothing beyond
	// the question's own words.
	restatePenalty = 0.15
	// wordMissPower is the power of (1 − share of the heaviest missing
	// term) in the support when that term is a word of an alphabetic
	// language: a real concept the passage lacks (tuned on the SciFact
	// leave-gold-out curve). A missing CJK run, which may be a bigram
	// across words, costs to the power 1.
	wordMissPower = 4
	// cjkMissPower is that power for a missing run of CJK bigrams.
	cjkMissPower = 2.0
	// literalPenalty scales the support of a passage that lacks a year
	// or number the question names.
	literalPenalty = 0.5
)

// Generate answers question from hits (best first).
func (g *Generator) Generate(question string, hits []schema.Hit, st Stats) Answer {
	words := g.analyzer.Terms(question)
	terms := make([]schema.QueryTerm, len(words))
	for i, w := range words {
		terms[i] = schema.QueryTerm{Term: w, Weight: 1}
	}
	return g.GenerateTerms(question, text.DetectLanguage(question), terms, hits, st)
}

// GenerateTerms answers question from hits for its weighted, analysed
// terms (a term's first occurrence sets its weight); lang picks the
// language of the no-answer message. The answer is decided by its score
// alone: the sentences chosen do not depend on MinScore, so a threshold
// curve can be drawn from one run.
func (g *Generator) GenerateTerms(question, lang string, terms []schema.QueryTerm, hits []schema.Hit, st Stats) Answer {
	skip := interrogativeBigrams(question)
	qtype := questionType(question)
	// "How big", "how fast", "how soon": the word after "how" asks for a
	// value; the answer states the value, not the word.
	for _, m := range howRE.FindAllStringSubmatch(question, -1) {
		for _, t := range g.analyzer.Terms(m[1]) {
			skip[t] = true
		}
	}
	if qtype == yearType || qtype == timeType {
		// "what year", "what date": the answer holds a value, not the word.
		skip["year"], skip["date"], skip["time"], skip["年份"] = true, true, true, true
	}
	weights, total := termWeights(terms, st, false, skip)
	carried, carriedTotal := termWeights(terms, st, true, skip)
	if total == 0 {
		// Nothing of the question's own is left (e.g. "And?"): the
		// carried terms are all there is to answer.
		weights, total, carried, carriedTotal = carried, carriedTotal, nil, 0
	}
	ans := Answer{Type: qtype.String()}
	if total == 0 || len(hits) == 0 {
		ans.Text, ans.NoAnswer = NoAnswerText(lang), true
		return ans
	}
	// The weights are summed in one fixed order: floating-point sums
	// depend on it, and map order changes from run to run, which would let
	// near-ties between sentences fall either way (same corpus, other
	// answer).
	order := slices.Sorted(maps.Keys(weights))
	lits := literals(question)
	seq := g.analyzer.Terms(question)
	topScore := hits[0].Score
	var cands []candidate
	seen := map[[2]int]string{} // (doc, start) of sentences already seen via chunk overlap
	docIdx := map[string]int{}
	// Chunks of one document share their title and often their
	// headings: each distinct heading text is analysed once per call.
	termSets := map[string]map[string]bool{}
	termSet := func(s string) map[string]bool {
		if set, ok := termSets[s]; ok {
			return set
		}
		set := map[string]bool{}
		for _, t := range g.analyzer.Terms(s) {
			set[t] = true
		}
		termSets[s] = set
		return set
	}
	var holds, inTopic, inOuter []bool
	var where []termPlace
	for hi, h := range hits {
		if _, ok := docIdx[h.Chunk.DocumentID]; !ok {
			docIdx[h.Chunk.DocumentID] = len(docIdx)
		}
		ct := h.Chunk.Text
		sents := g.sentences(ct)
		// The topic (headings and title) is implied by every sentence under
		// it; the rest of the passage is context a sentence may lean on.
		// Only the nearest heading is the sentence's topic; the headings
		// above it and the title are context ("办公地点与办公时间" over
		// the section on one office).
		near, far := h.Title, ""
		if n := len(h.Chunk.Headings); n > 0 {
			near, far = h.Chunk.Headings[n-1], strings.Join(h.Chunk.Headings[:n-1], "\n")+"\n"+h.Title
		}
		topic, outer := termSet(near), termSet(far)
		// Which question terms the topic and the outer context hold, looked
		// up once per chunk.
		inTopic = slices.Grow(inTopic[:0], len(order))[:len(order)]
		inOuter = slices.Grow(inOuter[:0], len(order))[:len(order)]
		for k, t := range order {
			inTopic[k], inOuter[k] = topic[t], outer[t]
		}
		litOK := true
		for _, l := range lits {
			if !strings.Contains(ct, l) && !strings.Contains(h.Title, l) {
				litOK = false
			}
		}
		// Which sentences hold which question terms, looked up once per
		// chunk (each sentence's terms are sorted): holds[k*ns+j] is
		// whether sentence j holds order[k].
		ns := len(sents)
		holds = slices.Grow(holds[:0], len(order)*ns)[:len(order)*ns]
		for k, t := range order {
			for j := range sents {
				_, holds[k*ns+j] = slices.BinarySearch(sents[j].terms, t)
			}
		}
		for i, si := range sents {
			// The sentence's context: the outer headings and title, and its
			// neighbours, the sentences just before it (which often name
			// its subject) and the one after it.
			first, last := max(0, i-contextBefore), min(len(sents)-1, i+contextAfter)
			sent := ct[si.byteStart:si.byteEnd]
			start := h.Chunk.Start + si.runeStart
			key := [2]int{docIdx[h.Chunk.DocumentID], start}
			if _, dup := seen[key]; dup {
				continue
			}
			seen[key] = sent
			if !si.quotable || isHeading(strings.TrimSpace(sent), h.Chunk.Headings, h.Title) {
				continue
			}
			var ccov float64
			for _, t := range si.terms {
				ccov += carried[t]
			}
			// Where the sentence finds each question term: in itself or its
			// topic, in its context, or nowhere.
			where = slices.Grow(where[:0], len(order))[:len(order)]
			for k := range order {
				switch {
				case holds[k*ns+i] || inTopic[k]:
					where[k] = termHeld
				case inOuter[k] || slices.Contains(holds[k*ns+first:k*ns+last+1], true):
					where[k] = termInContext
				default:
					where[k] = termAbsent
				}
			}
			// Characters of the CJK terms found: a missing bigram both of
			// whose characters are found in others ("从每" between "调薪…从"
			// and "每年") spans two words and says nothing of its own.
			var found map[rune]bool
			for k, t := range order {
				if where[k] != termAbsent {
					for _, r := range t {
						if r >= 0x2E80 {
							if found == nil {
								found = map[rune]bool{}
							}
							found[r] = true
						}
					}
				}
			}
			var cov, ctxCov, bridged float64
			gone := map[string]bool{}
			for k, t := range order {
				w := weights[t]
				switch {
				case where[k] == termHeld:
					cov += w
				case where[k] == termInContext:
					ctxCov += w
				case bridge(t, found):
					bridged += w
				default:
					gone[t] = true
				}
			}
			// A bigram that straddles a found word and a missing one
			// ("游效" between "邹游" and "效力") counts half in the run.
			miss, missing := missingRun(seq, gone, weights, found)
			own := total - bridged
			cov /= own
			held := cov + contextShare*ctxCov/own
			// A missing word of an alphabetic language is a concept the
			// passage lacks; a missing CJK run may be a bigram across
			// words, so it costs less.
			gamma := cjkMissPower
			if hasLatin(missing) || isDigits(missing) {
				gamma = wordMissPower
			}
			support := held * math.Pow(1-miss/own, gamma)
			rank := held * (1 - miss/own)
			if !litOK {
				support *= literalPenalty
				rank *= literalPenalty
			}
			score := rank
			if carriedTotal > 0 {
				ccov /= carriedTotal
				score += carriedBonus * ccov
			}
			typed := false
			if typeKnown(qtype, sent) {
				if typed = holdsValue(qtype, sent, question); typed {
					score += typeBonus
				} else {
					score -= untypedPenalty
				}
			}
			novel := 0
			for _, t := range si.terms {
				if _, q := weights[t]; !q {
					novel++
				}
			}
			if len(si.terms) > 0 && float64(novel) < 0.2*float64(len(si.terms)) {
				score -= restatePenalty
			}
			for _, l := range lits {
				if !strings.Contains(sent, l) {
					score -= 0.05
				}
			}
			if si.n > 60 { // long passages dilute the quote
				score -= 0.002 * float64(si.n-60)
			}
			if topScore > 0 {
				score += 0.05 * h.Score / topScore
			}
			cands = append(cands, candidate{hit: hi, start: start, end: start + si.runeLen, text: sent, terms: si.terms,
				coverage: cov, support: support, rank: rank, missing: missing, carried: ccov, typed: typed, score: score})
		}
	}
	ans.Considered = len(cands)
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	if len(cands) == 0 {
		ans.Text, ans.NoAnswer = NoAnswerText(lang), true
		return ans
	}
	best := cands[0]
	ans.BestScore, ans.Score, ans.Missing = best.coverage, best.support, best.missing
	if best.support < g.opts.MinScore || best.support <= 0 {
		ans.Text, ans.NoAnswer = NoAnswerText(lang), true
		return ans
	}
	chosen := []candidate{best}
	for _, c := range cands[1:] {
		if len(chosen) == g.opts.MaxSentences {
			break
		}
		if c.score < secondaryRatio*best.score {
			break
		}
		if c.rank < secondaryFloor || redundant(c, chosen) {
			continue
		}
		// The shortest set that holds the value: once the best sentence
		// holds the asked-for value, only sentences holding one too join.
		if best.typed && !c.typed {
			continue
		}
		// In a follow-up, once the best sentence is about the earlier
		// turn's subject, a sentence that shares much less of it is about
		// something else ("its phone number" after "the Munich office").
		if c.carried < 0.5*best.carried {
			continue
		}
		chosen = append(chosen, c)
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

// termPlace is where a sentence finds a question term.
type termPlace uint8

const (
	termAbsent    termPlace = iota
	termHeld                // in the sentence or its topic (nearest heading)
	termInContext           // in its neighbours, outer headings or title
)

// carriedBonus is how much a sentence's coverage of terms carried from an
// earlier turn adds to its score. Carried terms only break ties between
// sentences that answer the question itself: the relevance threshold
// applies to the question's own terms.
const carriedBonus = 0.3

// termWeights gives each distinct question term its IDF times its weight;
// question words and the bigrams in skip carry no weight. With carried
// set it returns only the terms carried from earlier turns (weight below
// 1), else only the question's own.
func termWeights(terms []schema.QueryTerm, st Stats, carried bool, skip map[string]bool) (map[string]float64, float64) {
	w := map[string]float64{}
	var total float64
	n := float64(st.Total)
	seen := map[string]bool{}
	for _, qt := range terms {
		t := qt.Term
		if seen[t] || questionWords[t] || skip[t] || qt.Weight <= 0 {
			continue
		}
		seen[t] = true
		if (qt.Weight < 1) != carried {
			continue
		}
		df := st.DocFreq[t]
		idf := math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
		if generalWords[t] {
			idf *= generalWeight
		}
		idf *= qt.Weight
		w[t] = idf
		total += idf
	}
	return w, total
}

// straddleWeight is the share of its weight a bigram that straddles a
// found word and a missing one adds to the missing run.
const straddleWeight = 0.5

// straddles reports whether CJK bigram t has exactly one character in
// found and its other character in another missing bigram.
func straddles(t string, found map[rune]bool, gone map[string]bool) bool {
	r := []rune(t)
	if len(r) != 2 || r[0] < 0x2E80 || r[1] < 0x2E80 || found[r[0]] == found[r[1]] {
		return false
	}
	other := r[1]
	if found[r[1]] {
		other = r[0]
	}
	for u := range gone {
		if u != t && strings.ContainsRune(u, other) {
			return true
		}
	}
	return false
}

// missingRun returns the heaviest run of missing question terms and its
// first term: adjacent CJK bigrams ("深圳", "圳工", "工厂") are one word,
// missing together; any other term is a run of its own. seq is the
// question's terms in order.
func missingRun(seq []string, gone map[string]bool, weights map[string]float64, found map[rune]bool) (float64, string) {
	var best, run float64
	first, bestFirst := "", ""
	counted := map[string]bool{}
	prev := ""
	for _, t := range seq {
		if !gone[t] || counted[t] {
			if !gone[t] {
				prev, run = "", 0
			}
			continue
		}
		counted[t] = true
		if !adjacentCJK(prev, t) {
			run, first = 0, t
		}
		if straddles(t, found, gone) {
			run += weights[t] * straddleWeight
		} else {
			run += weights[t]
		}
		prev = t
		if run > best || (run == best && first < bestFirst) {
			best, bestFirst = run, first
		}
	}
	for t := range gone {
		if !counted[t] && (weights[t] > best || (weights[t] == best && t < bestFirst)) {
			best, bestFirst = weights[t], t
		}
	}
	return best, bestFirst
}

// adjacentCJK reports whether CJK bigram b follows bigram a in the text
// they came from (a's last character is b's first).
func adjacentCJK(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	return len(ra) == 2 && len(rb) == 2 && ra[0] >= 0x2E80 && rb[0] >= 0x2E80 && ra[1] == rb[0]
}

// bridge reports whether t is a CJK bigram that joins two words: its
// characters are all in found, or one of them is a function character.
func bridge(t string, found map[rune]bool) bool {
	n, fn, ok := 0, 0, true
	for _, r := range t {
		switch {
		case r < 0x2E80:
			return false
		case strings.ContainsRune(functionChars, r):
			fn++
		case !found[r]:
			ok = false
		}
		n++
	}
	return n == 2 && (ok || fn > 0)
}

// functionChars are Chinese function characters (particles,
// prepositions, the copula, pronouns, adverbs): a bigram holding one of
// them ("的导", "又叫") joins two words and says nothing of its own.
const functionChars = "一的了在是从和与对把被于到为有也就都而及或之其这那个它他她该此又最曾将已所很更还再才并给向由以因则即便且"

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// generalWeight scales the weight of a general English word. In a small
// corpus such a word ("new", "maximum", "thing") can be rare, and its IDF
// then makes it look like the subject of the question; questions use
// these words for phrasing, answers other words for the same idea.
const generalWeight = 0.3

// generalWords are frequent English words (analysed: lower-cased and
// stemmed) that phrase a question rather than name its subject.
var generalWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`new next last first thing way kind type sort lot maximum minimum max min allow
		allowed file use used make made take taken give given go going come know let put keep say said tell ask
		help try call find show see look want able possible current currently actual actually exact exactly
		general generally usual usually normal normally typical typically approximately around about per each every
		long short big small large little much many often soon fast quick quickly old one two get got have has need
		sure right good best better main real really amount number total full whole part certain specific
		particular else other another same different later earlier early late high low`) {
		generalWords[w] = true
	}
	// The analyzer's stems of the same words ("allow" for "allowed").
	a := []string{}
	for w := range generalWords {
		a = append(a, w)
	}
	for _, w := range a {
		generalWords[porterish(w)] = true
	}
}

// porterish is a crude stem for the general words list: the analyzer's
// English stemmer maps these words to themselves or to a prefix ending
// before "e", "ed", "ing", "y" or "ly".
func porterish(w string) string {
	for _, suf := range []string{"ally", "ly", "ing", "ed", "e", "y"} {
		if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 3 {
			return strings.TrimSuffix(w, suf)
		}
	}
	return w
}

var howRE = regexp.MustCompile(`(?i)\bhow\s+([a-z]+)`)

// questionWords are interrogatives that a question contains and its
// answer does not (after analysis: lower-cased, stemmed, CJK bigrams).
var questionWords = map[string]bool{
	"how": true, "mani": true, "much": true, "what": true, "which": true, "when": true,
	"where": true, "who": true, "whom": true, "whose": true, "why": true, "doe": true, "do": true,
	"多少": true, "什么": true, "怎么": true, "怎样": true, "如何": true, "哪些": true, "哪里": true,
	"哪个": true, "哪儿": true, "几点": true, "是否": true, "为什": true, "是多": true, "有多": true,
	"多长": true, "几天": true, "几次": true, "几个": true, "吗": true, "呢": true,
	// Light verbs of questions ("do I get", "does it need", "从…开始"):
	// the answer says what is given or needed with other words.
	"get": true, "need": true, "like": true, "want": true,
	"开始": true, "可以": true, "需要": true, "能够": true, "应该": true,
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
