package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eddy-notebooks/eddy/server"
)

// Bounds of one load client.
const (
	// maxIncoming bounds one message from the server (a 1000-row snapshot
	// is well under 1 MiB).
	maxIncoming = 16 << 20
	// readIdle ends a connection on which nothing at all arrived for this
	// long; stalls shorter than this are caught by the phase's -stall check.
	readIdle = 30 * time.Second
	// handshakeTimeout bounds the websocket upgrade and the hello/welcome.
	handshakeTimeout = 15 * time.Second
	// pongTimeout bounds answering a ping.
	pongTimeout = 5 * time.Second
	// maxHandshakeRead bounds what is kept of the bytes read during the
	// upgrade: the response and what gorilla's reader took beyond it (at
	// most its 4 KB buffer).
	maxHandshakeRead = 16 << 10
)

// seqEpoch and seqVersion split a result sequence: epoch·2³² + table version.
func seqEpoch(seq int64) int64   { return seq >> 32 }
func seqVersion(seq int64) int64 { return seq & (1<<32 - 1) }

// serverMsg is what the harness reads of a server message: enough to follow
// the protocol and the query paragraph's result sequence, not the rows.
type serverMsg struct {
	Op       string `json:"op"`
	For      string `json:"for"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Protocol int    `json:"protocol"`
	NoteID   string `json:"noteId"`
	Reason   string `json:"reason"`
	Full     bool   `json:"full"`
	SentAt   int64  `json:"sentAt"`

	Paragraphs []liveParagraph `json:"paragraphs"`
}

// liveParagraph is the part of kernel.ParagraphLive the harness checks.
type liveParagraph struct {
	ParagraphID  string      `json:"paragraphId"`
	Status       string      `json:"status"`
	ErrorMessage string      `json:"errorMessage"`
	Result       *liveResult `json:"result"`
}

// liveResult is the part of kernel.LiveResult the harness checks.
type liveResult struct {
	Seq      int64         `json:"seq"`
	Snapshot *liveSnapshot `json:"snapshot"`
	Deltas   []liveDelta   `json:"deltas"`
}

type liveSnapshot struct {
	Version      int64 `json:"version"`
	RowsReceived int64 `json:"rowsReceived"`
}

type liveDelta struct {
	FromVersion  int64 `json:"fromVersion"`
	Version      int64 `json:"version"`
	At           int64 `json:"at"` // when eddy made it: latency is measured from here
	Reset        bool  `json:"reset"`
	RowsReceived int64 `json:"rowsReceived"`
}

// clientCounters are a client's running totals.
type clientCounters struct {
	live, liveBytes   int64 // live messages (bytes: JSON payload, as decompressed)
	other, otherBytes int64 // every other message (note, paragraph, ack, pong)
	news              int64 // live messages advancing the query's result
	deltas            int64 // deltas of the query's result received
	wire              int64 // bytes read from the TCP connection: frames as sent, compressed
	oldBytes          int64 // reference client: every message as the old protocol sent it (whole rows, uncompressed)
}

// clientStats is what one client saw during a measurement window.
type clientStats struct {
	id             int            // the client's number in the phase
	clientCounters                // during the window
	maxGap         time.Duration  // longest time without news in the window
	firstSeq       int64          // query result sequence at the window's start
	lastSeq        int64          // and at its end
	rows           int64          // rows the query received during the window
	reSnapshots    int            // snapshots in non-full live messages while holding the table, whole phase
	violations     int            // protocol order violations, whole phase
	violation      string         // the first of them
	kinds          map[string]int // violations by kind
	noteAfter      time.Duration  // from sending subscribe to receiving its note
	resyncs        int            // note resyncs (dropped note events), whole phase
	compressed     bool           // permessage-deflate was negotiated
	err            error          // the first protocol or connection error
}

// client is one websocket viewer of the note. After the upgrade it reads
// frames from the connection itself (frames.go), not through gorilla, so
// that a compressed message can be decoded once for every client that
// receives it (decode.go). Its reader goroutine is its only reader; after
// the handshake nothing writes but pongs and close, control frames that
// gorilla allows to be written concurrently. close stops it.
type client struct {
	id       int             // its number in the phase, for reports
	ws       *websocket.Conn // for the upgrade and writes
	frames   *frameReader    // reads the connection after the upgrade
	dec      *decoder        // decodes what frames reads
	noteID   string
	queryPID string // the paragraph whose live table is followed
	lat      *latencyHist
	wire     *countingConn // counts the bytes read
	// ref, for the one reference client of a phase, holds the query's
	// table and prices each update in the old protocol; nil otherwise.
	ref        *reference
	compressed bool // permessage-deflate was negotiated

	ready     chan struct{} // closed at the first result of the query paragraph
	readyOnce sync.Once
	done      chan struct{} // closed when the reader has returned

	// Owned by the reader goroutine.
	scratch bytes.Buffer     // the JSON of a message this client inflates itself
	held    map[string]int64 // result sequence held, per paragraph
	sawNote bool             // the subscribe's note has arrived
	sawLive bool             // the first (full) live message has arrived
	// subscribedAt is when subscribe was sent (set before the reader starts).
	subscribedAt time.Time

	mu             sync.Mutex // guards the fields below
	closing        bool
	err            error
	n              clientCounters
	reSnapshots    int
	violations     int
	violation      string         // the first
	violationKinds map[string]int // count by kind
	noteAfter      time.Duration  // from sending subscribe to its note
	resyncs        int
	seq            int64 // the query result's sequence
	rows           int64 // the query's rowsReceived
	window         bool  // a measurement window is open
	base           clientCounters
	baseSeq        int64
	baseRows       int64
	lastNews       time.Time
	maxGap         time.Duration
}

// dialClient connects to wsURL, says hello, subscribes to the note and
// starts reading. hist receives the delivery latency of live messages
// while a window is open.
func dialClient(ctx context.Context, wsURL, token, noteID, queryPID string, hist *latencyHist, opt dialOptions) (*client, error) {
	c, err := openConn(ctx, wsURL, http.Header{"Authorization": {"Bearer " + token}}, opt)
	if err != nil {
		return nil, err
	}
	c.noteID, c.queryPID, c.lat = noteID, queryPID, hist
	if opt.reference {
		c.ref = &reference{}
	}
	if err := c.handshake(); err != nil {
		_ = c.ws.Close()
		return nil, err
	}
	go c.readLoop()
	return c, nil
}

// openConn upgrades a connection to wsURL and returns a client ready to
// read its frames, which has not said hello yet.
func openConn(ctx context.Context, wsURL string, h http.Header, opt dialOptions) (*client, error) {
	var counter *countingConn
	d := websocket.Dialer{HandshakeTimeout: handshakeTimeout, EnableCompression: opt.compress,
		ReadBufferSize: 4096, WriteBufferSize: 1024,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := loopbackDial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			counter = &countingConn{Conn: nc, keepHead: true}
			return counter, nil
		}}
	ws, resp, err := d.DialContext(ctx, wsURL, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("websocket dial: %w (HTTP %s)", err, resp.Status)
		}
		return nil, fmt.Errorf("websocket dial: %w", err)
	}
	// gorilla read the response through a buffer that may hold the start
	// of the first frames: the frame reader reads those first.
	rest, err := counter.handshakeRest()
	if err != nil {
		_ = ws.Close()
		return nil, err
	}
	c := &client{ws: ws, wire: counter, dec: opt.decoder,
		compressed: strings.Contains(resp.Header.Get("Sec-Websocket-Extensions"), "permessage-deflate"),
		ready:      make(chan struct{}), done: make(chan struct{}), held: map[string]int64{},
		violationKinds: map[string]int{}}
	c.frames = newFrameReader(io.MultiReader(bytes.NewReader(rest), counter), maxIncoming, c.control)
	if c.dec == nil {
		c.dec = newDecoder(false)
	}
	return c, nil
}

// handshake sends hello, checks the welcome, and subscribes.
func (c *client) handshake() error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(handshakeTimeout))
	if err := c.ws.WriteJSON(map[string]any{"op": "hello", "protocol": server.ProtocolVersion, "client": "wsload", "reqId": "hello"}); err != nil {
		return fmt.Errorf("send hello: %w", err)
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(handshakeTimeout))
	dm, _, err := c.next()
	if err != nil {
		return fmt.Errorf("read welcome: %w", err)
	}
	if m := &dm.msg; m.Op != "welcome" || m.Protocol != server.ProtocolVersion {
		return fmt.Errorf("expected welcome for protocol %d, got %.200s", server.ProtocolVersion, dm.data)
	}
	c.subscribedAt = time.Now()
	if err := c.ws.WriteJSON(map[string]any{"op": "subscribe", "noteId": c.noteID, "reqId": "subscribe"}); err != nil {
		return fmt.Errorf("send subscribe: %w", err)
	}
	return nil
}

// close ends the connection with a normal close frame and waits for the
// reader to return.
func (c *client) close() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	_ = c.ws.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
	_ = c.ws.Close()
	<-c.done
}

func (c *client) fail(err error) {
	c.mu.Lock()
	if c.err == nil && !c.closing {
		c.err = err
	}
	c.mu.Unlock()
}

// Kinds of protocol violation after which a client can go on.
const (
	violLiveBeforeNote = "live before the subscribe's note"
	violFirstNotFull   = "first live after the note not full"
)

// violate records a protocol violation of a kind after which the client
// can go on.
func (c *client) violate(kind, what string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.violations == 0 {
		c.violation = what
	}
	c.violations++
	c.violationKinds[kind]++
}

// readLoop reads until the connection ends or the server breaks the
// protocol.
func (c *client) readLoop() {
	defer close(c.done)
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(readIdle))
		dm, now, err := c.next()
		if err == nil {
			err = c.handle(now, dm)
		}
		if err != nil {
			c.fail(err)
			return
		}
	}
}

// next reads the next message from the connection and decodes it. now is
// when its last byte was read: inflating and parsing it come after, and
// are not part of its delivery.
func (c *client) next() (dm *decodedMsg, now time.Time, err error) {
	m, err := c.frames.next()
	now = time.Now()
	if err != nil {
		return nil, now, fmt.Errorf("connection ended: %w", err)
	}
	dm, err = c.dec.decode(m, &c.scratch)
	return dm, now, err
}

// control answers a ping, met between messages or between the frames of
// one, with a pong carrying its payload, as gorilla's reader would.
func (c *client) control(op byte, payload []byte) error {
	if op != opPing {
		return nil
	}
	err := c.ws.WriteControl(websocket.PongMessage, payload, time.Now().Add(pongTimeout))
	if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
		return fmt.Errorf("answer a ping: %w", err)
	}
	return nil
}

// handle checks one server message against the protocol and counts it.
// dm may be shared with other clients: it is only read.
func (c *client) handle(now time.Time, dm *decodedMsg) error {
	m, data := &dm.msg, dm.data
	size := int64(len(data))
	switch m.Op {
	case "live":
		return c.handleLive(now, m, data)
	case "note":
		if m.NoteID != c.noteID {
			return fmt.Errorf("note for note %q, which was not subscribed", m.NoteID)
		}
		switch m.Reason {
		case "subscribe":
			c.sawNote = true
			c.mu.Lock()
			c.noteAfter = now.Sub(c.subscribedAt)
			c.mu.Unlock()
		case "resync":
			c.mu.Lock()
			c.resyncs++
			c.mu.Unlock()
		}
	case "ack":
		if m.For != "subscribe" {
			return fmt.Errorf("unexpected ack for %q", m.For)
		}
	case "paragraph", "pong":
	case "error":
		return fmt.Errorf("server error for %q: %s: %s", m.For, m.Code, m.Message)
	default:
		return fmt.Errorf("unexpected op %q: %.200s", m.Op, data)
	}
	c.mu.Lock()
	c.n.other++
	c.n.otherBytes += size
	if c.ref != nil {
		c.n.oldBytes += size + frameHeader(size)
	}
	c.mu.Unlock()
	return nil
}

// handleLive follows the result sequences of a live message.
func (c *client) handleLive(now time.Time, m *serverMsg, data []byte) error {
	size := int64(len(data))
	if m.NoteID != c.noteID {
		return fmt.Errorf("live state for note %q, which was not subscribed", m.NoteID)
	}
	// The protocol promises the subscribe's note, then a full live message.
	// Out of order is recorded (it fails the run) but the client goes on:
	// the sequences below must still hold.
	if !c.sawLive {
		switch {
		case !c.sawNote:
			c.violate(violLiveBeforeNote, fmt.Sprintf("%s arrived %s after subscribe, before the subscribe's note",
				describeLive(m), now.Sub(c.subscribedAt).Round(time.Millisecond)))
		case !m.Full:
			c.violate(violFirstNotFull, "the first live message after the subscribe's note is not full: "+describeLive(m))
		default:
			c.sawLive = true
		}
	}
	_, heldQuery := c.held[c.queryPID]
	var news, snapshot bool
	var seq, rows, deltas, at int64
	for _, p := range m.Paragraphs {
		if p.ParagraphID == c.queryPID && p.Status != "RUNNING" && p.Status != "PENDING" {
			return fmt.Errorf("query paragraph is %s: %.300s", p.Status, p.ErrorMessage)
		}
		if p.Result == nil {
			if _, had := c.held[p.ParagraphID]; had && p.ParagraphID == c.queryPID {
				return errors.New("query paragraph lost its result")
			}
			continue
		}
		adv, snap, r, err := c.apply(p.ParagraphID, p.Result)
		if err != nil {
			return err
		}
		if p.ParagraphID == c.queryPID {
			news, snapshot, seq, rows, deltas = adv, snap, p.Result.Seq, r, int64(len(p.Result.Deltas))
			for _, d := range p.Result.Deltas {
				at = max(at, d.At)
			}
		}
	}
	var old int64 = -1
	if c.ref != nil {
		var err error
		if old, err = c.ref.follow(data, c.queryPID); err != nil {
			return err
		}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	c.n.live++
	c.n.liveBytes += size
	if old >= 0 {
		c.n.oldBytes += old
	}
	if snapshot && heldQuery && !m.Full {
		c.reSnapshots++ // a snapshot nobody asked for: this client fell behind
	}
	if news {
		c.seq = seq
		if rows > 0 {
			c.rows = rows
		}
		c.n.news++
		c.n.deltas += deltas
		if c.window {
			c.maxGap = max(c.maxGap, now.Sub(c.lastNews))
			c.lastNews = now
		}
		c.readyOnce.Do(func() { close(c.ready) })
	}
	// Update latency: from the moment eddy made the newest delta (its
	// version became what viewers are sent) to this read, both on this
	// machine's clock. Snapshots are connection set-up, not updates.
	if c.window && news && !snapshot && at > 0 {
		c.lat.add(now.Sub(time.UnixMilli(at)))
	}
	return nil
}

// describeLive summarises a live message for an error report.
func describeLive(m *serverMsg) string {
	parts := []string{fmt.Sprintf("live (full=%t, sentAt %d)", m.Full, m.SentAt)}
	for _, p := range m.Paragraphs {
		what := "no result"
		switch r := p.Result; {
		case r != nil && r.Snapshot != nil:
			what = fmt.Sprintf("snapshot v%d", r.Snapshot.Version)
		case r != nil:
			what = fmt.Sprintf("%d deltas to seq %d", len(r.Deltas), r.Seq)
		}
		parts = append(parts, fmt.Sprintf("%s %s: %s", p.ParagraphID, p.Status, what))
	}
	return strings.Join(parts, "; ")
}

// apply checks a paragraph's result against the sequence held: a snapshot
// replaces it (and must not go back); deltas must continue it without a
// gap in the same epoch and end at the result's sequence. It reports
// whether the result advanced the sequence, whether it was a snapshot, and
// the rows received it reports (0: not said).
func (c *client) apply(pid string, res *liveResult) (advanced, snapshot bool, rows int64, err error) {
	held, had := c.held[pid]
	if res.Snapshot != nil {
		if seqVersion(res.Seq) != res.Snapshot.Version {
			return false, false, 0, fmt.Errorf("paragraph %s: snapshot at version %d carries seq %d", pid, res.Snapshot.Version, res.Seq)
		}
		if had && res.Seq < held {
			return false, false, 0, fmt.Errorf("paragraph %s: snapshot seq %d is older than the held %d", pid, res.Seq, held)
		}
		c.held[pid] = res.Seq
		return true, true, res.Snapshot.RowsReceived, nil
	}
	if !had {
		return false, false, 0, fmt.Errorf("paragraph %s: deltas (seq %d) without a snapshot first", pid, res.Seq)
	}
	if seqEpoch(res.Seq) != seqEpoch(held) {
		return false, false, 0, fmt.Errorf("paragraph %s: deltas of epoch %d for a table of epoch %d", pid, seqEpoch(res.Seq), seqEpoch(held))
	}
	v := seqVersion(held)
	for _, d := range res.Deltas {
		if d.FromVersion > v {
			return false, false, 0, fmt.Errorf("paragraph %s: gap: delta from version %d, client holds %d", pid, d.FromVersion, v)
		}
		if d.Version <= v {
			return false, false, 0, fmt.Errorf("paragraph %s: stale delta to version %d, client holds %d", pid, d.Version, v)
		}
		v = d.Version
		rows = d.RowsReceived
	}
	if seqVersion(res.Seq) != v {
		return false, false, 0, fmt.Errorf("paragraph %s: deltas end at version %d but seq says %d", pid, v, seqVersion(res.Seq))
	}
	c.held[pid] = res.Seq
	return len(res.Deltas) > 0, false, rows, nil
}

// beginWindow starts a measurement window at t.
func (c *client) beginWindow(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.window, c.lastNews, c.maxGap = true, t, 0
	c.n.wire = c.wire.read.Load()
	c.base, c.baseSeq, c.baseRows = c.n, c.seq, c.rows
}

// endWindow closes the window at t and returns what happened in it; false
// when no window was open (the client became ready during it).
func (c *client) endWindow(t time.Time) (clientStats, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.window {
		return clientStats{}, false
	}
	c.window = false
	c.n.wire = c.wire.read.Load()
	s := clientStats{
		id: c.id,
		clientCounters: clientCounters{
			live: c.n.live - c.base.live, liveBytes: c.n.liveBytes - c.base.liveBytes,
			other: c.n.other - c.base.other, otherBytes: c.n.otherBytes - c.base.otherBytes,
			news: c.n.news - c.base.news, deltas: c.n.deltas - c.base.deltas,
			wire: c.n.wire - c.base.wire, oldBytes: c.n.oldBytes - c.base.oldBytes,
		},
		compressed:  c.compressed,
		maxGap:      max(c.maxGap, t.Sub(c.lastNews)),
		firstSeq:    c.baseSeq,
		lastSeq:     c.seq,
		rows:        c.rows - c.baseRows,
		reSnapshots: c.reSnapshots,
		violations:  c.violations,
		violation:   c.violation,
		kinds:       maps.Clone(c.violationKinds),
		noteAfter:   c.noteAfter,
		resyncs:     c.resyncs,
		err:         c.err,
	}
	return s, true
}

// status returns the rows the query received so far and the client's
// first error.
func (c *client) status() (rows int64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rows, c.err
}

// isReady reports whether the client has had its first snapshot.
func (c *client) isReady() bool {
	select {
	case <-c.ready:
		return true
	default:
		return false
	}
}

// dialOptions say how a client connects.
type dialOptions struct {
	compress  bool     // offer permessage-deflate, as browsers do
	reference bool     // hold the table and price updates in the old protocol
	decoder   *decoder // shared by the phase's clients; nil: the client decodes on its own
}

// countingConn counts the bytes read from a connection: the frames as the
// server sent them, compressed or not, with their headers.
type countingConn struct {
	net.Conn
	read atomic.Int64
	// While keepHead is set (during the upgrade, by the dialing goroutine
	// alone) the first maxHandshakeRead bytes read are kept in head.
	keepHead bool
	head     []byte
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	if c.keepHead {
		c.head = append(c.head, p[:min(n, maxHandshakeRead-len(c.head))]...)
	}
	return n, err
}

// handshakeRest stops keeping bytes and returns those read during the
// upgrade after the HTTP response: the start of the first frames, which
// gorilla's buffered reader holds and the client's frame reader must read
// first.
func (c *countingConn) handshakeRest() ([]byte, error) {
	head := c.head
	c.keepHead, c.head = false, nil
	if c.read.Load() > int64(len(head)) {
		return nil, fmt.Errorf("the upgrade read over %d bytes", maxHandshakeRead)
	}
	rest, err := handshakeEnd(head)
	return bytes.Clone(rest), err
}

// latencyHist counts update latencies (eddy making a delta to this
// client's read) in 1 ms buckets up to maxLatencyMs. It is safe for concurrent use.
type latencyHist struct {
	mu     sync.Mutex // guards counts
	counts [maxLatencyMs + 1]int64
}

// maxLatencyMs bounds the histogram; slower deliveries count in the last bucket.
const maxLatencyMs = 10_000

func (h *latencyHist) add(d time.Duration) {
	ms := min(max(d.Milliseconds(), 0), maxLatencyMs)
	h.mu.Lock()
	h.counts[ms]++
	h.mu.Unlock()
}

// quantiles returns the latency in ms at each quantile of qs (ascending,
// 0..1; 1 is the maximum) and the number of samples.
func (h *latencyHist) quantiles(qs ...float64) ([]int64, int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var total int64
	for _, n := range h.counts {
		total += n
	}
	out := make([]int64, len(qs))
	if total == 0 {
		return out, 0
	}
	var seen int64
	k := 0
	for ms, n := range h.counts {
		seen += n
		for k < len(qs) && float64(seen) >= qs[k]*float64(total) {
			out[k] = int64(ms)
			k++
		}
	}
	return out, total
}
