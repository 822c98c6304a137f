// Package provider builds the configured models (models.chat,
// models.embedding, models.rerank, models.judge) from configuration.
package provider
