// Package quickstart embeds the example handbook's questions, so that
// commands that default to them (bench http) work from any folder, not
// only from the repository's root. It holds data only.
package quickstart

import _ "embed"

// Questions is questions.jsonl: one JSON object per line with "question".
//
//go:embed questions.jsonl
var Questions []byte
