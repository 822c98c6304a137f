package chunk

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ragline/ragline/internal/schema"
)

var blockKinds = []string{
	schema.BlockParagraph, schema.BlockHeading, schema.BlockListItem,
	schema.BlockTableRow, schema.BlockCode, schema.BlockRecord,
}

// fuzzBlocks derives blocks for s from spec, two bytes a block: the kind
// and page from the first, the length from the second, with a small gap
// after each. With raw set the bytes are used as offsets as they come, so
// that blocks may overlap, run backwards or past the text.
func fuzzBlocks(s string, spec []byte, raw bool) []schema.Block {
	var blocks []schema.Block
	var path []string
	pos := 0
	for i := 0; i+1 < len(spec); i += 2 {
		kind := blockKinds[int(spec[i])%len(blockKinds)]
		page := int(spec[i] >> 4)
		if raw {
			start := int(int8(spec[i])) * 3
			blocks = append(blocks, schema.Block{Kind: kind, Start: start, End: start + int(int8(spec[i+1]))*5, Page: page})
			continue
		}
		start := runeStart(s, pos)
		end := runeStart(s, start+int(spec[i+1]))
		if start >= len(s) {
			break
		}
		if end <= start {
			end = len(s)
		}
		if kind == schema.BlockHeading {
			path = append(path[:min(len(path), int(spec[i]>>6))], "h"+strconv.Itoa(i))
		}
		blocks = append(blocks, schema.Block{Kind: kind, Start: start, End: end, Page: page, Headings: append([]string(nil), path...)})
		pos = end + int(spec[i]&3)
	}
	return blocks
}

func FuzzSplit(f *testing.F) {
	f.Add("Hello world. This is a test.\n\nAnother paragraph here!", []byte{0, 20, 1, 30}, uint8(8), int8(3), false)
	f.Add("# Title\n今天天气很好。我们去公园吧！\n| a | b |\n{\"k\": 1}", []byte{0x41, 8, 0, 40, 3, 12, 5, 10}, uint8(5), int8(2), false)
	f.Add(strings.Repeat("word ", 80)+strings.Repeat("汉", 50), []byte{}, uint8(10), int8(4), false)
	f.Add("Overlapping blocks.\xff Bad bytes. Mr. Smith. 3.5 e.g. Fine.", []byte{200, 3, 7, 250, 9, 9}, uint8(3), int8(0), true)
	f.Fuzz(func(t *testing.T, s string, spec []byte, size uint8, overlap int8, raw bool) {
		if !utf8.ValidString(s) {
			s = strings.ToValidUTF8(s, "\uFFFD")
		}
		doc := &schema.Document{ID: "doc", Text: s, Blocks: fuzzBlocks(s, spec, raw)}
		o := Options{Size: int(size), Overlap: int(overlap)}
		chunks := Split(doc, o)
		checkChunks(t, doc, o, chunks)
	})
}
