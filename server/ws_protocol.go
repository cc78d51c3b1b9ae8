package server

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/eddy-notebooks/eddy/notebooks"
)

// The websocket protocol, documented in docs/websocket.md. Every frame is
// one JSON object with an "op". Clients send requests (optionally with a
// reqId that the reply echoes); the server sends replies and pushes note
// events and live state. The browser's web/src/protocol.ts mirrors these.

// ProtocolVersion is the websocket protocol version this server speaks.
const ProtocolVersion = 2

// Bounds of the websocket, named so tests and docs can refer to them.
const (
	// DefaultMaxMessageBytes bounds one incoming message; a larger one ends
	// the connection (close code 1009), as the browser client never sends one.
	DefaultMaxMessageBytes = 5 << 20
	// sendQueueLen bounds the replies and note events waiting for a slow
	// client. Past it a note event is replaced by a fresh note snapshot
	// (resync) and a reply ends the connection; live state is never queued.
	sendQueueLen = 256
	// maxSubscriptions bounds the notes one connection follows.
	maxSubscriptions = 32
	// writeWait bounds one write, pongWait the silence after which the
	// connection is presumed dead; pings go out every pingPeriod.
	writeWait  = 10 * time.Second
	pongWait   = 60 * time.Second
	pingPeriod = 25 * time.Second
	// requestTimeout bounds the store or sessions work of one request.
	requestTimeout = 30 * time.Second
	// maxReqIDBytes bounds the reqId a client may send (echoed back).
	maxReqIDBytes = 128
	// liveCompressionLevel is the deflate level of every message to a
	// client that negotiated permessage-deflate. Measured on the live
	// delta of bench/wsload's table (BenchmarkLiveFrameCompression): level
	// 1 makes it 5.6-6.0x smaller than the old whole-row JSON, 6 6.6-7.5x,
	// 9 no better than 6. Live frames and other messages from 1 KB are
	// compressed once for all the viewers that get them, so the slower
	// level (a few ms for a 17 KB delta on a loaded machine) is paid once
	// per update, not per viewer.
	liveCompressionLevel = 6
)

// Client → server ops.
const (
	opHello           = "hello"
	opPing            = "ping"
	opSubscribe       = "subscribe"
	opUnsubscribe     = "unsubscribe"
	opEditParagraph   = "edit-paragraph"
	opAddParagraph    = "add-paragraph"
	opMoveParagraph   = "move-paragraph"
	opDeleteParagraph = "delete-paragraph"
	opRun             = "run"
	opCancel          = "cancel"
	opRunAll          = "run-all"
	opEditNote        = "edit-note"
	opClearOutput     = "clear-output"
)

// Server → client ops.
const (
	opWelcome          = "welcome"
	opPong             = "pong"
	opAck              = "ack"
	opError            = "error"
	opNote             = "note"
	opNoteRemoved      = "note-removed"
	opParagraph        = "paragraph"
	opParagraphAdded   = "paragraph-added"
	opParagraphMoved   = "paragraph-moved"
	opParagraphRemoved = "paragraph-removed"
	opLive             = "live"
)

// Error codes of error replies beyond eddy's (invalid, not_found, conflict,
// unavailable, internal, ...).
const (
	codeUnknownOp          = "unknown_op"
	codeUnsupportedVersion = "unsupported_version"
	codeHelloFirst         = "hello_first" // an op other than hello or ping before the welcome
)

// clientMsg is any client request; which fields matter depends on Op.
type clientMsg struct {
	Op          string           `json:"op"`
	ReqID       json.RawMessage  `json:"reqId,omitempty"`
	Protocol    int              `json:"protocol,omitempty"`
	NoteID      string           `json:"noteId,omitempty"`
	ParagraphID string           `json:"paragraphId,omitempty"`
	Text        *string          `json:"text,omitempty"`
	Title       *string          `json:"title,omitempty"`
	Config      map[string]any   `json:"config,omitempty"`
	Index       *int             `json:"index,omitempty"`
	Seen        map[string]int64 `json:"seen,omitempty"`
	// Params (edit-paragraph) and NoteParams (edit-note) set form values:
	// merged key by key, a null value returns the form to its default.
	Params     map[string]any `json:"params,omitempty"`
	NoteParams map[string]any `json:"noteParams,omitempty"`
}

// validReqID accepts a JSON string or number of bounded size.
func validReqID(id json.RawMessage) bool {
	if len(id) == 0 {
		return true
	}
	if len(id) > maxReqIDBytes {
		return false
	}
	var v any
	if err := json.Unmarshal(id, &v); err != nil {
		return false
	}
	switch v.(type) {
	case string, float64:
		return true
	}
	return false
}

type welcomeMsg struct {
	Op              string          `json:"op"`
	ReqID           json.RawMessage `json:"reqId,omitempty"`
	Protocol        int             `json:"protocol"`
	ConnID          string          `json:"connId"`
	HeartbeatMs     int64           `json:"heartbeatMs"`
	MaxMessageBytes int64           `json:"maxMessageBytes"`
}

type pongMsg struct {
	Op    string          `json:"op"`
	ReqID json.RawMessage `json:"reqId,omitempty"`
}

// ackMsg answers a request that succeeded. For is the request's op.
type ackMsg struct {
	Op        string               `json:"op"`
	ReqID     json.RawMessage      `json:"reqId,omitempty"`
	For       string               `json:"for"`
	Paragraph *notebooks.Paragraph `json:"paragraph,omitempty"`
	Index     *int                 `json:"index,omitempty"`
}

// errorMsg answers a request that failed, or a message that was not a
// valid request. The connection stays open.
type errorMsg struct {
	Op      string          `json:"op"`
	ReqID   json.RawMessage `json:"reqId,omitempty"`
	For     string          `json:"for,omitempty"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Details any             `json:"details,omitempty"` // structured, for some codes (capacity_exceeded)
}

// noteMsg is a full note: the reply to subscribe, and a resync.
type noteMsg struct {
	Op     string          `json:"op"`
	NoteID string          `json:"noteId"`
	Note   *notebooks.Note `json:"note"`
	Reason string          `json:"reason"` // subscribe, changed, resync
}

type noteRemovedMsg struct {
	Op     string `json:"op"`
	NoteID string `json:"noteId"`
}

// paragraphMsg carries a paragraph after an edit or a run-state change.
type paragraphMsg struct {
	Op        string               `json:"op"`
	NoteID    string               `json:"noteId"`
	Paragraph *notebooks.Paragraph `json:"paragraph"`
	// ResultsLive says that the paragraph is running with a live result,
	// which viewers have from live messages: its stored results are left
	// out and the viewer keeps the copy it has.
	ResultsLive bool `json:"resultsLive,omitempty"`
}

type paragraphAddedMsg struct {
	Op        string               `json:"op"`
	NoteID    string               `json:"noteId"`
	Index     int                  `json:"index"`
	Paragraph *notebooks.Paragraph `json:"paragraph"`
}

type paragraphMovedMsg struct {
	Op          string `json:"op"`
	NoteID      string `json:"noteId"`
	ParagraphID string `json:"paragraphId"`
	Index       int    `json:"index"`
}

type paragraphRemovedMsg struct {
	Op          string `json:"op"`
	NoteID      string `json:"noteId"`
	ParagraphID string `json:"paragraphId"`
}

// liveMsg carries live state. Full means every paragraph with live state is
// listed (the first live message after subscribe); otherwise only those
// that changed for this client.
type liveMsg struct {
	Op         string            `json:"op"`
	NoteID     string            `json:"noteId"`
	Full       bool              `json:"full,omitempty"`
	Paragraphs []json.RawMessage `json:"paragraphs"` // kernel.ParagraphLive, encoded once for all viewers (liveCache)
	Session    any               `json:"session,omitempty"`
	SentAt     int64             `json:"sentAt"` // server clock, Unix ms: lets clients measure delivery latency
	// Removed lists paragraphs whose live state is gone (their output was
	// cleared): viewers show what is stored for them instead.
	Removed []string `json:"removed,omitempty"`
}

// encode marshals a server message. Messages are plain data; an error here
// is a bug, reported as an internal error message instead.
func encode(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b, _ := json.Marshal(errorMsg{Op: opError, Code: "internal", Message: "could not encode a message"})
		return b
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}
