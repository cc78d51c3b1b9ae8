package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eddy-notebooks/eddy/access"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// call sends a request with an Authorization header value (none when
// auth is "") and returns the status and body.
func (ts *testServer) call(tb testing.TB, auth, method, path, body string) (int, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, ts.URL()+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// share creates a link through the API as the start-up admin.
func (ts *testServer) share(tb testing.TB, noteID, body string) shareCreated {
	tb.Helper()
	code, b := ts.call(tb, testToken, "POST", "/api/v1/notebook/"+noteID+"/shares", body)
	if code != http.StatusCreated {
		tb.Fatalf("create share: %d %s", code, b)
	}
	var out shareCreated
	if err := json.Unmarshal(b, &out); err != nil {
		tb.Fatal(err)
	}
	return out
}

// dialAs opens a websocket with a bearer token as its subprotocol, as the
// shared view does, and says hello.
func (ts *testServer) dialAs(tb testing.TB, token string) *wsClient {
	tb.Helper()
	d := *websocket.DefaultDialer
	d.Subprotocols = []string{"eddy", wsBearerProtocol + token}
	conn, _, err := d.Dial("ws://"+ts.Addr()+"/ws", http.Header{"Origin": {"http://" + ts.Addr()}})
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	c := &wsClient{tb: tb, conn: conn}
	c.send(map[string]any{"op": "hello", "protocol": ProtocolVersion})
	c.expect("welcome")
	return c
}

// expectClosed reads until the server closes the connection and returns
// the close frame's text.
func expectClosed(tb testing.TB, c *wsClient) string {
	tb.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := c.conn.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if ok := asCloseError(err, &ce); ok {
				return ce.Text
			}
			tb.Fatalf("connection ended without a close frame: %v", err)
		}
	}
}

func asCloseError(err error, target **websocket.CloseError) bool {
	ce, ok := err.(*websocket.CloseError)
	if ok {
		*target = ce
	}
	return ok
}

func TestAccess_ViewLink(t *testing.T) {
	ts := MustOpenServer(t)
	id := ts.mustCreateNote(t, "/shared/live", "%flink.ssql\nSELECT 1", "%md hello")
	other := ts.mustCreateNote(t, "/private/other", "%md secret")
	link := ts.share(t, id, `{"scope":"view"}`)
	if !strings.HasPrefix(link.Token, access.SharePrefix) || len(link.Token) < len(access.SharePrefix)+43 {
		t.Fatalf("token %q: want eddy_share_ and 256 bits", link.Token)
	}
	if !strings.HasSuffix(link.URL, "/view/"+id+"#share="+link.Token) {
		t.Fatalf("url %q", link.URL)
	}
	n := ts.mustGetNote(t, id)

	// It reads its note, and nothing else.
	if code, b := ts.call(t, link.Token, "GET", "/api/notebook/"+id, ""); code != 200 || !strings.Contains(string(b), "hello") {
		t.Fatalf("read its note: %d %s", code, b)
	}
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/api/notebook/" + other, ""},                                               // another note (IDOR)
		{"GET", "/api/notebook", ""},                                                        // the list
		{"POST", "/api/v1/sessions", `{"noteId":"` + id + `"}`},                             // a session
		{"POST", "/api/notebook/job/" + id + "/" + n.Paragraphs[0].ID, "{}"},                // run
		{"DELETE", "/api/notebook/job/" + id + "/" + n.Paragraphs[0].ID, ""},                // cancel
		{"PUT", "/api/notebook/" + id + "/paragraph/" + n.Paragraphs[1].ID, `{"text":"x"}`}, // edit
		{"POST", "/api/v1/notebook/" + id + "/shares", `{"scope":"edit"}`},                  // widen itself
	} {
		before := ts.snapshot(t)
		if code, b := ts.call(t, link.Token, r.method, r.path, r.body); code != http.StatusForbidden {
			t.Errorf("%s %s with a view link: %d %s, want 403", r.method, r.path, code, b)
		}
		if ts.snapshot(t) != before {
			t.Errorf("%s %s with a view link changed the stored state", r.method, r.path)
		}
	}

	// On the websocket: it follows the note, and may not run or edit.
	c := ts.dialAs(t, link.Token)
	mustAck(t, c.request(map[string]any{"op": "subscribe", "noteId": id}))
	mustErrCode(t, c.request(map[string]any{"op": "run", "noteId": id, "paragraphId": n.Paragraphs[0].ID}), "forbidden")
	mustErrCode(t, c.request(map[string]any{"op": "edit-paragraph", "noteId": id, "paragraphId": n.Paragraphs[1].ID, "text": "x"}), "forbidden")
	mustErrCode(t, c.request(map[string]any{"op": "subscribe", "noteId": other}), "forbidden")

	// Revoked: refused at once, and its open websocket is closed.
	if code, b := ts.call(t, testToken, "DELETE", "/api/v1/shares/"+link.ID, ""); code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", code, b)
	}
	if text := expectClosed(t, c); !strings.Contains(text, "revoked") {
		t.Errorf("close reason %q", text)
	}
	if code, b := ts.call(t, link.Token, "GET", "/api/notebook/"+id, ""); code != http.StatusUnauthorized || !strings.Contains(string(b), "revoked") {
		t.Fatalf("revoked link: %d %s", code, b)
	}
	var list struct {
		Shares []access.Share `json:"shares"`
	}
	_, b := ts.call(t, testToken, "GET", "/api/v1/notebook/"+id+"/shares", "")
	if err := json.Unmarshal(b, &list); err != nil || len(list.Shares) != 1 || !list.Shares[0].Revoked || list.Shares[0].LastUsed == nil ||
		list.Shares[0].CreatedBy != access.StartupAdmin {
		t.Fatalf("listed shares %s (%v)", b, err)
	}
	if strings.Contains(string(b), link.Token) || strings.Contains(string(b), "hash") {
		t.Fatalf("the list shows the secret: %s", b)
	}
	_, b = ts.call(t, testToken, "GET", "/api/v1/audit", "")
	var audit struct{ Events []access.Event }
	if err := json.Unmarshal(b, &audit); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, e := range audit.Events {
		seen[e.Action] = e.Actor + " " + e.Via + " " + e.NoteID
	}
	for action, want := range map[string]string{"share-created": "admin startup-token " + id, "share-used": "link:" + link.ID + " link " + id,
		"share-revoked": "admin startup-token " + id} {
		if seen[action] != want {
			t.Errorf("audit %s: %q, want %q", action, seen[action], want)
		}
	}
}

func TestAccess_ExpiredLink(t *testing.T) {
	ts := MustOpenServer(t)
	id := ts.mustCreateNote(t, "/shared/expiring", "%md x")
	expires := time.Now().Add(1500 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	link := ts.share(t, id, `{"scope":"view","expiresAt":"`+expires+`"}`)
	c := ts.dialAs(t, link.Token)
	mustAck(t, c.request(map[string]any{"op": "subscribe", "noteId": id}))
	if code, _ := ts.call(t, link.Token, "GET", "/api/notebook/"+id, ""); code != 200 {
		t.Fatalf("before expiry: %d", code)
	}
	if text := expectClosed(t, c); !strings.Contains(text, "expired") {
		t.Errorf("close reason %q", text)
	}
	if code, b := ts.call(t, link.Token, "GET", "/api/notebook/"+id, ""); code != http.StatusUnauthorized || !strings.Contains(string(b), "expired") {
		t.Fatalf("after expiry: %d %s", code, b)
	}
	if code, _ := ts.call(t, testToken, "POST", "/api/v1/notebook/"+id+"/shares", `{"scope":"view","expiresAt":"2001-01-01T00:00:00Z"}`); code != http.StatusBadRequest {
		t.Fatalf("an expiry in the past: %d, want 400", code)
	}
	if code, _ := ts.call(t, testToken, "POST", "/api/v1/notebook/"+id+"/shares", `{"scope":"admin"}`); code != http.StatusBadRequest {
		t.Fatalf("an unknown scope: %d, want 400", code)
	}
}

func TestAccess_ParagraphLink(t *testing.T) {
	ts := MustOpenServer(t)
	id := ts.mustCreateNote(t, "/shared/one", "%md shown to the link", "%md kept from the link")
	n := ts.mustGetNote(t, id)
	shown, hidden := n.Paragraphs[0].ID, n.Paragraphs[1].ID
	link := ts.share(t, id, `{"scope":"view","paragraphId":"`+shown+`"}`)
	if !strings.HasSuffix(link.URL, "/view/"+id+"/paragraph/"+shown+"#share="+link.Token) ||
		!strings.HasSuffix(link.EmbedURL, "/embed/"+id+"/"+shown+"#share="+link.Token) {
		t.Fatalf("urls %q %q", link.URL, link.EmbedURL)
	}
	code, b := ts.call(t, link.Token, "GET", "/api/notebook/"+id, "")
	if code != 200 || !strings.Contains(string(b), "shown to the link") || strings.Contains(string(b), "kept from") || strings.Contains(string(b), hidden) {
		t.Fatalf("the note through a paragraph link: %d %s", code, b)
	}
	if code, _ := ts.call(t, link.Token, "GET", "/api/notebook/"+id+"/paragraph/"+hidden, ""); code != http.StatusForbidden {
		t.Fatalf("the other paragraph: %d, want 403", code)
	}
	if code, _ := ts.call(t, link.Token, "GET", "/api/notebook/"+id+"/paragraph/"+shown, ""); code != 200 {
		t.Fatalf("its paragraph: %d", code)
	}

	c := ts.dialAs(t, link.Token)
	c.send(map[string]any{"op": "subscribe", "noteId": id})
	note := c.expect("note")
	raw, _ := json.Marshal(note)
	if strings.Contains(string(raw), hidden) || !strings.Contains(string(raw), shown) {
		t.Fatalf("subscribed note: %s", raw)
	}
	// An edit of the other paragraph does not reach it; one of its own does.
	ts.do(t, "PUT", "/api/notebook/"+id+"/paragraph/"+hidden, map[string]any{"text": "%md still kept"}).mustOK(t, nil)
	ts.do(t, "PUT", "/api/notebook/"+id+"/paragraph/"+shown, map[string]any{"text": "%md shown, edited"}).mustOK(t, nil)
	m := c.expect("paragraph")
	if p := m["paragraph"].(map[string]any); p["id"] != shown {
		t.Fatalf("an event of another paragraph reached the link: %v", m)
	}
	// A paragraph link never learns of paragraphs added around it.
	ts.do(t, "POST", "/api/notebook/"+id+"/paragraph", map[string]any{"text": "%md new"}).mustOK(t, nil)
	ts.do(t, "PUT", "/api/notebook/"+id+"/paragraph/"+shown, map[string]any{"text": "%md shown, again"}).mustOK(t, nil)
	for {
		m := c.read()
		if m["op"] == "paragraph-added" {
			t.Fatalf("a paragraph link heard of an added paragraph: %v", m)
		}
		if m["op"] == "paragraph" {
			break
		}
	}
}

func TestAccess_Permissions(t *testing.T) {
	ts := MustOpenServer(t)
	ctx := context.Background()
	alice, err := ts.access.CreateUser(ctx, "alice", "alice-password", access.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := ts.access.CreateUser(ctx, "bob", "bob-password-1", access.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	aliceTok, _, _ := ts.access.CreateToken(ctx, alice.ID, "t")
	bobTok, _, _ := ts.access.CreateToken(ctx, bob.ID, "t")

	// A new note is its creator's alone.
	code, b := ts.call(t, aliceTok, "POST", "/api/notebook", `{"name":"/alice/private"}`)
	if code != 200 {
		t.Fatalf("create: %d %s", code, b)
	}
	var created struct{ Body string }
	_ = json.Unmarshal(b, &created)
	id := created.Body
	if code, _ := ts.call(t, bobTok, "GET", "/api/notebook/"+id, ""); code != http.StatusNotFound {
		t.Fatalf("bob reads alice's note: %d, want 404", code)
	}
	_, b = ts.call(t, bobTok, "GET", "/api/notebook", "")
	if strings.Contains(string(b), id) {
		t.Fatalf("bob's list shows alice's note: %s", b)
	}
	if code, _ := ts.call(t, testToken, "GET", "/api/notebook/"+id, ""); code != 200 {
		t.Fatalf("an admin reads every note: %d", code)
	}

	// Alice makes bob a reader: he reads and follows it, cannot run or edit.
	perms := `{"owners":["alice"],"writers":["alice"],"runners":["alice"],"readers":["bob"]}`
	if code, b := ts.call(t, aliceTok, "PUT", "/api/notebook/"+id+"/permissions", perms); code != 200 {
		t.Fatalf("set permissions: %d %s", code, b)
	}
	if code, _ := ts.call(t, bobTok, "GET", "/api/notebook/"+id, ""); code != 200 {
		t.Fatalf("reader: %d", code)
	}
	if code, _ := ts.call(t, bobTok, "PUT", "/api/notebook/"+id+"/rename", `{"name":"/bob/took"}`); code != http.StatusForbidden {
		t.Fatalf("a reader renames: %d, want 403", code)
	}
	if code, _ := ts.call(t, bobTok, "PUT", "/api/notebook/"+id+"/permissions", `{"owners":["bob"]}`); code != http.StatusForbidden {
		t.Fatalf("a reader changes permissions: %d, want 403", code)
	}
	if code, b := ts.call(t, aliceTok, "PUT", "/api/notebook/"+id+"/permissions", `{"owners":["bob"],"readers":["alice"]}`); code != http.StatusBadRequest {
		t.Fatalf("an owner drops herself: %d %s, want 400", code, b)
	}
	c := ts.dialAs(t, bobTok)
	mustAck(t, c.request(map[string]any{"op": "subscribe", "noteId": id}))
	// Taken away: his open websocket is closed.
	if code, _ := ts.call(t, aliceTok, "PUT", "/api/notebook/"+id+"/permissions", `{"owners":["alice"],"writers":["alice"],"runners":["alice"],"readers":["alice"]}`); code != 200 {
		t.Fatal("set permissions")
	}
	if text := expectClosed(t, c); !strings.Contains(text, "access") {
		t.Errorf("close reason %q", text)
	}

	// Folder defaults: notes created under /team start with them, the
	// creator an owner.
	if code, b := ts.call(t, testToken, "PUT", "/api/v1/folders/permissions?path=/team", `{"owners":[],"writers":["bob"],"runners":[],"readers":["bob","alice"]}`); code != 200 {
		t.Fatalf("folder defaults: %d %s", code, b)
	}
	_, b = ts.call(t, aliceTok, "POST", "/api/notebook", `{"name":"/team/q3/report"}`)
	_ = json.Unmarshal(b, &created)
	_, b = ts.call(t, aliceTok, "GET", "/api/notebook/"+created.Body+"/permissions", "")
	var got struct{ Body access.Permissions }
	_ = json.Unmarshal(b, &got)
	if strings.Join(got.Body.Owners, ",") != "alice" || strings.Join(got.Body.Writers, ",") != "bob" {
		t.Fatalf("a note under /team got %s", b)
	}
	if code, _ := ts.call(t, bobTok, "PUT", "/api/notebook/"+created.Body+"/paragraph/none", `{"text":"x"}`); code == http.StatusForbidden {
		t.Fatalf("bob, a writer by the folder's defaults, may not edit")
	}
}

func TestAccess_Login(t *testing.T) {
	ts := MustOpenServer(t)
	ctx := context.Background()
	if _, err := ts.access.CreateUser(ctx, "carol", "carol-password", access.RoleMember); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	login := func(name, password string) (int, []byte) {
		resp, err := browser.Post(ts.URL()+"/api/v1/login", "application/json", strings.NewReader(`{"name":"`+name+`","password":"`+password+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	// No user enumeration: a wrong name and a wrong password read the same.
	c1, b1 := login("my-secret-typed-as-name", "whatever-pass")
	c2, b2 := login("carol", "wrong-password")
	if c1 != 401 || c2 != 401 || string(b1) != string(b2) {
		t.Fatalf("unknown name %d %s; wrong password %d %s", c1, b1, c2, b2)
	}
	if code, b := login("carol", "carol-password"); code != 200 || strings.Contains(string(b), "argon2") || strings.Contains(string(b), "password") {
		t.Fatalf("login: %d %s", code, b)
	}
	u, _ := url.Parse(ts.URL())
	var session *http.Cookie
	for _, ck := range jar.Cookies(u) {
		if ck.Name == ts.SessionCookie() {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	resp, err := browser.Get(ts.URL() + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"name":"carol"`) {
		t.Fatalf("me: %s", b)
	}

	// Password hashes are never returned.
	_, b = ts.call(t, testToken, "GET", "/api/v1/users", "")
	if strings.Contains(string(b), "argon2") || strings.Contains(string(b), "hash") || !strings.Contains(string(b), "carol") {
		t.Fatalf("users: %s", b)
	}
	code, b := ts.call(t, testToken, "POST", "/api/v1/users", `{"name":"dave","password":"dave-password","role":"member"}`)
	if code != 201 || strings.Contains(string(b), "dave-password") || strings.Contains(string(b), "argon2") {
		t.Fatalf("create user: %d %s", code, b)
	}
	if code, _ := ts.call(t, testToken, "POST", "/api/v1/users", `{"name":"eve","password":"short"}`); code != 400 {
		t.Fatalf("a short password: %d, want 400", code)
	}

	// Rate limit: after 10 failures for a name, even the right password
	// waits, with Retry-After.
	for i := 0; i < loginFailures; i++ {
		if code, _ := login("dave", "not-the-password"); code != 401 {
			t.Fatalf("failure %d: %d", i, code)
		}
	}
	req, _ := http.NewRequest("POST", ts.URL()+"/api/v1/login", strings.NewReader(`{"name":"dave","password":"dave-password"}`))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after %d failures: %d (Retry-After %q)", loginFailures, resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	// Logout ends the session for good.
	csrf := ""
	for _, ck := range jar.Cookies(u) {
		if ck.Name == ts.CSRFCookie() {
			csrf = ck.Value
		}
	}
	req, _ = http.NewRequest("POST", ts.URL()+"/api/v1/logout", nil)
	req.Header.Set(CSRFHeader, csrf)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = browser.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %v %v", err, resp.StatusCode)
	}
	resp.Body.Close()
	req, _ = http.NewRequest("GET", ts.URL()+"/api/v1/me", nil)
	req.AddCookie(session)
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the ended session still works: %d", resp.StatusCode)
	}

	// The audit log saw it all, and never a password.
	_, b = ts.call(t, testToken, "GET", "/api/v1/audit?limit=100", "")
	for _, want := range []string{`"action":"login"`, `"action":"login-failed"`, `"action":"login-refused"`, `"action":"logout"`, `"action":"user-created"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("audit lacks %s: %.600s", want, b)
		}
	}
	if strings.Contains(string(b), "dave-password") || strings.Contains(string(b), "not-the-password") || strings.Contains(string(b), "my-secret") {
		t.Fatalf("the audit log holds a password: %s", b)
	}
}

// Deleting a user ends their tokens, sessions and open websockets, and
// keeps their name: a new account of that name would inherit the notes
// that name it.
func TestAccess_DeleteUser(t *testing.T) {
	ts := MustOpenServer(t)
	ctx := context.Background()
	u, err := ts.access.CreateUser(ctx, "frank", "frank-password", access.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, _ := ts.access.CreateToken(ctx, u.ID, "t")
	id := ts.mustCreateNote(t, "/shared/franks", "%md x")
	if code, _ := ts.call(t, testToken, "PUT", "/api/notebook/"+id+"/permissions", `{"owners":["admin"],"readers":["frank"]}`); code != 200 {
		t.Fatal("permissions")
	}
	c := ts.dialAs(t, tok)
	mustAck(t, c.request(map[string]any{"op": "subscribe", "noteId": id}))
	if code, b := ts.call(t, testToken, "DELETE", "/api/v1/users/"+u.ID, ""); code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", code, b)
	}
	if text := expectClosed(t, c); !strings.Contains(text, "deleted") {
		t.Errorf("close reason %q", text)
	}
	if code, _ := ts.call(t, tok, "GET", "/api/notebook/"+id, ""); code != http.StatusUnauthorized {
		t.Fatalf("a deleted user's token: %d, want 401", code)
	}
	if code, b := ts.call(t, testToken, "POST", "/api/v1/users", `{"name":"Frank","password":"another-password"}`); code != http.StatusConflict {
		t.Fatalf("a new account named like the deleted one: %d %s, want 409", code, b)
	}
	if _, b := ts.call(t, testToken, "GET", "/api/v1/users", ""); strings.Contains(string(b), "frank") {
		t.Fatalf("the deleted user is listed: %s", b)
	}
	if code, _ := ts.call(t, testToken, "DELETE", "/api/v1/users/"+ts.admin.ID, ""); code != http.StatusConflict {
		t.Fatalf("deleting the start-up admin: %d, want 409", code)
	}
}

// A run that carries new text saves it, so it needs write: a run link (or
// a runner) may run the stored text, or send it unchanged, but not change it.
func TestAccess_RunWithTextIsAnEdit(t *testing.T) {
	fs := newFakeSessions()
	ts := MustOpenServer(t, func(c *Config) { c.Sessions = fs })
	fs.onRun = func(noteID, pid string) {
		go fs.finish(noteID, pid, notebooks.StatusFinished, &notebooks.Result{Code: notebooks.ResultSuccess}, "")
	}
	id := ts.mustCreateNote(t, "/shared/run", "%md stored")
	pid := ts.mustGetNote(t, id).Paragraphs[0].ID
	run := ts.share(t, id, `{"scope":"run"}`)
	c := ts.dialAs(t, run.Token)
	mustErrCode(t, c.request(map[string]any{"op": "run", "noteId": id, "paragraphId": pid, "text": "%md rewritten"}), "forbidden")
	if got := ts.mustGetNote(t, id).Paragraphs[0].Text; got != "%md stored" {
		t.Fatalf("a run link rewrote the paragraph: %q", got)
	}
	mustAck(t, c.request(map[string]any{"op": "run", "noteId": id, "paragraphId": pid, "text": "%md stored"}))
	edit := ts.share(t, id, `{"scope":"edit"}`)
	e := ts.dialAs(t, edit.Token)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := e.request(map[string]any{"op": "run", "noteId": id, "paragraphId": pid, "text": "%md rewritten"})
		if r["op"] == "ack" {
			break
		}
		if r["code"] != "conflict" || time.Now().After(deadline) { // the first run may still be ending
			t.Fatalf("an edit link's run with text: %v", r)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := ts.mustGetNote(t, id).Paragraphs[0].Text; got != "%md rewritten" {
		t.Fatalf("an edit link's run did not save its text: %q", got)
	}
	// The audit log has the run link's one run, not its refused one.
	_, b := ts.call(t, testToken, "GET", "/api/v1/audit", "")
	var audit struct{ Events []access.Event }
	if err := json.Unmarshal(b, &audit); err != nil {
		t.Fatal(err)
	}
	runs := 0
	for _, e := range audit.Events {
		if e.Action == "run" && e.Actor == "link:"+run.ID && e.Via == access.ViaLink && e.NoteID == id {
			runs++
		}
	}
	if runs != 1 {
		t.Fatalf("the run link's runs in the audit log: %d, want 1: %s", runs, b)
	}
}

// A note whose permissions are not stored yet (it is being created) is
// the admins' alone; an example note is everyone's.
func TestAccess_NoteWithoutPermissions(t *testing.T) {
	ts := MustOpenServer(t)
	ctx := context.Background()
	u, _ := ts.access.CreateUser(ctx, "gail", "gail-password", access.RoleMember)
	tok, _, _ := ts.access.CreateToken(ctx, u.ID, "t")
	n, err := ts.store.CreateNote(ctx, notebooks.NoteCreate{Path: "/half/made"})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := ts.call(t, tok, "GET", "/api/notebook/"+n.ID, ""); code != http.StatusNotFound {
		t.Fatalf("a member reads a note without permissions: %d, want 404", code)
	}
	if _, b := ts.call(t, tok, "GET", "/api/notebook", ""); strings.Contains(string(b), n.ID) {
		t.Fatalf("a member lists a note without permissions: %s", b)
	}
	if code, _ := ts.call(t, testToken, "GET", "/api/notebook/"+n.ID, ""); code != 200 {
		t.Fatalf("an admin reads it: %d", code)
	}
	code, b := ts.call(t, tok, "POST", "/api/v1/examples/stock-ticks-analysis", "")
	var ex struct{ NoteID string }
	if err := json.Unmarshal(b, &ex); err != nil || code != http.StatusCreated {
		t.Fatalf("install an example: %d %s", code, b)
	}
	other, _ := ts.access.CreateUser(ctx, "hal", "hal-password", access.RoleMember)
	otherTok, _, _ := ts.access.CreateToken(ctx, other.ID, "t")
	if code, _ := ts.call(t, otherTok, "PUT", "/api/notebook/"+ex.NoteID+"/rename", `{"name":"/Examples/mine"}`); code != 200 {
		t.Fatalf("another member owns the example too: %d", code)
	}
}
