package connectors

import (
	"archive/zip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/maven"
)

// mustJar writes a jar whose factory service lists factories (none: no
// service file).
func mustJar(t *testing.T, path string, factories ...string) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, _ := zw.Create("META-INF/MANIFEST.MF")
	_, _ = w.Write([]byte("Manifest-Version: 1.0\n"))
	if len(factories) > 0 {
		w, _ := zw.Create(factoryService)
		for _, c := range factories {
			_, _ = w.Write([]byte("# a comment\n" + c + "\n"))
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

type fixture struct {
	s        *Service
	restarts [][]string
	failNext bool
	jobs     int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	_ = os.MkdirAll(repo, 0o755)
	mustJar(t, filepath.Join(repo, "good-1.0.jar"), "org.example.GoodFactory")
	mustJar(t, filepath.Join(repo, "plain-1.0.jar"))
	bundled := mustJar(t, filepath.Join(dir, "kafka.jar"), "org.example.KafkaFactory", "org.example.UpsertKafkaFactory")
	f := &fixture{}
	f.s = &Service{
		Bundled: []string{bundled},
		Dir:     filepath.Join(dir, "added"),
		Fetch: func(ctx context.Context, coords string) (string, error) {
			switch coords {
			case "org.example:good:1.0":
				return filepath.Join(repo, "good-1.0.jar"), nil
			case "org.example:plain:1.0":
				return filepath.Join(repo, "plain-1.0.jar"), nil
			}
			return "", eddy.Errorf(eddy.ENOTFOUND, "%s: no such artifact", coords)
		},
		Restart: func(ctx context.Context, jars []string) error {
			f.restarts = append(f.restarts, jars)
			if f.failNext {
				f.failNext = false
				return errors.New("the JobManager did not come up")
			}
			return nil
		},
		JobsRunning: func(ctx context.Context) (int, error) { return f.jobs, nil },
	}
	return f
}

func (f *fixture) added(t *testing.T) []string {
	t.Helper()
	entries, _ := os.ReadDir(f.s.Dir)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestService_Add(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		f := newFixture(t)
		c, err := f.s.Add(ctx, "org.example:good:1.0", false)
		if err != nil || c.File != "good-1.0.jar" || c.Origin != Added || !slices.Equal(c.Factories, []string{"org.example.GoodFactory"}) {
			t.Fatalf("%+v, %v", c, err)
		}
		if len(f.restarts) != 1 || len(f.restarts[0]) != 2 || filepath.Base(f.restarts[0][1]) != "good-1.0.jar" {
			t.Fatalf("restarts %v", f.restarts)
		}
		list, err := f.s.List(ctx)
		if err != nil || len(list) != 2 || list[0].Origin != Bundled || len(list[0].Factories) != 2 || list[1].File != "good-1.0.jar" {
			t.Fatalf("list %+v, %v", list, err)
		}
		if _, err := f.s.Add(ctx, "org.example:good:1.0", false); eddy.ErrorCode(err) != eddy.ECONFLICT {
			t.Fatalf("added twice: %v", err)
		}
	})
	for _, tt := range []struct {
		name, coords string
		code         string
	}{
		{"ErrNotAConnector", "org.example:plain:1.0", eddy.EINVALID},
		{"ErrNotFound", "org.example:nope:1.0", eddy.ENOTFOUND},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if _, err := f.s.Add(ctx, tt.coords, false); eddy.ErrorCode(err) != tt.code {
				t.Fatalf("err %v, want %s", err, tt.code)
			}
			if len(f.added(t)) != 0 || len(f.restarts) != 0 {
				t.Fatalf("changed: %v, restarts %v", f.added(t), f.restarts)
			}
		})
	}
	t.Run("ErrJobsRunningUnlessForced", func(t *testing.T) {
		f := newFixture(t)
		f.jobs = 2
		_, err := f.s.Add(ctx, "org.example:good:1.0", false)
		if eddy.ErrorCode(err) != eddy.ECONFLICT || len(f.added(t)) != 0 || len(f.restarts) != 0 {
			t.Fatalf("err %v, added %v, restarts %v", err, f.added(t), f.restarts)
		}
		if _, err := f.s.Add(ctx, "org.example:good:1.0", true); err != nil || len(f.restarts) != 1 {
			t.Fatalf("forced: %v, restarts %v", err, f.restarts)
		}
	})
	t.Run("ErrRestartFailedTakesTheJarOut", func(t *testing.T) {
		f := newFixture(t)
		f.failNext = true
		_, err := f.s.Add(ctx, "org.example:good:1.0", false)
		if eddy.ErrorCode(err) != eddy.EUNAVAILABLE || len(f.added(t)) != 0 {
			t.Fatalf("err %v, added %v", err, f.added(t))
		}
		if len(f.restarts) != 2 || len(f.restarts[1]) != 1 {
			t.Fatalf("restarts %v: want one with the jar and one without", f.restarts)
		}
	})
	t.Run("ErrRemoteCluster", func(t *testing.T) {
		f := newFixture(t)
		f.s.Restart = nil
		if _, err := f.s.Add(ctx, "org.example:good:1.0", false); eddy.ErrorCode(err) != eddy.EUNAVAILABLE {
			t.Fatalf("err %v", err)
		}
	})
}

// TestSuggestions_OnMavenCentral: every suggested jar downloads from Maven
// Central (checked against its published SHA-1), is named as Suggestions
// expects, and declares table factories; one on the classpath already is
// marked installed.
func TestSuggestions_OnMavenCentral(t *testing.T) {
	r := &maven.Resolver{Dir: filepath.Join(t.TempDir(), "jars")}
	ctx := context.Background()
	var first string
	for _, sg := range suggestions {
		path, err := r.Fetch(ctx, sg.Coordinates)
		if err != nil {
			t.Fatalf("%s: %v", sg.Coordinates, err)
		}
		if filepath.Base(path) != jarName(sg.Coordinates) {
			t.Fatalf("%s downloaded as %s, want %s", sg.Coordinates, filepath.Base(path), jarName(sg.Coordinates))
		}
		if fs, err := Factories(path); err != nil || len(fs) == 0 {
			t.Fatalf("%s declares no table factory (%v)", sg.Coordinates, err)
		}
		if len(sg.Provides) == 0 || sg.Description == "" {
			t.Fatalf("%s: says nothing of what it provides", sg.Coordinates)
		}
		if first == "" {
			first = path
		}
	}
	s := &Service{Bundled: []string{first}, Dir: t.TempDir()}
	got := s.Suggestions()
	if len(got) != len(suggestions) || !got[0].Installed || slices.ContainsFunc(got[1:], func(s Suggestion) bool { return s.Installed }) {
		t.Fatalf("suggestions %+v: want only the first installed", got)
	}
}
