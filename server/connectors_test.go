package server

import (
	"archive/zip"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/connectors"
)

// connectorJar writes a jar that declares one Flink table factory.
func connectorJar(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, _ := zw.Create("META-INF/services/org.apache.flink.table.factories.Factory")
	_, _ = w.Write([]byte("org.example.ExampleFactory\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

func TestConnectorsAPIUnit(t *testing.T) {
	dir := t.TempDir()
	jar := connectorJar(t, filepath.Join(dir, "example-1.0.jar"))
	restarts, jobs := 0, 0
	svc := &connectors.Service{
		Dir: filepath.Join(dir, "added"),
		Fetch: func(ctx context.Context, coords string) (string, error) {
			if coords == "org.example:example:1.0" {
				return jar, nil
			}
			return "", eddy.Errorf(eddy.ENOTFOUND, "%s: no such artifact", coords)
		},
		Restart:     func(ctx context.Context, jars []string) error { restarts++; return nil },
		JobsRunning: func(ctx context.Context) (int, error) { return jobs, nil },
	}
	ts := MustOpenServer(t, func(c *Config) { c.Connectors = svc })

	var list connectorList
	getJSON(t, ts, "/api/v1/connectors", &list)
	if len(list.Connectors) != 0 || !list.CanAdd || len(list.Suggested) == 0 || list.Suggested[0].Installed {
		t.Fatalf("list %+v", list)
	}
	jobs = 1
	ts.do(t, http.MethodPost, "/api/v1/connectors", map[string]any{"coordinates": "org.example:example:1.0"}).mustFail(t, http.StatusConflict, "1 Flink job is running")
	ts.do(t, http.MethodPost, "/api/v1/connectors", map[string]any{"coordinates": "org.example:nope:1.0", "force": true}).mustFail(t, http.StatusNotFound, "no such artifact")
	ts.do(t, http.MethodPost, "/api/v1/connectors", map[string]any{"coordinates": " "}).mustFail(t, http.StatusBadRequest, "coordinates are required")
	ts.do(t, http.MethodPost, "/api/v1/connectors", "{").mustFail(t, http.StatusBadRequest, "JSON")
	if restarts != 0 {
		t.Fatalf("refused adds restarted the cluster %d times", restarts)
	}
	var added connectors.Connector
	if code := ts.native(t, http.MethodPost, "/api/v1/connectors", map[string]any{"coordinates": "org.example:example:1.0", "force": true}, &added); code != http.StatusCreated || added.File != "example-1.0.jar" || restarts != 1 {
		t.Fatalf("add: %d %+v, restarts %d", code, added, restarts)
	}
	getJSON(t, ts, "/api/v1/connectors", &list)
	if len(list.Connectors) != 1 || list.Connectors[0].Origin != connectors.Added || list.Connectors[0].Factories[0] != "org.example.ExampleFactory" {
		t.Fatalf("list after add %+v", list)
	}

	t.Run("ErrRemote", func(t *testing.T) {
		ts := MustOpenServer(t) // its connectors service runs no cluster
		var list connectorList
		getJSON(t, ts, "/api/v1/connectors", &list)
		if list.CanAdd {
			t.Fatal("canAdd without a local cluster")
		}
		ts.do(t, http.MethodPost, "/api/v1/connectors", map[string]any{"coordinates": "org.example:example:1.0"}).mustFail(t, http.StatusServiceUnavailable, "lib/")
	})
}
