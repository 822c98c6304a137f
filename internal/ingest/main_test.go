package ingest

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain releases the PDF runtime after the tests and then checks that
// no goroutine outlives them.
func TestMain(m *testing.M) {
	if job, file, ok := strings.Cut(os.Getenv(childEnv), ":"); ok {
		runPDFChild(job, file)
		os.Exit(0)
	}
	code := m.Run()
	if err := closePDFium(); err != nil {
		fmt.Fprintln(os.Stderr, "closing pdfium:", err)
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
