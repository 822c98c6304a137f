package search

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
)

// A collection's lexical index is saved beside the knowledge base as one
// file (one segment, tombstones applied) stamped with the knowledge
// base's identity and the change-log sequence it includes, so that a
// server starts by reading it and applying the changes since instead of
// re-reading and re-counting every chunk's terms. All integers are
// unsigned varints; the file ends with a CRC-32 of everything before it.
const segmentMagic = "ragline-lexical-segment/1\n"

// maxReplay is the most changes a saved index may be behind the change
// log and still be used; beyond it the collection is rebuilt from the
// store, which is then faster than applying the changes one by one.
const maxReplay = 20_000

// segmentFile is where collection's index is saved under dir.
func segmentFile(dir, collection string) string {
	sum := sha256.Sum256([]byte(collection))
	return filepath.Join(dir, hex.EncodeToString(sum[:8])+".seg")
}

// writeSegment saves seg for collection at sequence seq of knowledge
// base kbID, atomically (temporary file, then rename).
func writeSegment(dir, kbID, collection string, seq int64, seg *segment) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := segmentFile(dir, collection)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	crc := crc32.NewIEEE()
	w := bufio.NewWriterSize(f, 1<<20)
	var buf [binary.MaxVarintLen64]byte
	put := func(v uint64) {
		n := binary.PutUvarint(buf[:], v)
		w.Write(buf[:n])
		crc.Write(buf[:n])
	}
	str := func(s string) {
		put(uint64(len(s)))
		w.WriteString(s)
		crc.Write([]byte(s))
	}
	w.WriteString(segmentMagic)
	crc.Write([]byte(segmentMagic))
	str(kbID)
	str(collection)
	put(uint64(seq))
	put(uint64(seg.len()))
	prev := int64(0)
	for _, r := range seg.rowids {
		put(uint64(r - prev))
		prev = r
	}
	for _, l := range seg.length {
		put(uint64(l))
	}
	terms := make([]string, 0, len(seg.postings))
	for t := range seg.postings {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	put(uint64(len(terms)))
	for _, t := range terms {
		ps := seg.postings[t]
		str(t)
		put(uint64(len(ps)))
		last := int32(0)
		for _, p := range ps {
			put(uint64(p.doc - last))
			last = p.doc
			put(uint64(p.body))
			put(uint64(p.title))
		}
	}
	binary.LittleEndian.PutUint32(buf[:4], crc.Sum32())
	w.Write(buf[:4])
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// errStaleSegment marks a saved index that does not belong to this
// knowledge base or collection.
var errStaleSegment = errors.New("saved index is for another knowledge base or collection")

// readSegment loads the index saved for collection of knowledge base
// kbID and returns it with the sequence it includes.
func readSegment(dir, kbID, collection string) (*segment, int64, error) {
	b, err := os.ReadFile(segmentFile(dir, collection))
	if err != nil {
		return nil, 0, err
	}
	if len(b) < len(segmentMagic)+4 || string(b[:len(segmentMagic)]) != segmentMagic {
		return nil, 0, fmt.Errorf("saved index: not a segment file")
	}
	body := b[:len(b)-4]
	if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return nil, 0, fmt.Errorf("saved index: checksum mismatch")
	}
	pos := len(segmentMagic)
	bad := false
	get := func() uint64 {
		v, n := binary.Uvarint(body[pos:])
		if n <= 0 {
			bad = true
			pos = len(body)
			return 0
		}
		pos += n
		return v
	}
	str := func() string {
		n := int(get())
		if n < 0 || pos+n > len(body) {
			bad = true
			pos = len(body)
			return ""
		}
		s := string(body[pos : pos+n])
		pos += n
		return s
	}
	if str() != kbID || str() != collection {
		return nil, 0, errStaleSegment
	}
	seq := int64(get())
	n := int(get())
	if n > len(body) {
		return nil, 0, fmt.Errorf("saved index: corrupt")
	}
	seg := &segment{rowids: make([]int64, n), length: make([]uint32, n)}
	prev := int64(0)
	for i := range n {
		prev += int64(get())
		seg.rowids[i] = prev
	}
	for i := range n {
		seg.length[i] = uint32(get())
		seg.sumLen += int64(seg.length[i])
	}
	nt := int(get())
	if nt > len(body) {
		return nil, 0, fmt.Errorf("saved index: corrupt")
	}
	seg.postings = make(map[string][]posting, nt)
	for range nt {
		t := str()
		np := int(get())
		if bad || np > n {
			return nil, 0, fmt.Errorf("saved index: corrupt")
		}
		ps := make([]posting, np)
		doc := int32(0)
		for i := range ps {
			doc += int32(get())
			ps[i] = posting{doc: doc, body: uint16(get()), title: uint16(get())}
			if doc < 0 || int(doc) >= n {
				return nil, 0, fmt.Errorf("saved index: corrupt")
			}
		}
		seg.postings[t] = ps
	}
	if bad || pos != len(body) {
		return nil, 0, fmt.Errorf("saved index: corrupt")
	}
	return seg, seq, nil
}
