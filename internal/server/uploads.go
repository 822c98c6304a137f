package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// uploadPrefix starts the name of every upload's temporary directory,
// followed by the serving process's id: "ragline-upload-<pid>-<random>".
const uploadPrefix = "ragline-upload-"

// staleUnowned is the age past which an upload directory that names no
// process (made by an older ragline) is removed.
const staleUnowned = time.Hour

// uploadDir makes the temporary directory of one upload under tmp.
func uploadDir(tmp string) (string, error) {
	return os.MkdirTemp(tmp, fmt.Sprintf("%s%d-", uploadPrefix, os.Getpid()))
}

// RemoveStaleUploads removes the upload directories under tmp (the
// system's temporary directory when "") that a killed process left
// behind: those of processes that no longer run, this process's own
// (nothing is in flight before it serves; a reused id is not a live
// upload) and, for directories that name no process, those older than an
// hour. Directories of other running ragline processes are kept. It
// returns how many it removed. Serve calls it before taking traffic, so
// document contents do not outlive a crash in /tmp.
func RemoveStaleUploads(tmp string) (int, error) {
	if tmp == "" {
		tmp = os.TempDir()
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return 0, fmt.Errorf("remove stale uploads: %w", err)
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), uploadPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		if !uploadStale(name, e) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(tmp, e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// uploadStale decides about one upload directory by the rest of its name
// after the prefix.
func uploadStale(rest string, e os.DirEntry) bool {
	pidText, _, owned := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(pidText)
	if !owned || err != nil || pid <= 0 {
		info, err := e.Info()
		return err == nil && time.Since(info.ModTime()) > staleUnowned
	}
	return pid == os.Getpid() || !processRuns(pid)
}

// processRuns reports whether a process with id pid exists (one of
// another user counts: it cannot be signalled but it runs).
func processRuns(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
