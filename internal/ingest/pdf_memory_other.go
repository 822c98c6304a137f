//go:build !unix

package ingest

import "github.com/tetratelabs/wazero/experimental"

// pdfMemoryAllocator is wazero's default (Go-heap memory) where anonymous
// mappings are not available.
func pdfMemoryAllocator() experimental.MemoryAllocator { return nil }
