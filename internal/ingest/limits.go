package ingest

import "time"

// Default limits, chosen so that a normal office document or web page is
// never refused while a hostile or runaway input is stopped early.
const (
	DefaultMaxFileSize    int64 = 64 << 20
	DefaultMaxPages             = 2000
	DefaultMaxChars             = 20_000_000
	DefaultMaxPageObjects       = 100_000
	DefaultMaxPageChars         = 200_000
	DefaultMaxPDFTime           = 3 * time.Minute
)

// Limits bound the work spent on one file. A field that is zero or
// negative takes its default.
type Limits struct {
	// MaxFileSize is the largest file accepted, in bytes. Gzip-compressed
	// JSONL may expand to at most four times this size.
	MaxFileSize int64
	// MaxPages is the largest page count accepted for paged formats (PDF).
	MaxPages int
	// MaxChars is the largest number of characters (Unicode code points)
	// extracted into one document.
	MaxChars int
	// MaxPageObjects is the largest number of content objects (text runs,
	// paths, images) on one PDF page; each costs the PDF engine memory
	// before any text comes out.
	MaxPageObjects int
	// MaxPageChars is the largest number of characters on one PDF page.
	MaxPageChars int
	// MaxPDFTime bounds the extraction of one PDF file.
	MaxPDFTime time.Duration
}

// DefaultLimits returns the limits used when the caller has no opinion:
// 64 MiB per file, 2000 pages and 20 million characters per document.
func DefaultLimits() Limits {
	return Limits{
		MaxFileSize: DefaultMaxFileSize,
		MaxPages:    DefaultMaxPages,
		MaxChars:    DefaultMaxChars,

		MaxPageObjects: DefaultMaxPageObjects,
		MaxPageChars:   DefaultMaxPageChars,
		MaxPDFTime:     DefaultMaxPDFTime,
	}
}

// withDefaults fills unset fields with their defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	l.MaxFileSize = orDefault(l.MaxFileSize, d.MaxFileSize)
	l.MaxPages = orDefault(l.MaxPages, d.MaxPages)
	l.MaxChars = orDefault(l.MaxChars, d.MaxChars)
	l.MaxPageObjects = orDefault(l.MaxPageObjects, d.MaxPageObjects)
	l.MaxPageChars = orDefault(l.MaxPageChars, d.MaxPageChars)
	l.MaxPDFTime = orDefault(l.MaxPDFTime, d.MaxPDFTime)
	return l
}

// orDefault is v, or def when v is zero or negative.
func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// maxGunzipped is the largest number of bytes read out of a gzip stream,
// which guards against decompression bombs.
func (l Limits) maxGunzipped() int64 { return 4 * l.MaxFileSize }

// maxXML is the largest number of XML bytes read out of a DOCX archive.
// Markup outweighs text several times over (a formatted run costs tens of
// bytes), so sixteen bytes of XML per allowed character, plus 1 MiB for
// styles and settings, fits real documents and still stops a zip bomb
// long before memory or time run out.
func (l Limits) maxXML() int64 { return 16*int64(l.MaxChars) + 1<<20 }

// Version identifies the extraction behaviour of the loaders. It enters
// the knowledge-base digest, so it changes whenever a loader could extract
// different text or structure from the same file.
const Version = "ingest/2"
