// Package openai is a client of the OpenAI wire protocol — chat
// completions (whole and streamed as Server-Sent Events, with tool calls
// and JSON mode) and embeddings — for any compatible server: OpenAI,
// Azure OpenAI (api_version), vLLM, Ollama, LM Studio, LocalAI and
// Hugging Face TEI.
//
// It is written on net/http rather than an SDK so that every failure mode
// is under its control: each attempt has its own deadline (for streams,
// the wait for the first byte and every pause between pieces); 429, 5xx,
// timeouts and broken connections are retried with exponential backoff
// and full jitter, honouring Retry-After; 400/401/403/404 fail at once
// with an *Error naming the provider, the model and the server's own
// message; cancelling the caller's context aborts a stream immediately,
// since the response body is read on the caller's goroutine.
package openai
