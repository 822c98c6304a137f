// Package judge scores answers with a judge model, following the
// definitions of Ragas (Es et al., "RAGAS: Automated Evaluation of
// Retrieval Augmented Generation", 2023, and the Ragas documentation).
// `ragline eval` uses it when models.judge is configured; it is never
// called while serving.
//
// Faithfulness is the share of the answer's claims that the retrieved
// context supports: the judge first breaks the answer into standalone
// statements (prompt "statements"), then gives each a verdict, 1 when it
// can be inferred from the context and 0 otherwise (prompt "verdicts").
// The score is supported / total, in [0, 1]. An answer with no
// statements has no faithfulness: ErrNoStatements.
//
// Answer relevancy is how directly the answer addresses the question:
// the judge writes N questions (default 3) the answer would answer, and
// says whether the answer is noncommittal (evasive, "I don't know")
// (prompt "questions"); the score is the mean cosine similarity between
// the embeddings of the original question and of the generated ones, and
// 0 when any generation calls the answer noncommittal.
//
// API (usage sums the judge's token usage; the embedder's is reported by
// the embedder's provider):
//
//	score, usage, err := judge.Faithfulness(ctx, chat, question, answer, contexts)
//	score, usage, err := judge.AnswerRelevancy(ctx, chat, embedder, question, answer)
//
// use the built-in prompts; New(chat, embedder, PromptsFrom(cfg.Models.Judge.Prompts))
// returns a Judge with the configured ones and the same two methods.
// Prompts are Go text/template: "statements" gets .Question and .Answer,
// "verdicts" .Context and .Statements (numbered lines), "questions"
// .Answer and .N. Every prompt asks for a JSON object (JSON mode); a reply
// that cannot be read is an error naming the prompt, never a guessed
// score.
package judge
