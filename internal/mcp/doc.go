// Package mcp connects ragline to the Model Context Protocol in both
// directions with the official Go SDK: as a client it imports the tools
// of configured MCP servers (a command on stdio or a streamable HTTP
// endpoint) into the tool registry, prefixed with the server's name and
// called with timeouts; as a server it offers ragline's search_documents
// and ask to MCP clients.
//
// It must not widen what an imported tool may do: imported tools go
// through the same registry (schema checks, timeouts, logging, counting)
// and allow-lists as every other tool.
package mcp
