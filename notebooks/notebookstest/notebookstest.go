// Package notebookstest helps tests of the notebooks packages and their
// users: it finds the shared Zeppelin fixtures and compares JSON documents.
package notebookstest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FixtureDir returns the folder of shared Zeppelin note fixtures,
// <repo root>/../shared/fixtures/zeppelin, where the repo root is the nearest
// folder above the working directory that holds go.mod. It fails the test
// when the folder is missing: the fixtures are part of the test suite.
func FixtureDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the working directory: cannot find the repository root")
		}
		dir = parent
	}
	fixtures := filepath.Join(dir, "..", "shared", "fixtures", "zeppelin")
	if st, err := os.Stat(fixtures); err != nil || !st.IsDir() {
		tb.Fatalf("Zeppelin fixtures folder %s is missing (%v): it must sit beside the repository", fixtures, err)
	}
	return fixtures
}

// Fixture is one note file.
type Fixture struct {
	Name string // file name, e.g. "1._Flink_Basics_2F2YS7PCE.zpln"
	Data []byte
}

// MustFixtures returns every .zpln fixture, sorted by name; it fails the
// test when there are none.
func MustFixtures(tb testing.TB) []Fixture {
	tb.Helper()
	dir := FixtureDir(tb)
	names, err := filepath.Glob(filepath.Join(dir, "*.zpln"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("no .zpln fixtures in %s (%v)", dir, err)
	}
	slices.Sort(names)
	out := make([]Fixture, 0, len(names))
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			tb.Fatalf("read fixture: %v", err)
		}
		out = append(out, Fixture{Name: filepath.Base(n), Data: data})
	}
	return out
}

// MustDecode decodes JSON into generic values, keeping numbers as
// json.Number so that 12.0 and 12 stay distinguishable.
func MustDecode(tb testing.TB, data []byte) any {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("decode JSON: %v\n%s", err, Snippet(data))
	}
	return v
}

// MustCanonical re-encodes any JSON value (generic or typed) in a canonical
// form (sorted keys, numbers as written), for exact comparison.
func MustCanonical(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("encode JSON: %v", err)
	}
	b, err = json.Marshal(MustDecode(tb, b))
	if err != nil {
		tb.Fatalf("encode JSON: %v", err)
	}
	return string(b)
}

// Snippet returns at most the first 300 bytes of data, for failure messages.
func Snippet(data []byte) string {
	s := string(data)
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return strings.TrimSpace(s)
}
