// Package clients tests ragline's OpenAI-compatible API with clients
// written by others: its test builds the ragline binary, serves a
// knowledge base offline and with a scripted OpenAI-wire chat and
// embedding model, and runs the Node.js tests in testdata/node, which
// use the official openai SDK and @langchain/openai. It holds no
// production code and must not be imported.
package clients
