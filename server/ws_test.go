package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/sessions"
)

// ---- a websocket test client ----

type wsClient struct {
	tb   testing.TB
	conn *websocket.Conn
	next int
}

func (ts *testServer) dialWS(tb testing.TB, header http.Header) (*wsClient, *http.Response, error) {
	tb.Helper()
	if header == nil {
		header = http.Header{"Authorization": {"Bearer " + testToken}}
	}
	url := "ws://" + ts.Addr() + "/ws"
	c, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		return nil, resp, err
	}
	tb.Cleanup(func() { _ = c.Close() })
	return &wsClient{tb: tb, conn: c}, resp, nil
}

func (ts *testServer) mustDialWS(tb testing.TB) *wsClient {
	tb.Helper()
	c, _, err := ts.dialWS(tb, nil)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	c.send(map[string]any{"op": "hello", "protocol": ProtocolVersion})
	if m := c.expect("welcome"); m["protocol"] != float64(ProtocolVersion) {
		tb.Fatalf("welcome = %v", m)
	}
	return c
}

func (c *wsClient) send(m map[string]any) {
	c.tb.Helper()
	if err := c.conn.WriteJSON(m); err != nil {
		c.tb.Fatalf("send %v: %v", m, err)
	}
}

// request sends m with a fresh reqId and returns the reply (ack or error).
func (c *wsClient) request(m map[string]any) map[string]any {
	c.tb.Helper()
	c.next++
	id := "q" + string(rune('0'+c.next%10)) + strings.Repeat("x", c.next/10)
	m["reqId"] = id
	c.send(m)
	for {
		r := c.read()
		if r["reqId"] == id {
			return r
		}
	}
}

func (c *wsClient) read() map[string]any {
	c.tb.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m map[string]any
	if err := c.conn.ReadJSON(&m); err != nil {
		c.tb.Fatalf("read: %v", err)
	}
	return m
}

// expect reads until a message with the op arrives (skipping others).
func (c *wsClient) expect(op string) map[string]any {
	c.tb.Helper()
	for {
		if m := c.read(); m["op"] == op {
			return m
		}
	}
}

// expectWhere reads until a message with the op satisfies ok.
func (c *wsClient) expectWhere(op string, ok func(map[string]any) bool) map[string]any {
	c.tb.Helper()
	for {
		if m := c.read(); m["op"] == op && ok(m) {
			return m
		}
	}
}

func mustErrCode(tb testing.TB, m map[string]any, code string) {
	tb.Helper()
	if m["op"] != "error" || m["code"] != code {
		tb.Fatalf("want error %q, got %v", code, m)
	}
}

func mustAck(tb testing.TB, m map[string]any) {
	tb.Helper()
	if m["op"] != "ack" {
		tb.Fatalf("want ack, got %v", m)
	}
}

func liveParagraphs(m map[string]any) []map[string]any {
	var out []map[string]any
	for _, p := range m["paragraphs"].([]any) {
		out = append(out, p.(map[string]any))
	}
	return out
}

// ---- tests ----

func TestWS_Handshake(t *testing.T) {
	ts := MustOpenServer(t)
	t.Run("ErrUnauthorized", func(t *testing.T) {
		_, resp, err := ts.dialWS(t, http.Header{})
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("dial without token: %v %v", err, resp)
		}
	})
	t.Run("ErrOtherOrigin", func(t *testing.T) {
		_, resp, err := ts.dialWS(t, http.Header{"Authorization": {"Bearer " + testToken}, "Origin": {"http://evil.example"}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("dial from another origin: %v %v", err, resp)
		}
	})
	t.Run("CookieSameOrigin", func(t *testing.T) {
		c, _, err := ts.dialWS(t, http.Header{"Cookie": {ts.SessionCookie() + "=" + ts.NewBrowserSession()}, "Origin": {"http://" + ts.Addr()}})
		if err != nil {
			t.Fatalf("dial with cookie: %v", err)
		}
		c.send(map[string]any{"op": "ping", "reqId": 7})
		if m := c.expect("pong"); m["reqId"] != float64(7) {
			t.Fatalf("pong = %v", m)
		}
	})
}

// TestWS_HelloFirstAndUTF8: before hello only ping is served; a text
// frame that is not UTF-8 fails the connection (close 1007).
func TestWS_HelloFirstAndUTF8(t *testing.T) {
	ts := MustOpenServer(t)
	id := ts.mustCreateNote(t, "n", "x")
	c, _, err := ts.dialWS(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.send(map[string]any{"op": "subscribe", "noteId": id})
	mustErrCode(t, c.read(), codeHelloFirst)
	c.send(map[string]any{"op": "run", "noteId": id, "paragraphId": "p"})
	mustErrCode(t, c.read(), codeHelloFirst)
	c.send(map[string]any{"op": "ping"})
	c.expect("pong")
	c.send(map[string]any{"op": "hello", "protocol": ProtocolVersion})
	c.expect("welcome")
	c.send(map[string]any{"op": "subscribe", "noteId": id})
	c.expect("note")

	if err := c.conn.WriteMessage(websocket.TextMessage, []byte("{\"op\":\"ping\",\"x\":\"\xff\xfe\"}")); err != nil {
		t.Fatal(err)
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.conn.ReadMessage()
		if err == nil {
			continue // live or note messages already queued
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseInvalidFramePayloadData {
			t.Fatalf("invalid UTF-8: want close 1007, got %v", err)
		}
		break
	}
}

func TestWS_BadMessagesGetErrorsNotClosed(t *testing.T) {
	ts := MustOpenServer(t, func(c *Config) { c.MaxBodyBytes = 64 << 10 })
	c := ts.mustDialWS(t)
	for _, tc := range []struct {
		name, raw, code string
	}{
		{"Malformed", `{"op":`, eddy.EINVALID},
		{"NotAnObject", `[1,2]`, eddy.EINVALID},
		{"NoOp", `{"noteId":"x"}`, eddy.EINVALID},
		{"UnknownOp", `{"op":"format-disk","reqId":"a"}`, codeUnknownOp},
		{"BadReqID", `{"op":"ping","reqId":{"x":1}}`, eddy.EINVALID},
		{"WrongType", `{"op":"move-paragraph","noteId":"n","paragraphId":"p","index":"two"}`, eddy.EINVALID},
		{"MissingNote", `{"op":"subscribe"}`, eddy.EINVALID},
		{"UnknownNote", `{"op":"subscribe","noteId":"NOPE"}`, eddy.ENOTFOUND},
		{"OldProtocol", `{"op":"hello","protocol":0}`, codeUnsupportedVersion},
		{"EmptyEdit", `{"op":"edit-paragraph","noteId":"n","paragraphId":"p"}`, eddy.EINVALID},
		{"TooDeep", `{"op":"edit-paragraph","noteId":"n","paragraphId":"p","config":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, eddy.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.conn.WriteMessage(websocket.TextMessage, []byte(tc.raw)); err != nil {
				t.Fatal(err)
			}
			mustErrCode(t, c.read(), tc.code)
		})
	}
	t.Run("Binary", func(t *testing.T) {
		_ = c.conn.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3})
		mustErrCode(t, c.read(), eddy.EINVALID)
	})
	t.Run("StillOpen", func(t *testing.T) {
		if m := c.request(map[string]any{"op": "ping"}); m["op"] != "pong" {
			t.Fatalf("ping after errors: %v", m)
		}
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		big := `{"op":"ping","pad":"` + strings.Repeat("x", 70<<10) + `"}`
		_ = c.conn.WriteMessage(websocket.TextMessage, []byte(big))
		_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _, err := c.conn.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
			t.Fatalf("oversized message: want close 1009, got %v", err)
		}
	})
}

func TestWS_EditsAreDurableAndReachOtherViewers(t *testing.T) {
	ts := MustOpenServer(t)
	noteID := ts.mustCreateNote(t, "/ws/edits", "%md one", "%md two")
	a, b := ts.mustDialWS(t), ts.mustDialWS(t)
	for _, c := range []*wsClient{a, b} {
		c.send(map[string]any{"op": "subscribe", "noteId": noteID})
		n := c.expect("note")
		if n["reason"] != "subscribe" || len(n["note"].(map[string]any)["paragraphs"].([]any)) != 2 {
			t.Fatalf("snapshot = %v", n)
		}
	}
	note := ts.mustGetNote(t, noteID)
	p0, p1 := note.Paragraphs[0].ID, note.Paragraphs[1].ID

	t.Run("TextByWebsocket", func(t *testing.T) {
		r := a.request(map[string]any{"op": "edit-paragraph", "noteId": noteID, "paragraphId": p0, "text": "%md edited", "config": map[string]any{"editorHide": true}})
		mustAck(t, r)
		if r["paragraph"].(map[string]any)["text"] != "%md edited" {
			t.Fatalf("ack = %v", r)
		}
		// Durable before the ack: the store has it.
		if got := ts.mustGetNote(t, noteID).Paragraphs[0]; got.Text != "%md edited" || got.Config["editorHide"] != true {
			t.Fatalf("stored paragraph = %+v", got)
		}
		m := b.expect("paragraph")
		if p := m["paragraph"].(map[string]any); p["id"] != p0 || p["text"] != "%md edited" {
			t.Fatalf("other viewer got %v", m)
		}
	})
	t.Run("TextByREST", func(t *testing.T) {
		ts.do(t, http.MethodPut, "/api/notebook/"+noteID+"/paragraph/"+p1, map[string]any{"text": "%md by rest"}).mustOK(t, nil)
		for _, c := range []*wsClient{a, b} {
			c.expectWhere("paragraph", func(m map[string]any) bool { return m["paragraph"].(map[string]any)["text"] == "%md by rest" })
		}
	})
	t.Run("Structure", func(t *testing.T) {
		r := a.request(map[string]any{"op": "add-paragraph", "noteId": noteID, "index": 0, "text": "%md new"})
		mustAck(t, r)
		added := r["paragraph"].(map[string]any)["id"].(string)
		if m := b.expect("paragraph-added"); m["index"] != float64(0) || m["paragraph"].(map[string]any)["id"] != added {
			t.Fatalf("added = %v", m)
		}
		mustAck(t, a.request(map[string]any{"op": "move-paragraph", "noteId": noteID, "paragraphId": added, "index": 2}))
		if m := b.expect("paragraph-moved"); m["paragraphId"] != added || m["index"] != float64(2) {
			t.Fatalf("moved = %v", m)
		}
		mustAck(t, a.request(map[string]any{"op": "delete-paragraph", "noteId": noteID, "paragraphId": added}))
		if m := b.expect("paragraph-removed"); m["paragraphId"] != added {
			t.Fatalf("removed = %v", m)
		}
		if got := paragraphTexts(ts.mustGetNote(t, noteID)); len(got) != 2 {
			t.Fatalf("paragraphs after add/move/delete: %v", got)
		}
	})
	t.Run("NoteRenamed", func(t *testing.T) {
		ts.do(t, http.MethodPut, "/api/notebook/"+noteID+"/rename", map[string]any{"name": "/ws/renamed"}).mustOK(t, nil)
		m := b.expectWhere("note", func(m map[string]any) bool { return m["reason"] == "changed" })
		if m["note"].(map[string]any)["path"] != "/ws/renamed" {
			t.Fatalf("note after rename = %v", m)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		mustErrCode(t, a.request(map[string]any{"op": "edit-paragraph", "noteId": noteID, "paragraphId": "paragraph_nope", "text": "x"}), eddy.ENOTFOUND)
	})
}

// openLiveViewer opens a server on fr with a one-paragraph note of text at
// path whose paragraph has a live table of one row, and a viewer that has
// subscribed to the note and read its note message.
func openLiveViewer(t *testing.T, fr *fakeSessions, path, text string) (ts *testServer, noteID, pid string, c *wsClient) {
	t.Helper()
	ts = MustOpenServer(t, func(c *Config) { c.Sessions = fr })
	noteID = ts.mustCreateNote(t, path, text)
	pid = ts.mustGetNote(t, noteID).Paragraphs[0].ID
	fr.setRow(noteID, pid, 1, "a", 1)
	c = ts.mustDialWS(t)
	c.send(map[string]any{"op": "subscribe", "noteId": noteID})
	c.expect("note")
	return ts, noteID, pid, c
}

func TestWS_LiveSnapshotThenDeltas(t *testing.T) {
	fr := newFakeSessions()
	fr.session = &sessions.Info{ID: "s1", State: sessions.StateBusy, KPUs: 3, Jobs: []sessions.JobInfo{}}
	_, noteID, pid, c := openLiveViewer(t, fr, "/ws/live", "%flink.ssql select 1")
	m := c.expect("live")
	ps := liveParagraphs(m)
	if m["full"] != true || len(ps) != 1 || ps[0]["result"].(map[string]any)["snapshot"] == nil {
		t.Fatalf("first live = %v", m)
	}
	if s := m["session"].(map[string]any); s["kpus"] != float64(3) {
		t.Fatalf("session = %v", m["session"])
	}
	seq := ps[0]["result"].(map[string]any)["seq"].(float64)

	fr.setRow(noteID, pid, 1, "a", 2)
	m = c.expect("live")
	res := liveParagraphs(m)[0]["result"].(map[string]any)
	if res["snapshot"] != nil || len(res["deltas"].([]any)) != 1 || res["seq"].(float64) != seq+1 {
		t.Fatalf("second live should carry one delta: %v", res)
	}
	if m["full"] == true || m["session"] != nil {
		t.Fatalf("unchanged session must not be resent: %v", m)
	}

	// A status change without new rows is sent; nothing else is.
	fr.setStatus(noteID, pid, notebooks.StatusAbort)
	m = c.expect("live")
	if p := liveParagraphs(m)[0]; p["status"] != "ABORT" || p["result"].(map[string]any)["deltas"] != nil {
		t.Fatalf("status live = %v", p)
	}

	// Resubscribing with what it has seen brings deltas, not a snapshot.
	seq = res["seq"].(float64)
	fr.setRow(noteID, pid, 2, "b", 1)
	c.send(map[string]any{"op": "subscribe", "noteId": noteID, "seen": map[string]any{pid: seq}})
	m = c.expectWhere("live", func(m map[string]any) bool { return m["full"] == true })
	res = liveParagraphs(m)[0]["result"].(map[string]any)
	if res["snapshot"] != nil || len(res["deltas"].([]any)) != 1 {
		t.Fatalf("resubscribe with seen: %v", res)
	}

	// Unsubscribing (and disconnecting) stops the runner watch.
	mustAck(t, c.request(map[string]any{"op": "unsubscribe", "noteId": noteID}))
	waitFor(t, func() bool { return fr.watchers(noteID) == 0 })
}

// TestWS_LiveRunStoresLeaveOutResults: while a paragraph runs with a live
// result, the periodic stores of its table reach viewers without the
// table (resultsLive), which live messages carry; once the run has ended
// the stored results are sent again.
func TestWS_LiveRunStoresLeaveOutResults(t *testing.T) {
	fr := newFakeSessions()
	ts, noteID, pid, c := openLiveViewer(t, fr, "/ws/stores", "%flink.ssql select k, count(*) from t group by k")
	c.expect("live")

	store := func(st notebooks.Status, table string) {
		t.Helper()
		res := &notebooks.Result{Code: "SUCCESS", Msg: []notebooks.ResultMessage{{Type: "TABLE", Data: table}}}
		if _, err := ts.store.UpdateParagraphRun(context.Background(), noteID, pid, notebooks.RunUpdate{Status: &st, Results: res}); err != nil {
			t.Fatal(err)
		}
	}
	store(notebooks.StatusRunning, "k\tn\na\t1\n")
	m := c.expect("paragraph")
	p := m["paragraph"].(map[string]any)
	if m["resultsLive"] != true || p["results"] != nil || p["status"] != "RUNNING" {
		t.Fatalf("a live run's store reached the viewer as %v", m)
	}

	fr.setStatus(noteID, pid, notebooks.StatusFinished)
	store(notebooks.StatusFinished, "k\tn\na\t2\n")
	m = c.expect("paragraph")
	p = m["paragraph"].(map[string]any)
	msgs, _ := p["results"].(map[string]any)["msg"].([]any)
	if m["resultsLive"] != nil || p["status"] != "FINISHED" || len(msgs) != 1 || msgs[0].(map[string]any)["data"] != "k\tn\na\t2\n" {
		t.Fatalf("the finished run's store reached the viewer as %v", m)
	}
}

// TestWS_SlowClientGetsLatestState: a client that stops reading never slows
// the others, and when it reads again it gets the latest state, not every
// intermediate one.
func TestWS_SlowClientGetsLatestState(t *testing.T) {
	fr := newFakeSessions()
	ts := MustOpenServer(t, func(c *Config) { c.Sessions = fr })
	noteID := ts.mustCreateNote(t, "/ws/slow", "%flink.ssql select 1")
	pid := ts.mustGetNote(t, noteID).Paragraphs[0].ID
	fr.setRow(noteID, pid, 0, "seed", 0)

	slow, fast := ts.mustDialWS(t), ts.mustDialWS(t)
	for _, c := range []*wsClient{slow, fast} {
		c.send(map[string]any{"op": "subscribe", "noteId": noteID})
		c.expect("note")
		c.expect("live")
	}
	// Each update reaches the fast client before the next is made; the slow
	// client reads nothing, so its socket buffers fill (32 KiB per delta,
	// 512 KiB per snapshot) and its writer blocks.
	pad := strings.Repeat("x", 32<<10)
	// Few enough that the stalled writer stays within its write deadline
	// (writeWait) on a loaded machine, many enough to fill the socket.
	const updates = 400
	start := time.Now()
	for i := 1; i <= updates; i++ {
		fr.setRow(noteID, pid, int64(i%16), pad, i)
		waitForLive(t, fast, pid, fakeEpoch+int64(i)+1)
	}
	t.Logf("%d updates delivered to the fast client in %s", updates, time.Since(start))
	// The slow client catches up: far fewer messages than updates.
	n := waitForLive(t, slow, pid, fakeEpoch+updates+1)
	t.Logf("%d updates: the slow client received %d live messages", updates, n)
	if n >= updates/2 {
		t.Errorf("slow client received %d live messages for %d updates; want coalescing", n, updates)
	}
}

// waitForLive reads live messages until the paragraph's result reaches seq;
// it returns how many live messages that took.
func waitForLive(t *testing.T, c *wsClient, pid string, seq int64) int {
	t.Helper()
	n := 0
	for {
		m := c.expect("live")
		n++
		for _, p := range liveParagraphs(m) {
			if p["paragraphId"] == pid && int64(p["result"].(map[string]any)["seq"].(float64)) >= seq {
				return n
			}
		}
	}
}

func TestWS_EventQueueOverflowBecomesResync(t *testing.T) {
	h := newHub(nil, newFakeSessions(), ts0Logger(), 0)
	c := newConn(h, nil)
	c.views["N"] = &noteView{}
	for range sendQueueLen {
		c.enqueueEvent("N", []byte(`{}`))
	}
	if c.views["N"].resync {
		t.Fatal("resync before the queue was full")
	}
	c.enqueueEvent("N", []byte(`{}`)) // one too many: dropped for a resync
	if !c.views["N"].resync || len(c.send) != sendQueueLen {
		t.Fatalf("resync=%v queued=%d", c.views["N"].resync, len(c.send))
	}
	select {
	case <-c.wake:
	default:
		t.Fatal("writer not woken for the resync")
	}
}

func TestWS_Runs(t *testing.T) {
	fr := newFakeSessions()
	ts := MustOpenServer(t, func(c *Config) { c.Sessions = fr })
	noteID := ts.mustCreateNote(t, "/ws/runs", "%md a")
	pid := ts.mustGetNote(t, noteID).Paragraphs[0].ID
	c := ts.mustDialWS(t)

	t.Run("RunSavesTextFirst", func(t *testing.T) {
		mustAck(t, c.request(map[string]any{"op": "run", "noteId": noteID, "paragraphId": pid, "text": "%md b"}))
		if got := ts.mustGetNote(t, noteID).Paragraphs[0].Text; got != "%md b" {
			t.Fatalf("text before run = %q", got)
		}
	})
	t.Run("CancelAndRunAll", func(t *testing.T) {
		mustAck(t, c.request(map[string]any{"op": "cancel", "noteId": noteID, "paragraphId": pid}))
		mustAck(t, c.request(map[string]any{"op": "run-all", "noteId": noteID}))
		want := []string{"run " + noteID + "/" + pid, "cancel " + noteID + "/" + pid, "runall " + noteID}
		if got := fr.callLog(); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("calls = %v, want %v", got, want)
		}
	})
	t.Run("ErrRefused", func(t *testing.T) {
		fr.mu.Lock()
		fr.err = testRefusal()
		fr.mu.Unlock()
		m := c.request(map[string]any{"op": "run", "noteId": noteID, "paragraphId": pid})
		mustErrCode(t, m, eddy.ECAPACITY)
		if !strings.Contains(m["message"].(string), "KPUs") || m["for"] != "run" {
			t.Fatalf("refusal = %v", m)
		}
		d, _ := m["details"].(map[string]any)
		holders, _ := d["holders"].([]any)
		if d["needed"] != float64(2) || d["free"] != float64(1) || len(holders) != 1 || holders[0].(map[string]any)["noteId"] != "N1" {
			t.Fatalf("refusal details = %v", m["details"])
		}
	})
}

func TestWS_CloseSaysGoingAway(t *testing.T) {
	ts := MustOpenServer(t)
	c := ts.mustDialWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.hub.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("want close 1001, got %v", err)
	}
}

func TestSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		host, origin, proto string
		ok                  bool
	}{
		{"127.0.0.1:8890", "", "", true},
		{"127.0.0.1:8890", "http://127.0.0.1:8890", "", true},
		{"eddy.local:80", "HTTP://EDDY.local:80", "", true},
		{"eddy.local:443", "https://eddy.local:443", "https", true}, // behind a TLS proxy
		{"127.0.0.1:8890", "https://127.0.0.1:8890", "", false},     // the scheme counts
		{"eddy.local:443", "http://eddy.local:443", "https", false},
		{"127.0.0.1:8890", "http://127.0.0.1:8891", "", false},
		{"127.0.0.1:8890", "null", "", false},
		{"127.0.0.1:8890", "http://evil.example", "", false},
	} {
		r, _ := http.NewRequest(http.MethodGet, "http://"+tc.host+"/ws", nil)
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if tc.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		if got := sameOrigin(r); got != tc.ok {
			t.Errorf("host %s origin %q: got %v", tc.host, tc.origin, got)
		}
	}
}

func TestValidReqID(t *testing.T) {
	for raw, ok := range map[string]bool{``: true, `"a"`: true, `12`: true, `null`: false, `{"a":1}`: false, `[1]`: false, `"` + strings.Repeat("x", 200) + `"`: false} {
		if got := validReqID(json.RawMessage(raw)); got != ok {
			t.Errorf("validReqID(%s) = %v", raw, got)
		}
	}
}

func ts0Logger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWS_CompressionAndSharedFrames: a client that offers permessage-deflate
// gets it and one that does not still works; viewers at the same point get
// the same live frame, built once (its sentAt is when it was built).
func TestWS_CompressionAndSharedFrames(t *testing.T) {
	fr := newFakeSessions()
	ts := MustOpenServer(t, func(c *Config) { c.Sessions = fr })
	noteID := ts.mustCreateNote(t, "/ws/deflate", "%flink.ssql select 1")
	pid := ts.mustGetNote(t, noteID).Paragraphs[0].ID
	fr.setRow(noteID, pid, 1, strings.Repeat("compressible ", 100), 1)

	url := "ws://" + ts.Addr() + "/ws"
	header := http.Header{"Authorization": {"Bearer " + testToken}}
	var clients []*wsClient
	for _, compress := range []bool{true, false, true} {
		d := websocket.Dialer{EnableCompression: compress}
		conn, resp, err := d.Dial(url, header)
		if err != nil {
			t.Fatalf("dial (compression %v): %v", compress, err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		ext := resp.Header.Get("Sec-Websocket-Extensions")
		if got := strings.Contains(ext, "permessage-deflate"); got != compress {
			t.Fatalf("offered compression %v, extensions %q", compress, ext)
		}
		c := &wsClient{tb: t, conn: conn}
		c.send(map[string]any{"op": "hello", "protocol": ProtocolVersion})
		c.expect("welcome")
		c.send(map[string]any{"op": "subscribe", "noteId": noteID})
		c.expect("note")
		c.expect("live")
		clients = append(clients, c)
	}
	fr.setRow(noteID, pid, 1, strings.Repeat("compressible ", 100), 2)
	var sentAt []any
	for i, c := range clients {
		m := c.expect("live")
		res := liveParagraphs(m)[0]["result"].(map[string]any)
		if ds, _ := res["deltas"].([]any); len(ds) != 1 {
			t.Fatalf("client %d: live = %v", i, m)
		}
		sentAt = append(sentAt, m["sentAt"])
	}
	if sentAt[0] != sentAt[1] || sentAt[1] != sentAt[2] {
		t.Errorf("sentAt %v: viewers at the same point got different frames", sentAt)
	}
}
