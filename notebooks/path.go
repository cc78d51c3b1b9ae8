package notebooks

import (
	"strings"
	"unicode/utf8"

	"github.com/eddy-notebooks/eddy"
)

// TrashFolder is the top-level folder of deleted notes, as Zeppelin names it.
const TrashFolder = "~Trash"

// UntitledPath is the path of a note created without a name.
const UntitledPath = "/Untitled Note"

// Bounds on note paths (EINVALID past them).
const (
	MaxNameLen = 255  // bytes of the last path segment, as Zeppelin
	MaxPathLen = 1024 // bytes of the whole path
)

// NormalizePath turns a note name or path as a user gives it into a clean
// path, as Zeppelin does: blank becomes UntitledPath, a leading slash is
// added, newlines become spaces, repeated slashes collapse. It refuses (with
// EINVALID) an empty name, "..", control characters and over-long names.
func NormalizePath(p string) (string, error) {
	if strings.TrimSpace(p) == "" {
		return UntitledPath, nil
	}
	if !utf8.ValidString(p) {
		return "", eddy.Errorf(eddy.EINVALID, "note name is not valid UTF-8")
	}
	p = strings.NewReplacer("\r", " ", "\n", " ").Replace(p)
	segs := strings.Split(p, "/")
	clean := segs[:0]
	for _, s := range segs {
		if s != "" {
			clean = append(clean, s)
		}
	}
	if len(clean) == 0 || strings.HasSuffix(p, "/") {
		return "", eddy.Errorf(eddy.EINVALID, "note name is empty: %q ends with a folder separator", p)
	}
	out := "/" + strings.Join(clean, "/")
	switch {
	case strings.Contains(out, ".."):
		return "", eddy.Errorf(eddy.EINVALID, "note name can not contain '..'")
	case strings.IndexFunc(out, isControl) >= 0:
		return "", eddy.Errorf(eddy.EINVALID, "note name can not contain control characters")
	case len(clean[len(clean)-1]) > MaxNameLen:
		return "", eddy.Errorf(eddy.EINVALID, "note name must be at most %d bytes", MaxNameLen)
	case len(out) > MaxPathLen:
		return "", eddy.Errorf(eddy.EINVALID, "note path must be at most %d bytes", MaxPathLen)
	}
	return out, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// NameOf returns the last segment of a path: the note's name.
func NameOf(path string) string {
	return path[strings.LastIndexByte(path, '/')+1:]
}

// InTrash reports whether a note path is in the trash.
func InTrash(path string) bool {
	return path == "/"+TrashFolder || strings.HasPrefix(path, "/"+TrashFolder+"/")
}

// TrashPath returns where a note at path goes when moved to the trash.
func TrashPath(path string) string {
	return "/" + TrashFolder + path
}
