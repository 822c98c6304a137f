// Package rerank implements model.Reranker over HTTP — the Hugging Face
// TEI wire format (POST /rerank) and the Cohere/Jina one (POST
// /v1/rerank) — and as a listwise LLM reranker for deployments that only
// have a chat model. HTTP calls share the openai package's deadlines,
// retries and error messages.
package rerank
