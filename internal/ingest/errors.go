package ingest

import "errors"

// Sentinel errors every loader failure wraps, so callers can branch with
// errors.Is. The wrapping error names the file and gives a precise,
// lower-case reason, for example
// "report.pdf: corrupt file: pdfium: 3: incorrect format".
var (
	// ErrUnsupportedType reports binary or unknown content.
	ErrUnsupportedType = errors.New("unsupported file type")
	// ErrNoText reports a file that parsed but holds no text (an empty
	// file, a scanned PDF without a text layer).
	ErrNoText = errors.New("no extractable text")
	// ErrTooLarge reports a file over Limits.MaxFileSize, a PDF over
	// Limits.MaxPages or extracted text over Limits.MaxChars.
	ErrTooLarge = errors.New("over the size limit")
	// ErrCorrupt reports a file that claims a supported type but cannot be
	// parsed as one.
	ErrCorrupt = errors.New("corrupt file")
	// ErrEncrypted reports a password-protected file.
	ErrEncrypted = errors.New("encrypted file")
)
