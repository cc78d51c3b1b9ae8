package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("broken") }

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.yaml")
	if err := Write(path, strings.NewReader("one")); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, io.MultiReader(strings.NewReader("half"), failingReader{})); err == nil {
		t.Fatal("a failed write reported success")
	}
	b, err := os.ReadFile(path)
	entries, _ := os.ReadDir(dir)
	if err != nil || string(b) != "one" || len(entries) != 1 {
		t.Fatalf("after a failed write: %q, %v, %d entries", b, err, len(entries))
	}
}
