//go:build unix

package ingest

import (
	"syscall"
	"time"

	"github.com/tetratelabs/wazero/experimental"
)

// unmapDelay is how long a freed engine memory stays mapped (its pages
// already handed back) before it is unmapped: a worker killed mid-call
// may run a few more instructions before wazero stops it, and they must
// not touch unmapped memory.
const unmapDelay = 30 * time.Second

// pdfMemoryAllocator backs the PDF engine's WebAssembly memory with one
// anonymous mapping reserved at its maximum size. Growing it never copies
// (Go-heap memory is reallocated and copied at each growth, and the old
// copies, garbage until collected, took several times the cap in resident
// memory), pages count only once touched, and freeing it hands every page
// back to the system at once, with no garbage collection needed.
func pdfMemoryAllocator() experimental.MemoryAllocator {
	return experimental.MemoryAllocatorFunc(func(_, max uint64) experimental.LinearMemory {
		mem, err := syscall.Mmap(-1, 0, int(max), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
		if err != nil {
			return &heapMemory{}
		}
		pdfMemoryUsed.Store(0)
		return &mappedMemory{mem: mem}
	})
}

type mappedMemory struct{ mem []byte }

func (m *mappedMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.mem)) {
		return nil
	}
	pdfMemoryUsed.Store(size)
	return m.mem[:size]
}

func (m *mappedMemory) Free() {
	mem := m.mem
	if mem == nil {
		return
	}
	m.mem = nil
	_ = syscall.Madvise(mem, syscall.MADV_DONTNEED)
	time.AfterFunc(unmapDelay, func() { _ = syscall.Munmap(mem) })
}

// heapMemory is wazero's own way, for when a mapping cannot be made.
type heapMemory struct{ buf []byte }

func (h *heapMemory) Reallocate(size uint64) []byte {
	if size <= uint64(cap(h.buf)) {
		h.buf = h.buf[:size]
		return h.buf
	}
	b := make([]byte, size)
	copy(b, h.buf)
	h.buf = b
	return b
}

func (h *heapMemory) Free() { h.buf = nil }
