package agent

import (
	"encoding/json"

	"github.com/ragline/ragline/internal/tool"
)

// guardToolCall prepares a tool call made on the caller's behalf (by a rule,
// the tool-calling loop or an imported MCP tool): search_documents without
// a collection searches the question's collection, and the collection the
// call reads is held to the caller's key by req.MayUse — the same check
// POST /v1/invoke makes — before the call reaches the tool.
func guardToolCall(req Request, name string, args json.RawMessage, collection string) (json.RawMessage, error) {
	if name == "search_documents" {
		args = tool.WithCollection(args, collection)
	}
	coll, reads := tool.Collection(name, args)
	if !reads || req.MayUse == nil {
		return args, nil
	}
	if coll == "" {
		coll = collection
	}
	if err := req.MayUse(coll); err != nil {
		return args, err
	}
	return args, nil
}
