// Package maven fetches jars from a Maven repository (Maven Central by
// default) by coordinates, checked against the checksum the repository
// publishes beside each file, into a local directory that serves as cache.
// Notes use it for Zeppelin's flink.execution.packages.
package maven

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/eddy-notebooks/eddy"
)

// DefaultRepository is Maven Central.
const DefaultRepository = "https://repo1.maven.org/maven2"

// MaxJarBytes bounds a download; a larger jar is refused.
const MaxJarBytes = 256 << 20

// Coordinates name one artifact: group:artifact:version[:classifier].
type Coordinates struct {
	Group, Artifact, Version, Classifier string
}

// part is what each piece of coordinates may contain: no slashes, no "..".
var part = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.\-]*$`)

// ParseCoordinates reads "group:artifact:version[:classifier]".
func ParseCoordinates(s string) (Coordinates, error) {
	fs := strings.Split(strings.TrimSpace(s), ":")
	if len(fs) < 3 || len(fs) > 4 {
		return Coordinates{}, eddy.Errorf(eddy.EINVALID, "%q is not Maven coordinates: want group:artifact:version", s)
	}
	for _, f := range fs {
		if !part.MatchString(f) || strings.Contains(f, "..") {
			return Coordinates{}, eddy.Errorf(eddy.EINVALID, "%q is not Maven coordinates: %q has characters coordinates cannot have", s, f)
		}
	}
	c := Coordinates{Group: fs[0], Artifact: fs[1], Version: fs[2]}
	if len(fs) == 4 {
		c.Classifier = fs[3]
	}
	return c, nil
}

// String returns the coordinates as written.
func (c Coordinates) String() string {
	s := c.Group + ":" + c.Artifact + ":" + c.Version
	if c.Classifier != "" {
		s += ":" + c.Classifier
	}
	return s
}

// FileName is the jar's name in a repository and in the cache.
func (c Coordinates) FileName() string {
	name := c.Artifact + "-" + c.Version
	if c.Classifier != "" {
		name += "-" + c.Classifier
	}
	return name + ".jar"
}

// path is the jar's path below a repository's root.
func (c Coordinates) path() string {
	return strings.ReplaceAll(c.Group, ".", "/") + "/" + c.Artifact + "/" + c.Version + "/" + c.FileName()
}

// Resolver fetches jars into Dir. It is safe for concurrent use; two
// fetches of the same jar download it once.
type Resolver struct {
	Repository string       // base URL; DefaultRepository when empty
	Dir        string       // where jars are kept
	Client     *http.Client // default: a client with a 5-minute timeout

	mu    sync.Mutex
	locks map[string]*sync.Mutex // one per file name
}

// Fetch returns the local path of the jar at coords, downloading it first
// unless it is there already. The download is verified against the
// repository's SHA-1 file before it is kept; on any error nothing is kept.
func (r *Resolver) Fetch(ctx context.Context, coords string) (string, error) {
	c, err := ParseCoordinates(coords)
	if err != nil {
		return "", err
	}
	dest := filepath.Join(r.Dir, c.FileName())
	lock := r.lock(c.FileName())
	lock.Lock()
	defer lock.Unlock()
	if _, err := os.Stat(dest); err == nil {
		return dest, nil
	}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return "", err
	}
	base := strings.TrimRight(r.Repository, "/")
	if base == "" {
		base = DefaultRepository
	}
	url := base + "/" + c.path()
	want, err := r.checksum(ctx, url+".sha1", c)
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(r.Dir, "."+c.FileName()+".*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	got, err := r.download(ctx, url, c, tmp)
	if err == nil {
		err = tmp.Sync() // on disk before the rename makes it the jar
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if got != want {
		return "", eddy.Errorf(eddy.EINVALID, "%s: the download's SHA-1 is %s, the repository says %s: nothing was installed", c, got, want)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return "", err
	}
	return dest, nil
}

func (r *Resolver) lock(name string) *sync.Mutex {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.locks == nil {
		r.locks = map[string]*sync.Mutex{}
	}
	if r.locks[name] == nil {
		r.locks[name] = &sync.Mutex{}
	}
	return r.locks[name]
}

func (r *Resolver) client() *http.Client {
	if r.Client != nil {
		return r.Client
	}
	return &http.Client{Timeout: 5 * time.Minute}
}

// get requests url and returns the body of a 200 answer.
func (r *Resolver) get(ctx context.Context, url string, c Coordinates) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.client().Do(req)
	if err != nil {
		return nil, eddy.Wrap(eddy.EUNAVAILABLE, err, "%s: the Maven repository cannot be reached", c)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return resp.Body, nil
	case resp.StatusCode == http.StatusNotFound:
		resp.Body.Close()
		return nil, eddy.Errorf(eddy.ENOTFOUND, "%s: no such artifact in %s (check the group, artifact and version)", c, strings.TrimRight(r.Repository, "/"))
	}
	resp.Body.Close()
	return nil, eddy.Errorf(eddy.EUNAVAILABLE, "%s: the Maven repository answered %s", c, resp.Status)
}

// checksum reads a published SHA-1 file: the hex digest, maybe followed by
// a file name.
func (r *Resolver) checksum(ctx context.Context, url string, c Coordinates) (string, error) {
	body, err := r.get(ctx, url, c)
	if err != nil {
		return "", err
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, 1024))
	if err != nil {
		return "", eddy.Wrap(eddy.EUNAVAILABLE, err, "%s: reading its checksum", c)
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 || len(fields[0]) != 40 {
		return "", eddy.Errorf(eddy.EUNAVAILABLE, "%s: the repository's SHA-1 file is not a SHA-1", c)
	}
	return strings.ToLower(fields[0]), nil
}

// download copies the jar at url into w, at most MaxJarBytes, and returns
// its SHA-1.
func (r *Resolver) download(ctx context.Context, url string, c Coordinates, w io.Writer) (string, error) {
	body, err := r.get(ctx, url, c)
	if err != nil {
		return "", err
	}
	defer body.Close()
	h := sha1.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(body, MaxJarBytes+1))
	if err != nil {
		return "", eddy.Wrap(eddy.EUNAVAILABLE, err, "%s: the download broke off", c)
	}
	if n > MaxJarBytes {
		return "", eddy.Errorf(eddy.ETOOLARGE, "%s is larger than %d MiB", c, MaxJarBytes>>20)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
