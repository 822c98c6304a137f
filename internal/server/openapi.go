package server

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

// routeDoc documents one route of the API.
type routeDoc struct {
	pattern  string // "METHOD /path", as registered
	summary  string
	request  string // schema name of the JSON body, "" for none
	upload   bool   // multipart body of files
	response string // schema name of the 200 body
	stream   bool   // may answer with text/event-stream
	open     bool   // no API key needed
	// path is the documented path when the pattern cannot spell it
	// (ServeMux wildcards take whole segments); "" means the pattern's.
	path string
	// media is the 200 body's media type when it is not JSON or text.
	media string
}

// routeDocs lists every route; a test checks it against the router.
var routeDocs = []routeDoc{
	{pattern: "GET /healthz", summary: "Liveness: the process is up.", response: "Status", open: true},
	{pattern: "GET /readyz", summary: "Readiness: the knowledge base and every configured dependency answer.", response: "Status", open: true},
	{pattern: "GET /version", summary: "Build, configuration digest and knowledge-base digest.", response: "Version", open: true},
	{pattern: "GET /metrics", summary: "Prometheus metrics (text exposition format).", response: "", open: true},
	{pattern: "GET /openapi.json", summary: "This document.", response: "", open: true},
	{pattern: "POST /v1/chat", summary: "Answer a message with cited passages; Server-Sent Events with stream true or Accept: text/event-stream.", request: "ChatRequest", response: "ChatResponse", stream: true},
	{pattern: "POST /v1/invoke", summary: "Run one stage directly: target retrieve (ranked chunks), answer (the response object) or a registered tool by name (admin scope or tools.invoke).", request: "InvokeRequest", response: "InvokeResult"},
	{pattern: "GET /v1/tools", summary: "List the registered tools with their argument schemas, risk levels and whether the caller may invoke them.", response: "ToolList"},
	{pattern: "GET /v1/collections", summary: "List collections with their document counts.", response: "CollectionList"},
	{pattern: "GET /v1/collections/{collection}/documents", summary: "List a collection's documents.", response: "DocumentList"},
	{pattern: "POST /v1/collections/{collection}/documents", summary: "Upload one or more files (multipart/form-data); one result per file.", upload: true, response: "UploadResult"},
	{pattern: "GET /v1/documents/{id}", summary: "A document's metadata and extracted text (citation offsets index into it).", response: "DocumentView"},
	{pattern: "GET /v1/documents/{id}/pages/{n}", path: "/v1/documents/{id}/pages/{n}.png", summary: "Page n of a PDF document as a PNG image; with ?start=&end= (a citation's character offsets) the passage is marked and X-Ragline-Marked counts the rectangles drawn; ?dpi=36..200 (default 110).", media: "image/png"},
	{pattern: "DELETE /v1/documents/{id}", summary: "Remove a document and all its chunks.", response: "Deleted"},
	{pattern: "GET /v1/sessions", summary: "The caller's conversations (per API key), most recently updated first, a page at a time: ?limit=1..100 and ?cursor= the next_cursor of the previous page.", response: "SessionList"},
	{pattern: "GET /v1/sessions/{id}", summary: "A conversation and its turns.", response: "Session"},
	{pattern: "DELETE /v1/sessions/{id}", summary: "Remove a conversation and its feedback.", response: "Deleted"},
	{pattern: "POST /v1/feedback", summary: "Rate one turn of a conversation.", request: "FeedbackRequest", response: "Status"},
	{pattern: "GET /{$}", path: "/", summary: "The web interface (HTML page; it asks for an API key when the server needs one).", open: true, media: "text/html"},
	{pattern: "GET /ui/{file...}", path: "/ui/{file}", summary: "Static assets of the web interface (ES modules, CSS) and its config.json.", open: true, media: "application/octet-stream"},
	{pattern: "GET /favicon.ico", path: "/favicon.ico", summary: "The web interface's icon.", open: true, media: "image/x-icon"},
	{pattern: "GET /v1/models", summary: "OpenAI-compatible: every collection is a model; default is the default collection.", response: "ModelList"},
	{pattern: "GET /v1/models/{model}", summary: "OpenAI-compatible: one model.", response: "Model"},
	{pattern: "POST /v1/chat/completions", summary: "OpenAI-compatible chat completion (streaming chunks with stream true); citations as [n] markers and in an extra citations field.", request: "ChatCompletionRequest", response: "ChatCompletion", stream: true},
}

func obj(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func arr(items any) map[string]any { return map[string]any{"type": "array", "items": items} }

var (
	str  = map[string]any{"type": "string"}
	num  = map[string]any{"type": "number"}
	intg = map[string]any{"type": "integer"}
	boo  = map[string]any{"type": "boolean"}
	anyO = map[string]any{"type": "object"}
)

// schemas are the components of the document.
func schemas() map[string]any {
	citation := obj(map[string]any{
		"index": intg, "document_id": str, "chunk_id": str, "doc_key": str, "source": str, "title": str, "page": intg,
		"section": str, "start": intg, "end": intg, "text": str, "score": num,
	}, "index", "document_id", "source", "page", "section", "start", "end", "text", "score")
	response := map[string]any{
		"answer": str, "citations": arr(ref("Citation")), "trace": arr(ref("TraceStep")), "digest": str, "no_answer": boo,
	}
	chatResponse := map[string]any{"session_id": str, "turn": intg}
	for k, v := range response {
		chatResponse[k] = v
	}
	docInfo := obj(map[string]any{
		"id": str, "collection": str, "key": str, "source": str, "title": str, "type": str, "language": str,
		"hash": str, "size": intg, "pages": intg, "chars": intg, "chunks": intg, "ingested_at": str,
	}, "id", "collection", "key", "source", "type", "hash", "size", "chars", "chunks", "ingested_at")
	docView := map[string]any{"allOf": []any{ref("DocumentInfo"), obj(map[string]any{"text": str}, "text")}}
	message := obj(map[string]any{"role": str, "content": map[string]any{"oneOf": []any{str, arr(anyO)}}}, "role", "content")
	model := obj(map[string]any{"id": str, "object": str, "created": intg, "owned_by": str}, "id", "object", "created", "owned_by")
	return map[string]any{
		"Error":         obj(map[string]any{"error": obj(map[string]any{"type": str, "message": str, "field": str}, "type", "message")}, "error"),
		"Status":        obj(map[string]any{"status": str}, "status"),
		"Version":       obj(map[string]any{"build": anyO, "config_digest": str, "kb_digest": str}),
		"Citation":      citation,
		"TraceStep":     obj(map[string]any{"step": str, "duration_ms": num, "detail": anyO}, "step", "duration_ms"),
		"Response":      obj(response, "answer", "citations", "trace", "digest", "no_answer"),
		"ChatRequest":   obj(map[string]any{"message": str, "session_id": str, "collection": str, "stream": boo, "stateless": boo}, "message"),
		"ChatResponse":  obj(chatResponse, "answer", "citations", "trace", "digest", "no_answer", "turn"),
		"InvokeRequest": obj(map[string]any{"target": map[string]any{"type": "string", "description": "retrieve, answer, or the name of a registered tool"}, "input": anyO}, "target", "input"),
		"InvokeResult":  map[string]any{"oneOf": []any{ref("RetrieveResult"), ref("Response"), ref("ToolResult")}},
		"ToolList": obj(map[string]any{"tools": arr(obj(map[string]any{"name": str, "description": str, "parameters": anyO, "risk": str,
			"timeout_ms": intg, "invocable": boo}, "name", "description", "parameters", "risk", "timeout_ms", "invocable"))}, "tools"),
		"ToolResult":     obj(map[string]any{"target": str, "output": anyO, "duration_ms": num}, "target", "output", "duration_ms"),
		"RetrieveResult": obj(map[string]any{"target": str, "terms": arr(str), "hits": arr(ref("RankedChunk"))}, "target", "terms", "hits"),
		"RankedChunk": obj(map[string]any{
			"rank": intg, "score": num, "explanation": str, "document_id": str, "doc_key": str, "source": str, "title": str,
			"chunk_id": str, "page": intg, "section": str, "start": intg, "end": intg, "text": str,
		}, "rank", "score", "explanation", "document_id", "chunk_id", "text"),
		"CollectionList": obj(map[string]any{"collections": arr(obj(map[string]any{"name": str, "documents": intg}, "name", "documents"))}, "collections"),
		"DocumentInfo":   docInfo,
		"DocumentList":   obj(map[string]any{"collection": str, "documents": arr(ref("DocumentInfo"))}, "collection", "documents"),
		"DocumentView":   docView,
		"UploadResult": obj(map[string]any{"collection": str, "failed": intg, "files": arr(obj(map[string]any{
			"file": str, "status": map[string]any{"type": "string", "enum": []string{"added", "replaced", "unchanged", "failed"}},
			"documents": intg, "chunks": intg, "error": str,
		}, "file", "status", "documents", "chunks"))}, "collection", "failed", "files"),
		"Deleted":               obj(map[string]any{"deleted": str}, "deleted"),
		"Turn":                  obj(map[string]any{"question": str, "answer": str, "no_answer": boo, "citations": arr(ref("Citation")), "trace": arr(ref("TraceStep")), "time": str}, "question", "answer", "no_answer", "time"),
		"SessionList":           obj(map[string]any{"sessions": arr(obj(map[string]any{"id": str, "title": str, "turns": intg, "created": str, "updated": str}, "id", "title", "turns", "created", "updated")), "next_cursor": str}, "sessions"),
		"Session":               obj(map[string]any{"id": str, "created": str, "updated": str, "turns": arr(ref("Turn"))}, "id", "created", "updated", "turns"),
		"FeedbackRequest":       obj(map[string]any{"session_id": str, "turn": intg, "rating": map[string]any{"type": "string", "enum": []string{"up", "down"}}, "comment": str}, "session_id", "turn", "rating"),
		"Model":                 model,
		"ModelList":             obj(map[string]any{"object": str, "data": arr(ref("Model"))}, "object", "data"),
		"ChatCompletionRequest": obj(map[string]any{"model": str, "messages": arr(message), "stream": boo}, "model", "messages"),
		"ChatCompletion": obj(map[string]any{
			"id": str, "object": str, "created": intg, "model": str,
			"choices":   arr(obj(map[string]any{"index": intg, "message": message, "finish_reason": str})),
			"usage":     obj(map[string]any{"prompt_tokens": intg, "completion_tokens": intg, "total_tokens": intg}),
			"citations": arr(ref("Citation")),
		}, "id", "object", "created", "model", "choices"),
	}
}

// openAPIDocument builds the OpenAPI 3.1 document of routeDocs.
func openAPIDocument(version string) map[string]any {
	paths := map[string]any{}
	errResp := map[string]any{"description": "Error", "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
	for _, rd := range routeDocs {
		method, path, _ := strings.Cut(rd.pattern, " ")
		if rd.path != "" {
			path = rd.path
		}
		op := map[string]any{"summary": rd.summary, "operationId": operationID(rd.pattern)}
		var params []any
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, "{") && strings.Contains(seg, "}") {
				name := seg[1:strings.Index(seg, "}")]
				params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": str})
			}
		}
		if params != nil {
			op["parameters"] = params
		}
		switch {
		case rd.request != "":
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(rd.request)}}}
		case rd.upload:
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"multipart/form-data": map[string]any{
				"schema": obj(map[string]any{"file": arr(map[string]any{"type": "string", "contentMediaType": "application/octet-stream"})}, "file"),
			}}}
		}
		ok := map[string]any{"description": "OK"}
		content := map[string]any{}
		switch {
		case rd.response != "":
			content["application/json"] = map[string]any{"schema": ref(rd.response)}
		case rd.media != "":
			content[rd.media] = map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": rd.media}}
		default:
			content["text/plain"] = map[string]any{"schema": str}
		}
		if rd.stream {
			content["text/event-stream"] = map[string]any{"schema": str}
		}
		ok["content"] = content
		responses := map[string]any{"200": ok, "default": errResp}
		op["responses"] = responses
		if rd.open {
			op["security"] = []any{}
		}
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "ragline API",
			"version":     version,
			"description": "Retrieval-augmented question answering with cited sources. Errors always have the shape {\"error\":{\"type\",\"message\",\"field\"}}.",
		},
		"paths":      paths,
		"components": map[string]any{"schemas": schemas(), "securitySchemes": map[string]any{"apiKey": map[string]any{"type": "http", "scheme": "bearer"}}},
		"security":   []any{map[string]any{"apiKey": []any{}}},
	}
}

// operationID turns "GET /v1/collections/{collection}/documents" into
// "getV1CollectionsCollectionDocuments".
func operationID(pattern string) string {
	method, path, _ := strings.Cut(pattern, " ")
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, seg := range strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '{' || r == '}' || r == '.' || r == '_' }) {
		b.WriteString(strings.ToUpper(seg[:1]) + seg[1:])
	}
	return b.String()
}

// openAPIJSON renders the document with sorted keys and indentation, so it
// is stable for the golden test.
func openAPIJSON(version string) []byte {
	b, err := json.MarshalIndent(openAPIDocument(version), "", "  ")
	if err != nil {
		panic(err) // built from literals above: cannot fail
	}
	return append(b, '\n')
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(s.openapi)
}

// documentedRoutes returns the patterns routeDocs covers, sorted.
func documentedRoutes() []string {
	out := make([]string, len(routeDocs))
	for i, rd := range routeDocs {
		out[i] = rd.pattern
	}
	sort.Strings(out)
	return out
}
