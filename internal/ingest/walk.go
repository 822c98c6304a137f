package ingest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Walk expands files and folders into a sorted list of regular files.
// Folders are walked recursively, following symbolic links to files and
// folders but never into a folder that contains the link (a loop). Hidden
// files and folders (name starting with ".") found inside a folder are
// skipped; a path given explicitly is always taken. Broken links and
// special files (sockets, devices) are skipped.
//
// A path that does not exist or a folder that cannot be read does not stop
// the walk: the files found are returned together with an error that joins
// every such problem.
func Walk(paths []string) ([]string, error) {
	w := &walker{}
	for _, p := range paths {
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			w.errs = append(w.errs, err)
		case fi.IsDir():
			w.dir(p, []fs.FileInfo{fi})
		case fi.Mode().IsRegular():
			w.files = append(w.files, filepath.Clean(p))
		default:
			w.errs = append(w.errs, fmt.Errorf("%s: %w: not a regular file or folder", p, ErrUnsupportedType))
		}
	}
	slices.Sort(w.files)
	return slices.Compact(w.files), errors.Join(w.errs...)
}

type walker struct {
	files []string
	errs  []error
}

// dir adds the files under path; stack holds the folders from the walk's
// root down to path, to recognise links back into them.
func (w *walker) dir(path string, stack []fs.FileInfo) {
	entries, err := os.ReadDir(path)
	if err != nil {
		w.errs = append(w.errs, err)
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(path, e.Name())
		fi, err := os.Stat(p) // follows links
		if err != nil {
			if e.Type()&fs.ModeSymlink == 0 {
				w.errs = append(w.errs, err)
			}
			continue
		}
		switch {
		case fi.IsDir():
			if slices.ContainsFunc(stack, func(a fs.FileInfo) bool { return os.SameFile(a, fi) }) {
				continue // a link back into its own ancestry
			}
			w.dir(p, append(stack[:len(stack):len(stack)], fi))
		case fi.Mode().IsRegular():
			w.files = append(w.files, p)
		}
	}
}
