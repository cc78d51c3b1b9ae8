package server

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// openAPIExempt lists the routes that are not part of the HTTP API and so
// are not in the document: the browser app (its shell, deep links and static
// assets), the health check and the websocket (a protocol of its own, see
// ws_protocol.go). Every other route must be described.
func openAPIExempt(method, path string) bool {
	if method == echo.RouteNotFound { // echo's catch-alls for group middleware
		return true
	}
	switch path {
	case "/", "/healthz", "/ws", "/assets/*", "/notebook/*", "/catalog", "/applications", "/applications/*",
		"/view/*", "/embed/*", "/login", "/settings/*", "/admin/*", // pages of the app: links, sign-in, settings
		"/flink", "/flink/*", "/flink-app/:id", "/flink-app/:id/*": // Flink's own web UI and REST API, proxied (flinkui.go)
		return true
	}
	return false
}

// openAPIPath turns echo's route syntax (/a/:id/*) into OpenAPI's (/a/{id}/{*}).
func openAPIPath(echoPath string) string {
	return regexp.MustCompile(`:([A-Za-z0-9_]+)`).ReplaceAllString(echoPath, "{$1}")
}

func TestOpenAPI_DescribesEveryRoute(t *testing.T) {
	ts := MustOpenServer(t) // fully configured: every route area registered

	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q, want 3.x", doc.OpenAPI)
	}

	documented := map[string]bool{} // "GET /api/notebook/{noteId}"
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			var op struct {
				Summary   string                     `json:"summary"`
				Responses map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil || op.Summary == "" || len(op.Responses) == 0 {
				t.Errorf("%s %s: an operation needs a summary and responses (%v)", strings.ToUpper(method), path, err)
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}

	registered := map[string]bool{}
	for _, r := range ts.echo.Routes() {
		if openAPIExempt(r.Method, r.Path) {
			continue
		}
		key := r.Method + " " + openAPIPath(r.Path)
		registered[key] = true
		if !documented[key] {
			t.Errorf("route %s is registered but not described in server/openapi.json", key)
		}
	}
	for key := range documented {
		if !registered[key] {
			t.Errorf("server/openapi.json describes %s, which no handler serves", key)
		}
	}
	if len(registered) < 20 {
		t.Errorf("only %d routes found; is the server fully configured?", len(registered))
	}

	// The document is served, behind the token.
	req, _ := http.NewRequest(http.MethodGet, ts.URL()+"/api/v1/openapi.json", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var served map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&served); err != nil || resp.StatusCode != http.StatusOK || served["openapi"] != doc.OpenAPI {
		t.Fatalf("GET /api/v1/openapi.json: %d, %v", resp.StatusCode, err)
	}
	if ct := resp.Header.Get("Content-Type"); !slices.Contains([]string{"application/json", "application/json; charset=UTF-8"}, ct) {
		t.Errorf("content type %q", ct)
	}
}

// TestOpenAPI_References checks that every $ref in the document points at
// something it defines, so the document loads in OpenAPI tools.
func TestOpenAPI_References(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, isRef := x["$ref"].(string); isRef {
				node := any(doc)
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, isMap := node.(map[string]any)
					if !isMap || m[part] == nil {
						t.Errorf("dangling $ref %s", ref)
						return
					}
					node = m[part]
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
}
