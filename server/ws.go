package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"hash/maphash"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/access"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// hub owns the websocket connections: which connection follows which note,
// the live-state watches of followed notes, and the subscription to committed
// note changes. It is the one guarded struct that owns the client set
// (STYLE: gorilla chat hub); each connection has exactly one reader and one
// writer goroutine, and nothing ever waits on a slow client.
type hub struct {
	notes    notebooks.Service
	sessions Sessions
	log      *slog.Logger
	upgrader websocket.Upgrader
	maxMsg   int64

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // connection and hub goroutines

	live    liveCache               // encoded live state shared by viewers at the same point
	reads   *sharedReads[*noteRead] // subscribes' note reads, shared when they arrive together and kept while the note is unchanged
	metrics Metrics                 // connections and messages sent; set before the first connection

	// allow decides whether a principal may act on a note (Server.allowNote);
	// record writes an audit event. Set before the first connection.
	allow  func(ctx context.Context, p *access.Principal, noteID, paragraphID string, l access.Level) error
	record func(p *access.Principal, action, noteID, detail string)

	mu        sync.Mutex                // guards the fields below
	conns     map[*conn]struct{}        // every open connection
	followers map[string]*noteFollowers // note id → connections that follow it
	started   bool                      // the change-following goroutine runs
	closed    bool
}

// noteFollowers are the connections following one note and the live-state
// watch that exists while there is at least one.
type noteFollowers struct {
	conns map[*conn]struct{}
	stop  func()        // stops the live-state watch
	done  chan struct{} // closed when the last follower has left
}

func newHub(notes notebooks.Service, sessions Sessions, log *slog.Logger, maxMsg int64) *hub {
	if maxMsg <= 0 {
		maxMsg = DefaultMaxMessageBytes
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &hub{
		notes:     notes,
		sessions:  sessions,
		log:       log,
		maxMsg:    maxMsg,
		ctx:       ctx,
		cancel:    cancel,
		conns:     map[*conn]struct{}{},
		followers: map[string]*noteFollowers{},
		metrics:   noMetrics{},
		live:      liveCache{metrics: noMetrics{}, seed: maphash.MakeSeed()},
	}
	h.reads = newSharedReads(ctx, func(ctx context.Context, id string) (*noteRead, error) {
		n, err := notes.FindNoteByID(ctx, id) // notes is read at call time: tests build hubs without a store
		if err != nil {
			return nil, err
		}
		return &noteRead{note: n}, nil
	})
	if cs, ok := notes.(notebooks.ChangeSequencer); ok {
		h.reads.version = cs.NoteChangeSeq
	}
	h.upgrader = websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 16384,
		CheckOrigin:     sameOrigin,
		// A browser that sends a bearer token as a subprotocol
		// (auth.go) is answered with this one.
		Subprotocols: []string{"eddy"},
		// permessage-deflate (no context takeover) when the client offers
		// it; live frames are compressed once per version for all viewers
		// (liveCache), so compression costs CPU per update, not per viewer.
		EnableCompression: true,
	}
	return h
}

// noteRead is a note as read for its subscribers, shared by them: the
// subscribe reply is encoded once for all that see the whole note.
type noteRead struct {
	note  *notebooks.Note
	once  sync.Once
	reply []byte
}

// subscribeReply returns the encoded note message answering a subscribe
// from a viewer of the whole note.
func (r *noteRead) subscribeReply() []byte {
	r.once.Do(func() {
		r.reply = encode(noteMsg{Op: opNote, NoteID: r.note.ID, Note: r.note, Reason: "subscribe"})
	})
	return r.reply
}

// sameOrigin admits requests without an Origin header (non-browser
// clients, which must still authenticate) and browser requests whose
// Origin is this host; it refuses cross-site pages, which could otherwise
// ride on the browser's cookie.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Scheme, requestScheme(r)) && strings.EqualFold(u.Host, r.Host)
}

// requestScheme is the scheme the browser used: https when the connection
// is TLS, or a TLS-terminating proxy in front says so (a page cannot set
// that header on a websocket handshake), else http.
func requestScheme(r *http.Request) string {
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return "https"
	}
	return "http"
}

// handleWS upgrades an authenticated, same-origin request to a websocket.
func (s *Server) handleWS(c echo.Context) error {
	r := c.Request()
	p, _, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if p == nil {
		return errSignIn
	}
	if !websocket.IsWebSocketUpgrade(r) {
		return eddy.Errorf(eddy.EINVALID, "this endpoint speaks websocket only")
	}
	if !sameOrigin(r) {
		return eddy.Errorf(eddy.EFORBIDDEN, "websocket from another origin refused")
	}
	return s.hub.serve(c.Response(), r, p)
}

// serve upgrades the request and starts the connection's goroutines.
func (h *hub) serve(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return eddy.Errorf(eddy.EUNAVAILABLE, "the server is shutting down")
	}
	h.mu.Unlock()
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil // the upgrader has answered the client
	}
	// Only used when the client negotiated compression.
	_ = ws.SetCompressionLevel(liveCompressionLevel)
	c := newConn(h, ws)
	c.principal = p
	if p.Share != nil && p.Share.ExpiresAt != nil {
		// An expiring link's connection ends when the link does.
		stop := time.AfterFunc(time.Until(*p.Share.ExpiresAt), func() { c.shutdown(websocket.ClosePolicyViolation, "the share link expired") })
		context.AfterFunc(c.ctx, func() { stop.Stop() })
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		_ = ws.Close()
		return nil
	}
	h.conns[c] = struct{}{}
	h.metrics.WebsocketOpened()
	h.startLocked()
	h.wg.Add(2)
	h.mu.Unlock()
	go func() {
		defer h.wg.Done()
		c.readLoop()
	}()
	go func() {
		defer h.wg.Done()
		c.writeLoop()
	}()
	return nil
}

// startLocked starts following committed note changes, once. The caller holds h.mu.
func (h *hub) startLocked() {
	if h.started {
		return
	}
	h.started = true
	sub := h.notes.Subscribe()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer sub.Close()
		h.followChanges(sub)
	}()
}

// Close ends every connection with a going-away close frame, stops the
// live-state watches and the change subscription, and waits for the hub's
// goroutines until ctx is done.
func (h *hub) Close(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.shutdown(websocket.CloseGoingAway, "server shutting down")
	}
	h.cancel()
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// closeWhere closes the connections match selects, telling them why: a
// revoked link, a deleted account, a permission taken away.
func (h *hub) closeWhere(reason string, match func(c *conn) bool) {
	h.mu.Lock()
	var hit []*conn
	for c := range h.conns {
		if match(c) {
			hit = append(hit, c)
		}
	}
	h.mu.Unlock()
	for _, c := range hit {
		c.shutdown(websocket.ClosePolicyViolation, reason)
	}
}

// remove forgets a connection that has ended, with its subscriptions.
func (h *hub) remove(c *conn) {
	h.mu.Lock()
	if _, ok := h.conns[c]; ok {
		delete(h.conns, c)
		h.metrics.WebsocketClosed()
	}
	h.mu.Unlock()
	for _, id := range c.followedNotes() {
		h.unfollow(id, c)
	}
}

// follow adds c to the note's followers, starting a live-state watch for the
// first one.
func (h *hub) follow(noteID string, c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	f := h.followers[noteID]
	if f == nil {
		f = &noteFollowers{conns: map[*conn]struct{}{}, done: make(chan struct{})}
		h.followers[noteID] = f
		ch, stop := h.sessions.Watch(noteID)
		f.stop = stop
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			h.relayLive(noteID, ch, f)
		}()
	}
	f.conns[c] = struct{}{}
}

// unfollow removes c from the note's followers, stopping the live-state watch
// with the last one.
func (h *hub) unfollow(noteID string, c *conn) {
	h.mu.Lock()
	f := h.followers[noteID]
	var stop func()
	if f != nil {
		delete(f.conns, c)
		if len(f.conns) == 0 {
			delete(h.followers, noteID)
			stop = f.stop
			f.stop = nil
			close(f.done)
		}
	}
	h.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// followersOf returns the connections following a note.
func (h *hub) followersOf(noteID string) []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.followers[noteID]
	if f == nil {
		return nil
	}
	out := make([]*conn, 0, len(f.conns))
	for c := range f.conns {
		out = append(out, c)
	}
	return out
}

// relayLive marks the note's live state dirty for its followers each time
// the sessions signal. Marking is a flag and a non-blocking wake: a slow
// client simply takes the latest state when its writer is next free.
func (h *hub) relayLive(noteID string, ch <-chan struct{}, f *noteFollowers) {
	for {
		select {
		case <-h.ctx.Done():
			h.stopWatch(noteID, f)
			return
		case <-f.done:
			return // the last follower left; unfollow stopped the watch
		case <-ch:
		}
		h.live.signalled(noteID)
		h.mu.Lock()
		conns := make([]*conn, 0, len(f.conns))
		for c := range f.conns {
			conns = append(conns, c)
		}
		h.mu.Unlock()
		for _, c := range conns {
			c.markLive(noteID)
		}
	}
}

func (h *hub) stopWatch(noteID string, f *noteFollowers) {
	h.mu.Lock()
	stop := f.stop
	f.stop = nil
	if h.followers[noteID] == f {
		delete(h.followers, noteID)
		close(f.done)
	}
	h.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// followChanges turns committed note changes (REST edits, other tabs, the
// kernel's run state) into messages for the note's followers. One store
// read per change serves every follower.
func (h *hub) followChanges(sub *notebooks.Subscription) {
	for {
		ch, err := sub.Next(h.ctx)
		if err != nil {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, notebooks.ErrSubscriptionClosed) {
				h.log.Error("websocket hub: note changes stopped", "err", err)
			}
			return
		}
		h.applyChange(ch)
	}
}

func (h *hub) applyChange(ch notebooks.Change) {
	if ch.Kind == notebooks.ChangeResync {
		// Changes were dropped: every follower reloads what it shows.
		h.mu.Lock()
		var all []*conn
		var ids []string
		for id, f := range h.followers {
			for c := range f.conns {
				all = append(all, c)
				ids = append(ids, id)
			}
		}
		h.mu.Unlock()
		for i, c := range all {
			c.markResync(ids[i])
		}
		return
	}
	conns := h.followersOf(ch.NoteID)
	if len(conns) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(h.ctx, requestTimeout)
	defer cancel()
	msg, err := h.changeMessage(ctx, ch)
	if err != nil {
		if eddy.ErrorCode(err) != eddy.ENOTFOUND {
			h.log.Warn("websocket hub: reading a changed note", "note", ch.NoteID, "err", err)
		}
		for _, c := range conns {
			c.markResync(ch.NoteID)
		}
		return
	}
	if msg == nil {
		return
	}
	b := encode(msg)
	for _, c := range conns {
		if only := c.only(); only != "" {
			// A paragraph link's viewer hears of its paragraph only.
			if m, ok := msgForParagraph(msg, only); ok {
				c.enqueueEvent(ch.NoteID, encode(m))
			}
			continue
		}
		c.enqueueEvent(ch.NoteID, b)
	}
}

// msgForParagraph returns what a viewer of paragraph only learns from a
// note event, and whether it learns anything.
func msgForParagraph(msg any, only string) (any, bool) {
	switch m := msg.(type) {
	case noteMsg:
		m.Note = onlyParagraph(m.Note, only)
		return m, true
	case noteRemovedMsg:
		return m, true
	case paragraphMsg:
		return m, m.Paragraph.ID == only
	case paragraphRemovedMsg:
		return m, m.ParagraphID == only
	}
	return nil, false // added and moved paragraphs are others
}

// onlyParagraph returns n with only the paragraph only ("" keeps all).
func onlyParagraph(n *notebooks.Note, only string) *notebooks.Note {
	if only == "" || n == nil {
		return n
	}
	out := *n
	out.Paragraphs = nil
	for _, p := range n.Paragraphs {
		if p.ID == only {
			out.Paragraphs = append(out.Paragraphs, p)
		}
	}
	return &out
}

// changeMessage builds the message for a change, or nil when followers
// need none.
func (h *hub) changeMessage(ctx context.Context, ch notebooks.Change) (any, error) {
	switch ch.Kind {
	case notebooks.ChangeNoteDeleted:
		return noteRemovedMsg{Op: opNoteRemoved, NoteID: ch.NoteID}, nil
	case notebooks.ChangeNoteMoved, notebooks.ChangeNoteUpdated, notebooks.ChangeNoteRestored, notebooks.ChangeNoteCreated:
		n, err := h.notes.FindNoteByID(ctx, ch.NoteID)
		if err != nil {
			return nil, err
		}
		return noteMsg{Op: opNote, NoteID: ch.NoteID, Note: n, Reason: "changed"}, nil
	case notebooks.ChangeParagraphUpdated, notebooks.ChangeParagraphRun:
		p, err := h.notes.FindParagraph(ctx, ch.NoteID, ch.ParagraphID)
		if err != nil {
			return nil, err
		}
		if h.resultsLive(ch.NoteID, p) {
			// A running query's table is stored every few seconds; each
			// store would otherwise send every viewer the whole table.
			out := *p
			out.Results = nil
			return paragraphMsg{Op: opParagraph, NoteID: ch.NoteID, Paragraph: &out, ResultsLive: true}, nil
		}
		return paragraphMsg{Op: opParagraph, NoteID: ch.NoteID, Paragraph: p}, nil
	case notebooks.ChangeParagraphAdded, notebooks.ChangeParagraphMoved:
		ps, err := h.notes.ListParagraphs(ctx, ch.NoteID)
		if err != nil {
			return nil, err
		}
		for i, p := range ps {
			if p.ID != ch.ParagraphID {
				continue
			}
			if ch.Kind == notebooks.ChangeParagraphAdded {
				return paragraphAddedMsg{Op: opParagraphAdded, NoteID: ch.NoteID, Index: i, Paragraph: p}, nil
			}
			return paragraphMovedMsg{Op: opParagraphMoved, NoteID: ch.NoteID, ParagraphID: p.ID, Index: i}, nil
		}
		return nil, nil // gone again already; its deletion follows
	case notebooks.ChangeParagraphDeleted:
		return paragraphRemovedMsg{Op: opParagraphRemoved, NoteID: ch.NoteID, ParagraphID: ch.ParagraphID}, nil
	}
	return nil, nil
}

// resultsLive reports whether the stored paragraph is running with a live
// result that its viewers receive in live messages, which supersede its
// stored results until the run ends (the event then carries them).
func (h *hub) resultsLive(noteID string, p *notebooks.Paragraph) bool {
	if p.Status != notebooks.StatusRunning || h.sessions == nil {
		return false
	}
	pl, ok := h.sessions.Live(noteID, p.ID)
	return ok && pl.Status == notebooks.StatusRunning && pl.Result != nil
}

// newConnID returns a random id for a connection.
func newConnID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
