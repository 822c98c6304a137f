// Package eval owns offline evaluation of retrieval and answering: loading
// public evaluation sets (BEIR, Cranfield, CMRC 2018) into one Dataset
// shape, and the pure scoring functions applied to ranked results (nDCG,
// recall, precision, hit rate, MRR) and to answer texts (exact match, F1).
//
// The metric definitions follow the tools that published figures come
// from (trec_eval/pytrec_eval as used by BEIR, the SQuAD and CMRC 2018
// evaluation scripts), so numbers computed here are comparable with them.
//
// The package must not index, search or call models itself: callers run
// retrieval and hand ranked document keys back for scoring. It must not
// copy or rewrite the datasets it reads, and it imports no ragline
// package other than schema.
package eval
