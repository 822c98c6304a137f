package eval

import (
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/ragline/ragline/internal/schema"
	"github.com/ragline/ragline/internal/text"
)

// citationMarker matches the [n] (or [n, m]) markers an answer cites with.
var citationMarker = regexp.MustCompile(`\[(\d+(?:\s*,\s*\d+)*)\]`)

// leadingMarkers matches the markers at the start of a text.
var leadingMarkers = regexp.MustCompile(`^(\s*\[\d+(?:\s*,\s*\d+)*\])+\s*`)

// markerNumbers returns the citation numbers of every marker in s.
func markerNumbers(s string) []string {
	var nums []string
	for _, m := range citationMarker.FindAllStringSubmatch(s, -1) {
		nums = append(nums, strings.Split(m[1], ",")...)
	}
	return nums
}

// StripCitations removes [n] markers from an answer, for comparing it
// with reference answers.
func StripCitations(answer string) string {
	s := citationMarker.ReplaceAllString(answer, "")
	return strings.Join(strings.Fields(s), " ")
}

// AnswerContains returns 1 when the normalised answer contains a
// normalised reference answer, else 0 (0 when refs is empty). It suits
// generators that answer in whole sentences, where exact match is too
// strict.
func AnswerContains(answer string, refs []string) float64 {
	for _, ref := range refs {
		zh := hasCJK(answer) || hasCJK(ref)
		r := normalizeAnswer(ref, zh)
		if r != "" && strings.Contains(normalizeAnswer(answer, zh), r) {
			return 1
		}
	}
	return 0
}

// Judgement is what a golden question says is relevant: documents (by id,
// key or file name) and passages.
type Judgement struct {
	Relevant map[string]int
	Passages []string
}

// Empty reports whether the judgement names nothing relevant.
func (j Judgement) Empty() bool { return len(j.Relevant) == 0 && len(j.Passages) == 0 }

// DocumentMatches reports whether any of a document's names (id, key,
// source file name) is judged relevant. A key "docs/a.md" also matches a
// judged "a.md".
func (j Judgement) DocumentMatches(names ...string) bool {
	for _, n := range names {
		if n == "" {
			continue
		}
		if j.Relevant[n] > 0 || j.Relevant[path.Base(n)] > 0 {
			return true
		}
	}
	return false
}

// passageOverlap is the share of a reference passage's tokens a cited text
// must contain (or of the cited text's tokens the passage must contain)
// for the citation to count as citing that passage.
const passageOverlap = 0.6

// citesPassage reports whether cited text and a reference passage are the
// same evidence: one contains most of the other's tokens.
func citesPassage(cited, passage string) bool {
	zh := hasCJK(cited) || hasCJK(passage)
	c, p := answerTokens(cited, zh), answerTokens(passage, zh)
	if len(c) == 0 || len(p) == 0 {
		return false
	}
	return tokenRecall(p, c) >= passageOverlap || tokenRecall(c, p) >= passageOverlap
}

// CitationPrecision is the share of citations that point at relevant
// evidence: a judged document, or text overlapping a reference passage.
// ok is false when there are no citations or nothing is judged.
func CitationPrecision(cites []schema.Citation, j Judgement) (v float64, ok bool) {
	if len(cites) == 0 || j.Empty() {
		return 0, false
	}
	good := 0
	for _, c := range cites {
		if citationRelevant(c, j) {
			good++
		}
	}
	return float64(good) / float64(len(cites)), true
}

func citationRelevant(c schema.Citation, j Judgement) bool {
	if j.DocumentMatches(c.DocumentID, c.DocKey, c.Source) {
		return true
	}
	for _, p := range j.Passages {
		if citesPassage(c.Text, p) {
			return true
		}
	}
	return false
}

// CitationRecall is the share of the judged evidence the citations cover:
// of the reference passages when the question has them, else of the
// judged documents. ok is false when nothing is judged.
func CitationRecall(cites []schema.Citation, j Judgement) (v float64, ok bool) {
	if j.Empty() {
		return 0, false
	}
	if len(j.Passages) > 0 {
		found := 0
		for _, p := range j.Passages {
			for _, c := range cites {
				if citesPassage(c.Text, p) {
					found++
					break
				}
			}
		}
		return float64(found) / float64(len(j.Passages)), true
	}
	found := 0
	for id := range j.Relevant {
		for _, c := range cites {
			if c.DocumentID == id || c.DocKey == id || c.Source == id || path.Base(c.DocKey) == id {
				found++
				break
			}
		}
	}
	return float64(found) / float64(len(j.Relevant)), true
}

// supportedShare is the share of an answer sentence's tokens that must
// occur in the text it cites for the sentence to count as grounded.
const supportedShare = 0.8

// Groundedness is the share of an answer's sentences that are supported
// by the passages they cite. A sentence is supported when it carries at
// least one [n] marker naming a citation of the response and at least 80%
// of its tokens (normalised as for F1: SQuAD tokens for English, one token
// per character for Chinese) occur in the union of the cited passages'
// texts. A sentence without a marker, or citing a number the response does
// not have, is unsupported. ok is false for an empty answer.
func Groundedness(answer string, cites []schema.Citation) (v float64, ok bool) {
	byIndex := make(map[int]string, len(cites))
	for _, c := range cites {
		byIndex[c.Index] += " " + c.Text
	}
	// Sentences with the markers that cite them: a marker may stand inside
	// the sentence ("… 16 weeks [1].") or after its full stop ("… 16
	// weeks. [1]"), where the splitter sees it as a fragment of its own.
	type sentence struct {
		body    string
		markers []string
	}
	var sents []sentence
	for _, sp := range text.Sentences(answer) {
		s := answer[sp.Start:sp.End]
		// Markers opening a fragment close the sentence before it.
		if lead := leadingMarkers.FindString(s); lead != "" && len(sents) > 0 {
			last := &sents[len(sents)-1]
			last.markers = append(last.markers, markerNumbers(lead)...)
			s = s[len(lead):]
		}
		nums := markerNumbers(s)
		body := StripCitations(s)
		if len(answerTokens(body, hasCJK(body))) == 0 {
			if len(sents) > 0 {
				last := &sents[len(sents)-1]
				last.markers = append(last.markers, nums...)
			}
			continue
		}
		sents = append(sents, sentence{body: body, markers: nums})
	}
	total, supported := len(sents), 0
	for _, st := range sents {
		var evidence strings.Builder
		for _, n := range st.markers {
			i, _ := strconv.Atoi(strings.TrimSpace(n))
			evidence.WriteString(byIndex[i])
		}
		if evidence.Len() == 0 {
			continue
		}
		zh := hasCJK(st.body)
		if tokenRecall(answerTokens(st.body, zh), answerTokens(evidence.String(), zh)) >= supportedShare {
			supported++
		}
	}
	if total == 0 {
		return 0, false
	}
	return float64(supported) / float64(total), true
}

// answerTokens tokenises text the way F1 does.
func answerTokens(s string, zh bool) []string {
	if zh {
		return cjkTokens(s)
	}
	return strings.Fields(normalizeAnswer(s, false))
}

// tokenRecall is the share of want's tokens (with multiplicity) present in
// have.
func tokenRecall(want, have []string) float64 {
	if len(want) == 0 {
		return 0
	}
	return float64(bagOverlap(want, have)) / float64(len(want))
}
