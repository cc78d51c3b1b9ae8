package server

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/access"
	"github.com/eddy-notebooks/eddy/kernel"
)

// conn is one websocket connection (this file is its transport; the
// requests it serves are in ws_requests.go). readLoop is its only reader and
// writeLoop its only writer. Replies and note events wait in a bounded
// queue (send); live state is never queued: the hub sets a flag per note
// and wakes the writer, which asks the sessions service for what this client lacks
// when it is ready to write. A slow client therefore receives the latest
// state, coalesced, and costs a fixed amount of memory.
type conn struct {
	h    *hub
	ws   *websocket.Conn
	id   string
	send chan []byte   // encoded replies and note events, in order; at most sendQueueLen
	wake chan struct{} // capacity 1: live state changed or a resync is due
	quit chan struct{} // closed to make the writer say goodbye and stop

	ctx    context.Context // ends with the connection; parent of request contexts
	cancel context.CancelFunc

	quitOnce  sync.Once
	closeCode int    // written once, before quit is closed
	closeText string // idem

	mu    sync.Mutex           // guards views and the flags inside them
	views map[string]*noteView // followed notes, by id

	greeted bool // hello was answered with welcome; read goroutine only

	// principal is who the connection is, fixed at the upgrade.
	principal *access.Principal
}

// only is the one paragraph a paragraph link's connection sees, "" for all.
func (c *conn) only() string {
	if c.principal != nil && c.principal.Share != nil {
		return c.principal.Share.ParagraphID
	}
	return ""
}

// follows reports whether c follows the note.
func (c *conn) follows(noteID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.views[noteID] != nil
}

// noteView is what one connection knows of one followed note.
type noteView struct {
	// Guarded by conn.mu: set by the reader and the hub, taken by the writer.
	live    bool             // live state changed since the writer last looked
	resync  bool             // note events were dropped: send the whole note
	reset   bool             // (re)subscribed: next live message is full
	pending bool             // subscribed, but the note is not queued yet: send no live state
	seenReq map[string]int64 // result sequences the client said it has

	// Owned by the writer goroutine.
	seen        map[string]int64  // result sequence sent, per paragraph
	sent        map[string]uint64 // hash of the status fields sent, per paragraph
	sessionSent []byte            // session state sent
}

func newConn(h *hub, ws *websocket.Conn) *conn {
	ctx, cancel := context.WithCancel(h.ctx)
	return &conn{
		h:      h,
		ws:     ws,
		id:     newConnID(),
		send:   make(chan []byte, sendQueueLen),
		wake:   make(chan struct{}, 1),
		quit:   make(chan struct{}),
		ctx:    ctx,
		cancel: cancel,
		views:  map[string]*noteView{},
	}
}

// shutdown asks the writer to send a close frame (code 0: none) and stop.
func (c *conn) shutdown(code int, text string) {
	c.quitOnce.Do(func() {
		c.closeCode, c.closeText = code, text
		close(c.quit)
	})
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// markLive notes that the note's live state changed.
func (c *conn) markLive(noteID string) {
	c.mu.Lock()
	v := c.views[noteID]
	if v != nil {
		v.live = true
	}
	c.mu.Unlock()
	if v != nil {
		c.signal()
	}
}

// markResync makes the writer send the whole note (after what is queued).
func (c *conn) markResync(noteID string) {
	c.mu.Lock()
	v := c.views[noteID]
	if v != nil {
		v.resync = true
	}
	c.mu.Unlock()
	if v != nil {
		c.signal()
	}
}

func (c *conn) followedNotes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]string, 0, len(c.views))
	for id := range c.views {
		ids = append(ids, id)
	}
	return ids
}

// enqueueEvent queues a note event without waiting. When the client is too
// slow to take it, the event is dropped and the note resynced instead: the
// client loses nothing, it receives the current note.
func (c *conn) enqueueEvent(noteID string, b []byte) {
	select {
	case c.send <- b:
	default:
		c.markResync(noteID)
	}
}

// reply queues a reply. A client that does not read its own replies while
// sending requests is disconnected; it reconnects and resyncs.
func (c *conn) reply(v any) { c.replyEncoded(encode(v)) }

// replyEncoded queues a reply encoded already (b is not modified).
func (c *conn) replyEncoded(b []byte) {
	select {
	case c.send <- b:
	default:
		c.shutdown(websocket.ClosePolicyViolation, "send queue full: the client does not read")
	}
}

func (c *conn) replyErr(m *clientMsg, err error) {
	code := eddy.ErrorCode(err)
	if code == eddy.EINTERNAL {
		c.h.log.Error("websocket request failed", "op", m.Op, "err", err)
	}
	c.reply(errorMsg{Op: opError, ReqID: m.ReqID, For: m.Op, Code: code, Message: eddy.ErrorMessage(err), Details: eddy.ErrorDetails(err)})
}

func (c *conn) ack(m *clientMsg, a ackMsg) {
	if len(m.ReqID) == 0 {
		return // nobody waits for it
	}
	a.Op, a.ReqID, a.For = opAck, m.ReqID, m.Op
	c.reply(a)
}

// readLoop reads and handles client messages until the connection ends.
func (c *conn) readLoop() {
	defer func() {
		c.cancel()
		c.shutdown(0, "")
		c.h.remove(c)
	}()
	c.ws.SetReadLimit(c.h.maxMsg)
	_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
		if mt != websocket.TextMessage {
			c.reply(errorMsg{Op: opError, Code: eddy.EINVALID, Message: "binary messages are not part of the protocol; send JSON text"})
			continue
		}
		if !utf8.Valid(data) {
			// RFC 6455 §8.1: text must be UTF-8; the endpoint fails the connection.
			c.shutdown(websocket.CloseInvalidFramePayloadData, "text message is not valid UTF-8")
			return
		}
		c.handle(data)
	}
}

// writeLoop is the connection's only writer.
func (c *conn) writeLoop() {
	ticker := time.NewTicker(pingPeriod)
	defer func() {
		ticker.Stop()
		_ = c.ws.Close()
	}()
	for {
		select {
		case b := <-c.send:
			if c.write(b) != nil {
				return
			}
		case <-c.wake:
			if c.flush() != nil {
				return
			}
		case <-ticker.C:
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if c.ws.WriteMessage(websocket.PingMessage, nil) != nil {
				return
			}
		case <-c.quit:
			if c.closeCode != 0 {
				_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(c.closeCode, c.closeText), time.Now().Add(writeWait))
			}
			return
		}
	}
}

// write sends b: a large message as a prepared frame shared with every
// connection sending the same bytes, a small one uncompressed.
func (c *conn) write(b []byte) error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
	var err error
	if pm := c.h.live.shared(b); pm != nil {
		err = c.ws.WritePreparedMessage(pm)
	} else {
		c.ws.EnableWriteCompression(len(b) >= sharedMinBytes)
		err = c.ws.WriteMessage(websocket.TextMessage, b)
		c.ws.EnableWriteCompression(true)
	}
	if err != nil {
		return err
	}
	c.h.metrics.WebsocketSent(len(b))
	return nil
}

// flush sends what is pending: queued replies and events first (so a
// subscribe's note precedes its live state), then for each note a resync
// and the live state this client lacks.
func (c *conn) flush() error {
	for drained := false; !drained; {
		select {
		case b := <-c.send:
			if err := c.write(b); err != nil {
				return err
			}
		default:
			drained = true
		}
	}
	type work struct {
		id                  string
		v                   *noteView
		live, resync, reset bool
		seen                map[string]int64
	}
	c.mu.Lock()
	var todo []work
	for id, v := range c.views {
		if v.pending || !v.live && !v.resync && !v.reset {
			continue // a pending view keeps its flags until its note is queued
		}
		todo = append(todo, work{id: id, v: v, live: v.live, resync: v.resync, reset: v.reset, seen: v.seenReq})
		v.live, v.resync, v.reset, v.seenReq = false, false, false, nil
	}
	c.mu.Unlock()
	for _, w := range todo {
		if w.resync {
			if err := c.sendNote(w.id, "resync"); err != nil {
				return err
			}
		}
		if w.reset {
			w.v.seen = w.seen
			if w.v.seen == nil {
				w.v.seen = map[string]int64{}
			}
			w.v.sent = map[string]uint64{}
			w.v.sessionSent = nil
		}
		if err := c.sendLive(w.id, w.v, w.reset); err != nil {
			return err
		}
	}
	return nil
}

// sendNote writes the whole note (from the writer goroutine).
func (c *conn) sendNote(noteID, reason string) error {
	ctx, cancel := context.WithTimeout(c.ctx, requestTimeout)
	defer cancel()
	n, err := c.h.notes.FindNoteByID(ctx, noteID)
	if err != nil {
		if eddy.ErrorCode(err) == eddy.ENOTFOUND {
			return c.write(encode(noteRemovedMsg{Op: opNoteRemoved, NoteID: noteID}))
		}
		c.h.log.Warn("websocket: resync failed", "note", noteID, "err", err)
		return nil
	}
	return c.write(encode(noteMsg{Op: opNote, NoteID: noteID, Note: onlyParagraph(n, c.only()), Reason: reason}))
}

// sendLive writes the live state this client lacks for a note: paragraphs
// whose status changed or whose result has news, and the session when it
// changed. A full message lists every paragraph with live state.
func (c *conn) sendLive(noteID string, v *noteView, full bool) error {
	r := c.h.sessions
	if v.seen == nil {
		v.seen = map[string]int64{}
	}
	if v.sent == nil {
		v.sent = map[string]uint64{}
	}
	all := r.LiveSince(noteID, v.seen)
	out := make([]json.RawMessage, 0, len(all))
	// key names the whole message, so viewers at the same point share one
	// prepared frame: per-connection parts (full, removed, session) are in
	// it, and in the common case (one table updating, session unchanged)
	// they are the same for everyone.
	key := make([]byte, 0, 128)
	key = append(key, noteID...)
	present := make(map[string]bool, len(all))
	only := c.only()
	for _, pl := range all {
		if only != "" && pl.ParagraphID != only {
			continue
		}
		present[pl.ParagraphID] = true
		fp := pl.StatusHash
		if fp == 0 {
			fp = kernel.StatusHash(pl)
		}
		news := pl.Result != nil && (pl.Result.Snapshot != nil || len(pl.Result.Deltas) > 0)
		if !full && !news && v.sent[pl.ParagraphID] == fp {
			continue
		}
		prev, had := v.seen[pl.ParagraphID]
		if !had {
			prev = -1
		}
		v.sent[pl.ParagraphID] = fp
		if pl.Result != nil {
			v.seen[pl.ParagraphID] = pl.Result.Seq
		} else {
			delete(v.seen, pl.ParagraphID)
		}
		b, k := c.h.live.encode(noteID, prev, fp, pl)
		out = append(out, b)
		key = append(key, "\x01"...)
		key = append(key, k...)
	}
	var removed []string
	for id := range v.sent {
		if !present[id] {
			delete(v.sent, id)
			delete(v.seen, id)
			removed = append(removed, id)
		}
	}
	slices.Sort(removed)
	msg := liveMsg{Op: opLive, NoteID: noteID, Full: full, Paragraphs: out}
	key = append(key, "\x02"...)
	key = strconv.AppendBool(key, full)
	if !full {
		msg.Removed = removed // a full message lists all there is already
		for _, id := range removed {
			key = append(key, "\x03"...)
			key = append(key, id...)
		}
	}
	// The session as JSON (null when the note has none), sent when it
	// changed: comparing bytes also catches KPU and job changes.
	sb := c.h.live.session(noteID, func() any { return r.SessionState(noteID) })
	sessionChanged := !bytes.Equal(sb, v.sessionSent)
	if sessionChanged || full {
		v.sessionSent = sb
		msg.Session = json.RawMessage(sb)
		h := fnv.New64a()
		_, _ = h.Write(sb)
		key = append(key, "\x04"...)
		key = strconv.AppendUint(key, h.Sum64(), 16)
	}
	if len(out) == 0 && len(msg.Removed) == 0 && !full && !sessionChanged {
		return nil
	}
	pm, size := c.h.live.frame(string(key), func() []byte {
		msg.SentAt = time.Now().UnixMilli() // when the frame was built, shared by its viewers
		return encode(msg)
	})
	if pm == nil {
		return c.write(encode(msg))
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
	if err := c.ws.WritePreparedMessage(pm); err != nil {
		return err
	}
	c.h.metrics.WebsocketSent(size)
	return nil
}
