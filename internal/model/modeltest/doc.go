// Package modeltest provides a scripted model server for tests: a real
// HTTP server on loopback that speaks the OpenAI wire format (chat
// completions, whole or streamed as Server-Sent Events with a usage
// chunk, and embeddings) and the TEI and Cohere/Jina rerank formats, with
// replies computed by functions the test supplies.
package modeltest
