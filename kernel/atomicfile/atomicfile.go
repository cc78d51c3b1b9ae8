// Package atomicfile writes files so that a crash leaves the old file or
// the new one, never part of either: a temporary file in the same
// directory, synced to disk, renamed over the target.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write writes everything r yields to path atomically. The temporary
// file is named ".<name>.*" (no .jar or .yaml suffix), so directory
// listings by pattern skip it; it is removed on any error.
func Write(path string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
