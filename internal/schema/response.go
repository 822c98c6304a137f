package schema

// Citation points at the exact passage an answer sentence came from.
type Citation struct {
	// Index is the 1-based number used by the [n] marker in the answer.
	Index      int    `json:"index"`
	DocumentID string `json:"document_id"`
	ChunkID    string `json:"chunk_id,omitempty"`
	// DocKey is the document's key: its path as ingested, or its id in a
	// dataset corpus.
	DocKey string `json:"doc_key,omitempty"`
	// Source is the file name as ingested.
	Source string `json:"source"`
	Title  string `json:"title,omitempty"`
	// Page is the 1-based page of the passage, 0 when the format has none.
	Page int `json:"page"`
	// Section is the heading path of the passage joined with " > ".
	Section string `json:"section"`
	// Start and End are character offsets of Text in the document's
	// extracted text, so a client can highlight it.
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
	// Score is the retrieval score of the chunk the passage belongs to.
	Score float64 `json:"score"`
}

// TraceStep records one step of answering a question.
type TraceStep struct {
	Step       string         `json:"step"`
	DurationMS float64        `json:"duration_ms"`
	Detail     map[string]any `json:"detail,omitempty"`
}

// Response is the public answer contract shared by the CLI (--json) and
// the HTTP API.
type Response struct {
	Answer    string      `json:"answer"`
	Citations []Citation  `json:"citations"`
	Trace     []TraceStep `json:"trace"`
	// Digest is the knowledge-base digest the answer was produced from.
	Digest string `json:"digest"`
	// NoAnswer is true when no passage was relevant enough to answer.
	NoAnswer bool `json:"no_answer"`
	// Usage counts the model tokens spent on the answer; absent when no
	// model was called (the offline extractive path).
	Usage *Usage `json:"usage,omitempty"`
	// FinishReason says why the answer ended when it is not complete:
	// "length" (cut at the client's token limit) or "tool_calls"; empty
	// for a complete answer.
	FinishReason string `json:"finish_reason,omitempty"`
	// ToolCalls are calls of the client's own tools the chat model asks
	// for (OpenAI-compatible API); the client runs them and sends the
	// results back to continue the turn.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
}

// ToolCall is one function call a chat model asks the client to make.
type ToolCall struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Arguments is the JSON object the model wrote, verbatim.
	Arguments string `json:"arguments"`
}

// Usage counts model tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Hit is one retrieved chunk with its score.
type Hit struct {
	Chunk  Chunk   `json:"chunk"`
	Score  float64 `json:"score"`
	Source string  `json:"source"`
	Title  string  `json:"title,omitempty"`
	DocKey string  `json:"doc_key"`
	Rank   int     `json:"rank"`
}

// Message is one message of a conversation, as the history of a question.
type Message struct {
	// Role is "user" or "assistant".
	Role    string `json:"role"`
	Content string `json:"content"`
}

// QueryTerm is an analyzed query term with its weight: 1 for the
// question's own terms, less for terms carried over from earlier turns.
type QueryTerm struct {
	Term   string  `json:"term"`
	Weight float64 `json:"weight"`
}
