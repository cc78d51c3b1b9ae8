package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMakePrivate: a data directory others can read is made private to its
// owner; a private one is left alone.
func TestMakePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	was, err := makePrivate(dir)
	if err != nil || was != 0o755 {
		t.Fatalf("makePrivate = %v, %v; want 0755, nil", was, err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Fatalf("mode %v, want 0700", fi.Mode().Perm())
	}
	if was, err := makePrivate(dir); err != nil || was != 0 {
		t.Fatalf("again: %v, %v", was, err)
	}
}

// TestReadTokenFile: the first line, trimmed; an empty one is refused.
func TestReadTokenFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if tok, err := readTokenFile(write("ok", "  s3cret \nignored\n")); err != nil || tok != "s3cret" {
		t.Fatalf("token %q, %v", tok, err)
	}
	if _, err := readTokenFile(write("empty", "\n")); err == nil {
		t.Fatal("an empty token file was accepted")
	}
	if _, err := readTokenFile(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing token file was accepted")
	}
	c := DefaultConfig()
	c.Token, c.TokenFile = "a", "b"
	if c.Validate() == nil {
		t.Fatal("--token and --token-file together were accepted")
	}
}
