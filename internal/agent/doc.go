// Package agent answers a question in three explicit layers, each a trace
// step with its inputs, its decision and its timing:
//
//   - perceive: normalisation, language, intent (configured keyword, regex
//     and language patterns; the chat model when configured) and the
//     standalone question a follow-up stands for;
//   - decide: the ordered business rules of the configuration (retrieve,
//     tool, respond, handoff), and, with a tool-calling chat model, the
//     model's choice among allow-listed tools bounded by steps and tokens;
//   - execute: retrieval and generation, or the tool call.
//
// Tool output and retrieved text are data: they are quoted into prompts
// between delimiters, cut to a size limit, and nothing in them can change
// the rules or which tools may be called. The package does not own
// retrieval, generation or the tools themselves.
package agent
