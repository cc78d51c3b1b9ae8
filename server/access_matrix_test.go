package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/access"
	"github.com/eddy-notebooks/eddy/applications"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// The access matrix: every route of the OpenAPI document and every
// websocket op, tried as every kind of principal, against what the issue
// of sharing says each may do. The expectations below are written from
// those rules, not read from routeRules, so a wrong rule fails here; a
// documented route without an expectation fails too.

// Expectation classes. "note:L" is level L on the route's note (a whole-
// note link up to its scope, never own; a paragraph link only on routes
// naming its paragraph, or "+para" routes, which show it that paragraph);
// "body:L", "app:L" and "share:own" are level L for users on the note the
// body, the application or the link belongs to (never a link).
var routeExpect = map[string]string{
	"GET /api/notebook":                                                   "user",
	"POST /api/notebook":                                                  "user",
	"POST /api/notebook/import":                                           "user",
	"GET /api/notebook/export/{noteId}":                                   "note:read",
	"GET /api/notebook/{noteId}":                                          "note:read+para",
	"POST /api/notebook/{noteId}":                                         "body:read",
	"DELETE /api/notebook/{noteId}":                                       "note:own",
	"PUT /api/notebook/{noteId}/rename":                                   "note:own",
	"PUT /api/notebook/{noteId}/params":                                   "note:run",
	"PUT /api/notebook/{noteId}/clear":                                    "note:write",
	"POST /api/notebook/{noteId}/paragraph":                               "note:write",
	"GET /api/notebook/{noteId}/paragraph/{paragraphId}":                  "note:read",
	"PUT /api/notebook/{noteId}/paragraph/{paragraphId}":                  "note:write",
	"DELETE /api/notebook/{noteId}/paragraph/{paragraphId}":               "note:write",
	"PUT /api/notebook/{noteId}/paragraph/{paragraphId}/config":           "note:write",
	"POST /api/notebook/{noteId}/paragraph/{paragraphId}/move/{newIndex}": "note:write",
	"GET /api/notebook/{noteId}/revision":                                 "note:read",
	"POST /api/notebook/{noteId}/revision":                                "note:write",
	"GET /api/notebook/{noteId}/revision/{revisionId}":                    "note:read",
	"PUT /api/notebook/{noteId}/revision/{revisionId}":                    "note:write",
	"GET /api/notebook/{noteId}/permissions":                              "note:read",
	"PUT /api/notebook/{noteId}/permissions":                              "note:own",
	"POST /api/notebook/run/{noteId}/{paragraphId}":                       "note:run",
	"POST /api/notebook/job/{noteId}/{paragraphId}":                       "note:run",
	"GET /api/notebook/job/{noteId}/{paragraphId}":                        "note:read",
	"DELETE /api/notebook/job/{noteId}/{paragraphId}":                     "note:run",
	"POST /api/notebook/job/{noteId}":                                     "note:run",
	"GET /api/notebook/job/{noteId}":                                      "note:read",
	"DELETE /api/notebook/job/{noteId}":                                   "note:run",
	"PUT /api/v1/notebook/{noteId}/paragraph/{paragraphId}/clear":         "note:write",
	"GET /api/v1/notebook/{noteId}/paragraph/{paragraphId}/changelog":     "note:read",
	"GET /api/v1/notebook/{noteId}/paragraph/{paragraphId}/inspect":       "note:read",
	"POST /api/v1/notebook/{noteId}/complete":                             "note:write",
	"GET /api/v1/notebook/{noteId}/catalog":                               "note:write",
	"GET /api/v1/notebook/{noteId}/catalog/{catalog}/{database}/{object}": "note:write",
	"GET /api/v1/notebook/{noteId}/shares":                                "note:own",
	"POST /api/v1/notebook/{noteId}/shares":                               "note:own",
	"DELETE /api/v1/shares/{shareId}":                                     "share:own",
	"GET /api/v1/cluster":                                                 "user",
	"GET /api/v1/openapi.json":                                            "user",
	"GET /api/v1/sessions":                                                "user",
	"POST /api/v1/sessions":                                               "body:run",
	"GET /api/v1/sessions/{sessionId}":                                    "body:read",
	"DELETE /api/v1/sessions/{sessionId}":                                 "body:run",
	"GET /api/v1/usage":                                                   "user",
	"GET /api/v1/catalog":                                                 "user",
	"GET /api/v1/catalog/{catalog}/{database}/{object}":                   "user",
	"GET /api/v1/examples":                                                "user",
	"POST /api/v1/examples/{name}":                                        "user",
	"GET /api/v1/connectors":                                              "user",
	"POST /api/v1/connectors":                                             "admin",
	"GET /api/v1/applications":                                            "user",
	"POST /api/v1/applications":                                           "body:write",
	"POST /api/v1/applications/preview":                                   "body:read",
	"POST /api/v1/applications/apply":                                     "admin",
	"GET /api/v1/applications/{applicationId}":                            "app:read",
	"PUT /api/v1/applications/{applicationId}":                            "app:run",
	"DELETE /api/v1/applications/{applicationId}":                         "app:own",
	"POST /api/v1/applications/{applicationId}/start":                     "app:run",
	"POST /api/v1/applications/{applicationId}/stop":                      "app:run",
	"POST /api/v1/applications/{applicationId}/update":                    "app:write",
	"GET /api/v1/applications/{applicationId}/snapshots":                  "app:read",
	"POST /api/v1/applications/{applicationId}/snapshots":                 "app:run",
	"DELETE /api/v1/applications/{applicationId}/snapshots/{snapshotId}":  "app:own",
	"GET /api/v1/applications/{applicationId}/events":                     "app:read",
	"GET /api/v1/applications/{applicationId}/versions":                   "app:read",
	"POST /api/v1/applications/{applicationId}/versions":                  "app:write",
	"GET /api/v1/applications/{applicationId}/spec":                       "app:read",
	"GET /api/v1/applications/{applicationId}/manifest":                   "app:read",
	"POST /api/login":                                                     "public",
	"POST /api/login/logout":                                              "public",
	"GET /api/version":                                                    "public",
	"POST /api/v1/login":                                                  "public",
	"POST /api/v1/logout":                                                 "public",
	"GET /api/v1/me":                                                      "anyone",
	"GET /api/v1/users":                                                   "admin",
	"POST /api/v1/users":                                                  "admin",
	"DELETE /api/v1/users/{userId}":                                       "admin",
	"GET /api/v1/tokens":                                                  "user",
	"POST /api/v1/tokens":                                                 "user",
	"DELETE /api/v1/tokens/{tokenId}":                                     "user",
	"GET /api/v1/folders/permissions":                                     "user",
	"PUT /api/v1/folders/permissions":                                     "admin",
	"GET /api/v1/audit":                                                   "admin",
}

// A principal of the matrix: a user with a level on the fixture note
// (0: none, 5: admin), a link with a scope (whole note or paragraph), or
// nobody.
type matrixWho struct {
	name      string
	userLevel int    // users: 0 outsider … 4 owner, 5 admin
	scope     string // links
	paragraph bool   // a paragraph link
}

func (w matrixWho) anonymous() bool { return w.name == "anonymous" }
func (w matrixWho) link() bool      { return w.scope != "" }
func (w matrixWho) user() bool      { return !w.anonymous() && !w.link() }

var matrixPrincipals = []matrixWho{
	{name: "anonymous"},
	{name: "outsider", userLevel: 0},
	{name: "reader", userLevel: 1},
	{name: "runner", userLevel: 2},
	{name: "writer", userLevel: 3},
	{name: "owner", userLevel: 4},
	{name: "admin", userLevel: 5},
	{name: "link-view", scope: "view"},
	{name: "link-run", scope: "run"},
	{name: "link-edit", scope: "edit"},
	{name: "paragraph-link-view", scope: "view", paragraph: true},
	{name: "paragraph-link-edit", scope: "edit", paragraph: true},
}

var levelOf = map[string]int{"read": 1, "run": 2, "write": 3, "own": 4}
var scopeOf = map[string]int{"view": 1, "run": 2, "edit": 3}

// expectAllowed says whether who may call a route of class on the fixture.
func expectAllowed(class string, namesParagraph bool, who matrixWho) bool {
	kind, level, _ := strings.Cut(class, ":")
	level, para := strings.CutSuffix(level, "+para")
	switch kind {
	case "public":
		return true
	case "anyone":
		return !who.anonymous()
	case "user":
		return who.user()
	case "admin":
		return who.userLevel == 5 && who.user()
	case "note":
		if who.link() {
			return levelOf[level] < 4 && scopeOf[who.scope] >= levelOf[level] && (!who.paragraph || namesParagraph || para)
		}
		return who.user() && who.userLevel >= levelOf[level]
	case "body", "app", "share":
		return who.user() && who.userLevel >= levelOf[level]
	}
	panic("unknown class " + class)
}

// matrixServer is a server with the matrix's users and their tokens.
type matrixServer struct {
	*testServer
	fs      *fakeSessions
	tokens  map[string]string // user name → personal API token
	userIDs map[string]string
}

// matrixFixture is one note the principals act on, rebuilt after a
// request changed something.
type matrixFixture struct {
	noteID, paragraphID, otherParagraphID, revisionID, sessionID string
	shareID                                                      string            // a view link, to revoke
	links                                                        map[string]string // principal name → its link token
	victimUser                                                   string
	victimToken                                                  string // of the acting principal (or admin)
}

const matrixPassword = "matrix-password-1"

func openMatrixServer(t *testing.T) *matrixServer {
	fs := newFakeSessions()
	apps := &fakeApplications{}
	ts := MustOpenServer(t, func(c *Config) { c.Sessions = fs; c.Applications = apps })
	apps.notes = ts.store
	fs.catalog = kernel.CatalogTree{Catalogs: []kernel.CatalogNode{}}
	fs.onRun = func(noteID, pid string) {
		go fs.finish(noteID, pid, notebooks.StatusFinished, &notebooks.Result{Code: notebooks.ResultSuccess}, "")
	}
	ms := &matrixServer{testServer: ts, fs: fs, tokens: map[string]string{}, userIDs: map[string]string{}}
	ctx := context.Background()
	for _, w := range matrixPrincipals {
		if !w.user() || w.userLevel == 5 {
			continue
		}
		u, err := ts.access.CreateUser(ctx, w.name, matrixPassword, access.RoleMember)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := ts.access.CreateToken(ctx, u.ID, "matrix")
		if err != nil {
			t.Fatal(err)
		}
		ms.tokens[w.name], ms.userIDs[w.name] = tok, u.ID
	}
	ms.tokens["admin"], ms.userIDs["admin"] = testToken, ts.admin.ID
	return ms
}

var victims int

// fixture builds a fresh note owned as the matrix says, with links,
// a revision, a session, a user and a token to delete.
func (ms *matrixServer) fixture(t *testing.T, actor matrixWho) *matrixFixture {
	t.Helper()
	ctx := context.Background()
	victims++
	n, err := ms.store.CreateNote(ctx, notebooks.NoteCreate{Path: fmt.Sprintf("/matrix/n%d", victims), DefaultInterpreterGroup: "flink",
		Paragraphs: []notebooks.ParagraphCreate{{Text: "%flink.bsql\nSELECT 1"}, {Text: "%md other"}}})
	if err != nil {
		t.Fatal(err)
	}
	f := &matrixFixture{noteID: n.ID, paragraphID: n.Paragraphs[0].ID, otherParagraphID: n.Paragraphs[1].ID, links: map[string]string{}}
	if err := ms.access.SetNotePermissions(ctx, n.ID, access.Permissions{Owners: []string{"owner"}, Writers: []string{"writer"},
		Runners: []string{"runner"}, Readers: []string{"reader"}}); err != nil {
		t.Fatal(err)
	}
	rev, err := ms.store.CheckpointNote(ctx, n.ID, "matrix")
	if err != nil {
		t.Fatal(err)
	}
	f.revisionID = rev.ID
	s, err := ms.fs.Start(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	ms.fs.mu.Lock()
	ms.fs.list = append(ms.fs.list, s)
	ms.fs.mu.Unlock()
	f.sessionID = s.ID
	for _, w := range matrixPrincipals {
		if !w.link() {
			continue
		}
		req := access.ShareRequest{NoteID: n.ID, Scope: w.scope, CreatedBy: "owner"}
		if w.paragraph {
			req.ParagraphID = f.paragraphID
		}
		tok, _, err := ms.access.CreateShare(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		f.links[w.name] = tok
	}
	_, sh, err := ms.access.CreateShare(ctx, access.ShareRequest{NoteID: n.ID, Scope: access.ScopeView, CreatedBy: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	f.shareID = sh.ID
	u, err := ms.access.CreateUser(ctx, fmt.Sprintf("victim-%d", victims), matrixPassword, access.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	f.victimUser = u.ID
	owner := ms.userIDs["admin"]
	if actor.user() {
		owner = ms.userIDs[actor.name]
	}
	_, tok, err := ms.access.CreateToken(ctx, owner, "victim")
	if err != nil {
		t.Fatal(err)
	}
	f.victimToken = tok.ID
	return f
}

// credential is the Authorization header value of who, "" for nobody.
func (ms *matrixServer) credential(f *matrixFixture, who matrixWho) string {
	switch {
	case who.anonymous():
		return ""
	case who.link():
		return "Bearer " + f.links[who.name]
	}
	return "Bearer " + ms.tokens[who.name]
}

var pathParam = regexp.MustCompile(`\{([A-Za-z]+)\}`)

// request builds the request of a route on the fixture.
func (ms *matrixServer) request(t *testing.T, f *matrixFixture, method, route string) *http.Request {
	values := map[string]string{"noteId": f.noteID, "paragraphId": f.paragraphID, "revisionId": f.revisionID,
		"sessionId": f.sessionID, "applicationId": "app-" + f.noteID, "snapshotId": "snap-1", "shareId": f.shareID,
		"userId": f.victimUser, "tokenId": f.victimToken, "catalog": "default_catalog", "database": "default_database",
		"object": "t", "newIndex": "1", "name": "stock-ticks-analysis"}
	path := pathParam.ReplaceAllStringFunc(route, func(m string) string { return url.PathEscape(values[m[1:len(m)-1]]) })
	body, contentType := "{}", "application/json"
	switch method + " " + route {
	case "POST /api/v1/sessions", "POST /api/v1/applications/preview":
		body = `{"noteId":"` + f.noteID + `"}`
	case "POST /api/v1/applications":
		body = `{"noteId":"` + f.noteID + `","name":"app"}`
	case "POST /api/notebook", "POST /api/notebook/{noteId}", "PUT /api/notebook/{noteId}/rename":
		body = `{"name":"/matrix/made"}`
	case "POST /api/notebook/import":
		body = `{"name":"imported","paragraphs":[{"text":"%md hi"}]}`
	case "POST /api/v1/login":
		body = `{"name":"owner","password":"` + matrixPassword + `"}`
	case "POST /api/login":
		body, contentType = "userName=owner&password="+matrixPassword, "application/x-www-form-urlencoded"
	case "POST /api/v1/users":
		body = fmt.Sprintf(`{"name":"made-%d","password":"%s"}`, victims, matrixPassword)
	case "POST /api/v1/tokens":
		body = `{"name":"made"}`
	case "POST /api/v1/notebook/{noteId}/shares":
		body = `{"scope":"view"}`
	case "PUT /api/notebook/{noteId}/permissions", "PUT /api/v1/folders/permissions":
		body = `{"owners":["owner"],"writers":["writer"],"runners":["runner"],"readers":["reader"]}`
	case "PUT /api/notebook/{noteId}/paragraph/{paragraphId}":
		body = `{"text":"%md edited"}`
	}
	if strings.HasPrefix(route, "/api/v1/folders") {
		path += "?path=/matrix"
	}
	req, err := http.NewRequest(method, ms.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	return req
}

// refused reports whether an answer is an access refusal: 401, 403, or
// the 404 that hides a note from who may not read it.
func refused(status int, body []byte, noteID string) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden ||
		(status == http.StatusNotFound && strings.Contains(string(body), "Note "+noteID+" not found"))
}

func TestAccess_RouteMatrix(t *testing.T) {
	ms := openMatrixServer(t)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	var routes []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			routes = append(routes, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(routes)
	for key := range routeExpect {
		if _, ok := doc.Paths[strings.SplitN(key, " ", 2)[1]]; !ok {
			t.Errorf("the matrix expects %s, which the OpenAPI document does not describe", key)
		}
	}
	var f *matrixFixture
	cells := 0
	for _, key := range routes {
		class, ok := routeExpect[key]
		if !ok {
			t.Errorf("route %s has no expectation in the access matrix: add one", key)
			continue
		}
		method, route, _ := strings.Cut(key, " ")
		for _, who := range matrixPrincipals {
			if f == nil {
				f = ms.fixture(t, who)
			}
			req := ms.request(t, f, method, route)
			if c := ms.credential(f, who); c != "" {
				req.Header.Set("Authorization", c)
			}
			resp, err := ms.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			cells++
			want := expectAllowed(class, strings.Contains(route, "{paragraphId}"), who)
			got := !refused(resp.StatusCode, body, f.noteID)
			if got != want {
				t.Errorf("%s as %s: allowed=%v, want %v (%d %.200s)", key, who.name, got, want, resp.StatusCode, body)
			}
			if got && method != http.MethodGet && resp.StatusCode < 400 {
				f = nil // it may have changed the fixture: the next cell gets a fresh one
			}
		}
	}
	t.Logf("%d routes × %d principals = %d cells", len(routes), len(matrixPrincipals), cells)
}

// wsExpect is what each websocket op needs, in routeExpect's classes;
// every op the server knows must be listed.
var wsExpect = map[string]string{
	opSubscribe:       "note:read+para",
	opUnsubscribe:     "note:read+para",
	opRun:             "note:run",
	opCancel:          "note:run",
	opRunAll:          "note:run",
	opEditParagraph:   "note:write",
	opAddParagraph:    "note:write",
	opMoveParagraph:   "note:write",
	opDeleteParagraph: "note:write",
	opEditNote:        "note:write",
	opClearOutput:     "note:write",
}

// wsNamesParagraph tells which ops name a paragraph.
var wsNamesParagraph = map[string]bool{opRun: true, opCancel: true, opEditParagraph: true, opMoveParagraph: true,
	opDeleteParagraph: true, opClearOutput: true}

func TestAccess_WebsocketMatrix(t *testing.T) {
	ms := openMatrixServer(t)
	for op := range opLevels {
		if _, ok := wsExpect[op]; !ok {
			t.Errorf("websocket op %s has no expectation in the access matrix: add one", op)
		}
	}
	var ops []string
	for op := range wsExpect {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var f *matrixFixture
	for _, op := range ops {
		for _, who := range matrixPrincipals {
			if f == nil {
				f = ms.fixture(t, who)
			}
			header := http.Header{"Origin": {"http://" + ms.Addr()}}
			dialer := *websocket.DefaultDialer
			if c := ms.credential(f, who); c != "" {
				dialer.Subprotocols = []string{"eddy", wsBearerProtocol + strings.TrimPrefix(c, "Bearer ")}
			}
			conn, resp, err := dialer.Dial("ws://"+ms.Addr()+"/ws", header)
			if who.anonymous() {
				if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s as anonymous: the upgrade was not refused with 401 (%v)", op, err)
				}
				if conn != nil {
					conn.Close()
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s as %s: dial: %v", op, who.name, err)
			}
			if conn.Subprotocol() != "eddy" {
				t.Errorf("subprotocol %q, want eddy", conn.Subprotocol())
			}
			c := &wsClient{tb: t, conn: conn}
			c.send(map[string]any{"op": "hello", "protocol": ProtocolVersion})
			c.expect("welcome")
			m := map[string]any{"op": op, "noteId": f.noteID, "paragraphId": f.paragraphID, "text": "%md ws", "index": 1, "name": "/matrix/ws"}
			if !wsNamesParagraph[op] {
				delete(m, "paragraphId")
			}
			if op == opRun {
				delete(m, "text") // a run with new text is an edit (TestAccess_RunWithTextIsAnEdit)
			}
			r := c.request(m)
			conn.Close()
			got := !(r["op"] == "error" && (r["code"] == eddy.EFORBIDDEN || r["code"] == eddy.EUNAUTHORIZED ||
				(r["code"] == eddy.ENOTFOUND && strings.Contains(fmt.Sprint(r["message"]), "Note "+f.noteID+" not found"))))
			want := expectAllowed(wsExpect[op], wsNamesParagraph[op], who)
			if got != want {
				t.Errorf("ws %s as %s: allowed=%v, want %v (%v)", op, who.name, got, want, r)
			}
			if got && op != opSubscribe && op != opUnsubscribe {
				f = nil
			}
		}
	}
}

// fakeApplications stands in for the applications manager at its boundary
// (the real one needs Flink; server/applications_test.go drives it): one
// stopped application per note, "app-" + note id, that refuses every act
// with an answer its route documents — the matrix asks only whether
// access was granted.
type fakeApplications struct {
	notes notebooks.Service
}

var _ Applications = (*fakeApplications)(nil)

var errFakeApp = eddy.Errorf(eddy.ECONFLICT, "the matrix's applications do nothing")

func (a *fakeApplications) Get(ctx context.Context, id string) (*applications.Application, error) {
	noteID, ok := strings.CutPrefix(id, "app-")
	if !ok {
		return nil, eddy.Errorf(eddy.ENOTFOUND, "no application %s", id)
	}
	if _, err := a.notes.FindNoteByID(ctx, noteID); err != nil {
		return nil, eddy.Errorf(eddy.ENOTFOUND, "no application %s", id)
	}
	now := time.Now()
	return &applications.Application{ID: id, Name: id, NoteID: noteID, NoteName: "n", Version: 1, Status: "READY",
		Parallelism: 1, CurrentParallelism: 1, AutoScalingEnabled: true, Target: "session", Tags: map[string]string{}, CreatedAt: now, UpdatedAt: now, Excluded: []applications.Exclusion{}}, nil
}

func (a *fakeApplications) Preview(context.Context, string) (*applications.Preview, error) {
	return nil, eddy.Errorf(eddy.EUNAVAILABLE, "the matrix's applications do nothing")
}
func (a *fakeApplications) Create(context.Context, applications.CreateRequest) (*applications.Application, error) {
	return nil, eddy.Errorf(eddy.EUNAVAILABLE, "the matrix's applications do nothing")
}
func (a *fakeApplications) List(context.Context) ([]*applications.Application, error) {
	return []*applications.Application{}, nil
}
func (a *fakeApplications) Delete(context.Context, string) error { return errFakeApp }
func (a *fakeApplications) Start(context.Context, string, applications.StartRequest) (*applications.Application, error) {
	return nil, errFakeApp
}
func (a *fakeApplications) Stop(context.Context, string, bool) (*applications.Application, error) {
	return nil, errFakeApp
}
func (a *fakeApplications) KubernetesManifest(context.Context, string, applications.KubernetesOptions) ([]byte, error) {
	return nil, errFakeApp
}
func (a *fakeApplications) Rescale(context.Context, string, int) (*applications.Application, error) {
	return nil, errFakeApp
}
func (a *fakeApplications) SetAutoScaling(context.Context, string, bool) (*applications.Application, error) {
	return nil, errFakeApp
}
func (a *fakeApplications) Snapshots(context.Context, string) ([]*applications.Snapshot, error) {
	return []*applications.Snapshot{}, nil
}
func (a *fakeApplications) TakeSnapshot(context.Context, string) (*applications.Snapshot, error) {
	return nil, errFakeApp
}
func (a *fakeApplications) DeleteSnapshot(context.Context, string, string) error { return errFakeApp }
func (a *fakeApplications) Update(context.Context, string, applications.UpdateRequest) (*applications.UpdateReport, error) {
	return nil, errFakeApp
}
func (a *fakeApplications) Events(context.Context, string) ([]*applications.Event, error) {
	return []*applications.Event{}, nil
}
func (a *fakeApplications) Versions(context.Context, string) ([]*applications.Version, error) {
	return []*applications.Version{}, nil
}
func (a *fakeApplications) Rebuild(context.Context, string) (*applications.Version, error) {
	return nil, errFakeApp
}
func (a *fakeApplications) Spec(context.Context, string) (*applications.Spec, error) {
	return nil, eddy.Errorf(eddy.ENOTFOUND, "the matrix's applications have no spec")
}
func (a *fakeApplications) Apply(context.Context, *applications.Spec) (string, *applications.Application, error) {
	return "", nil, errFakeApp
}
func (a *fakeApplications) Quotas() applications.Quotas          { return applications.Quotas{} }
func (a *fakeApplications) JobManagerURL(string) (string, error) { return "", errFakeApp }
