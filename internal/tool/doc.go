// Package tool owns the tools the agent layer may call: the Tool
// contract, the registry that validates every call's arguments against the
// tool's JSON Schema, bounds it with a timeout, logs it with secrets
// redacted and counts it, and the builtin tools (calculator, current_time,
// http_request, search_documents).
//
// It must not decide when a tool is called (the agent does) nor run
// untrusted code outside a sandbox (WASM plugins live in package plugin).
package tool
