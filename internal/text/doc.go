// Package text owns the language analysis that indexing, querying,
// sentence scoring and evaluation must share so that they agree on what a
// "term" is: the Analyzer (segmentation, normalisation, stop words,
// stemming and CJK handling), sentence boundaries (Sentences), the token
// estimate used to size chunks (CountTokens) and a coarse language guess
// (DetectLanguage).
//
// # Terms
//
// An Analyzer turns text into terms in these steps:
//
//  1. Segmentation. Words are maximal runs of letters, marks and numbers
//     (Unicode categories L, M and N). Everything else separates words, so
//     "e-mail" gives "e" "mail", "3.5" gives "3" "5" and "GPT-4" gives
//     "gpt" "4". An apostrophe (' ’) between two letters joins them and is
//     dropped ("don't" → "dont", "O’Neill" → "oneill"), except a final
//     possessive "'s", which is dropped with the apostrophe ("John's" →
//     "john"). This is the UAX #29 word rule narrowed to what the SQLite
//     FTS5 unicode61 tokenizer keeps together: that tokenizer splits at
//     every character outside L, N and Co, so a term emitted here is never
//     split again when it is written space-separated into an FTS5 column.
//     Marks are kept inside terms because they are part of the letter they
//     follow; NFKC already composes most of them away, and where one
//     remains (Indic vowel signs) index and query see the same split.
//  2. Normalisation: NFKC (full-width "ＡＢＣ１２３" → "abc" "123",
//     ligatures, superscripts, half-width katakana) and Unicode case
//     folding (simple folding plus ß → ss).
//  3. Identifiers and symbols. A word splits at every boundary between
//     letters and digits and is then emitted whole as well, so "Bcl2"
//     gives "bcl" "2" "bcl2", meeting the "bcl" "2" of "BCL-2" and "bcl
//     2", and "FoxO3a" gives "foxo" "3" "foxo3a", meeting the "foxo" "3"
//     of "FOXO3"; the whole code keeps a question about "H3K9me3"
//     specific. A final "s" after
//     two or more capitals is an acronym's plural and is dropped ("RXRs" →
//     "rxr", "mRNAs" → "mrna"). Greek letters used as symbols — a word
//     that is one Greek letter, or mixes Greek letters with Latin letters
//     or digits — are spelt out ("IFN-γ" → "ifn" "gamma", "NF-κB" → "nf"
//     "kappab"); words written in Greek are left alone.
//  4. Stop words are removed after normalisation and before stemming.
//  5. Stemming with the English Snowball (Porter2) stemmer for words made
//     only of Latin letters; numbers and other scripts are kept as they
//     are. A word of six or more letters in "-sis" is stemmed through its
//     "-ses" plural, so "metastasis", "metastases" and "metastasize"
//     share "metastas".
//
// Runs of Han, Hiragana, Katakana and Hangul characters are not words:
// in "bigram" mode each run yields its overlapping character bigrams (a
// run of one character yields that character), and in "gse" mode runs of
// Chinese are segmented into dictionary words with github.com/go-ego/gse.
// CJK punctuation never forms terms.
//
// Every Token carries the byte span of the source word it came from, so a
// caller can highlight it.
//
// # What this package must not do
//
// It performs no I/O apart from the lazily loaded, embedded gse
// dictionary, keeps no mutable global state other than that dictionary,
// and imports no other ragline package. It never panics on input: any
// string, valid UTF-8 or not, is analysed.
//
// Anything that changes the terms produced for some input must change
// Analyzer.Version (bump analyzerVersion), because stored indexes are
// keyed by it; that includes upgrading github.com/kljensen/snowball,
// github.com/go-ego/gse or golang.org/x/text. Likewise the sentence and
// token-count rules feed the chunker's version.
package text
