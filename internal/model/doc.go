// Package model declares the contracts of remote model components — chat
// models, embedders and rerankers — shared by the providers that implement
// them (package openai and its siblings) and the packages that use them
// (kb, agent, eval).
//
// It must not perform I/O itself and must not import any provider.
package model
