package maven

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/eddy-notebooks/eddy"
)

func TestParseCoordinates(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // FileName, "" for an error
	}{
		{"org.apache.flink:flink-sql-connector-kafka:5.0.0-2.2", "flink-sql-connector-kafka-5.0.0-2.2.jar"},
		{" g:a:1.0:tests ", "a-1.0-tests.jar"},
		{"g:a", ""},
		{"g:a:1:c:d", ""},
		{"g:../a:1", ""},
		{"g:a/b:1", ""},
		{"g:a:..", ""},
		{"g::1", ""},
	} {
		c, err := ParseCoordinates(tt.in)
		if tt.want == "" {
			if eddy.ErrorCode(err) != eddy.EINVALID {
				t.Errorf("%q: err %v, want invalid", tt.in, err)
			}
			continue
		}
		if err != nil || c.FileName() != tt.want {
			t.Errorf("%q: %q, %v; want %q", tt.in, c.FileName(), err, tt.want)
		}
	}
}

// repo is a Maven repository on loopback serving one jar, whose published
// SHA-1 can be made wrong; it counts the jar downloads.
type repo struct {
	jar       []byte
	badSum    atomic.Bool
	downloads atomic.Int32
}

func (r *repo) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	const path = "/org/example/conn/1.0/conn-1.0.jar"
	sum := sha1.Sum(r.jar)
	switch req.URL.Path {
	case path:
		r.downloads.Add(1)
		_, _ = w.Write(r.jar)
	case path + ".sha1":
		s := hex.EncodeToString(sum[:])
		if r.badSum.Load() {
			s = hex.EncodeToString(make([]byte, 20))
		}
		_, _ = w.Write([]byte(s + "  conn-1.0.jar\n"))
	default:
		http.NotFound(w, req)
	}
}

func TestResolver_Fetch(t *testing.T) {
	ctx := context.Background()
	rp := &repo{jar: []byte("PK\x03\x04 a jar")}
	srv := httptest.NewServer(rp)
	defer srv.Close()
	newResolver := func() *Resolver { return &Resolver{Repository: srv.URL, Dir: filepath.Join(t.TempDir(), "jars")} }

	t.Run("OKOnceWhenConcurrent", func(t *testing.T) {
		r := newResolver()
		rp.downloads.Store(0)
		var wg sync.WaitGroup
		paths := make([]string, 8)
		for i := range paths {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := r.Fetch(ctx, "org.example:conn:1.0")
				if err != nil {
					t.Error(err)
				}
				paths[i] = p
			}()
		}
		wg.Wait()
		b, err := os.ReadFile(paths[0])
		if err != nil || string(b) != string(rp.jar) || rp.downloads.Load() != 1 {
			t.Fatalf("jar %q, %v, %d downloads", b, err, rp.downloads.Load())
		}
	})
	t.Run("ErrChecksumMismatchKeepsNothing", func(t *testing.T) {
		r := newResolver()
		rp.badSum.Store(true)
		defer rp.badSum.Store(false)
		_, err := r.Fetch(ctx, "org.example:conn:1.0")
		if eddy.ErrorCode(err) != eddy.EINVALID || !strings.Contains(eddy.ErrorMessage(err), "nothing was installed") {
			t.Fatalf("err %v", err)
		}
		if entries, _ := os.ReadDir(r.Dir); len(entries) != 0 {
			t.Fatalf("left behind: %v", entries)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := newResolver().Fetch(ctx, "org.example:nope:1.0")
		if eddy.ErrorCode(err) != eddy.ENOTFOUND || !strings.Contains(eddy.ErrorMessage(err), "org.example:nope:1.0") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("ErrUnreachable", func(t *testing.T) {
		r := &Resolver{Repository: "http://127.0.0.1:1", Dir: t.TempDir()}
		if _, err := r.Fetch(ctx, "org.example:conn:1.0"); eddy.ErrorCode(err) != eddy.EUNAVAILABLE {
			t.Fatalf("err %v", err)
		}
	})
}
