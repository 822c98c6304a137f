// Package eval owns evaluation and the quality gate: loading golden sets
// (ragline JSONL) and public evaluation sets (BEIR, Cranfield, CMRC 2018)
// into one Dataset shape; running every question through a System (the
// knowledge base in process, or a server through its API) into
// per-question records; the pure scoring functions for ranked results
// (nDCG, recall, precision, hit rate, MRR), answers (exact match, F1,
// containment), citations (precision, recall) and groundedness; the
// aggregate metrics overall and per tag; the paired-bootstrap comparison
// with a baseline report; the gate; and the reports (JSON, Markdown,
// JUnit XML, HTML) and pipeline result files.
//
// The metric definitions follow the tools that published figures come
// from (trec_eval/pytrec_eval as used by BEIR, the SQuAD and CMRC 2018
// evaluation scripts), so numbers computed here are comparable with them.
//
// The package must not index documents or open a knowledge base itself —
// the caller hands it a System — and must not copy or rewrite the
// datasets it reads.
package eval
