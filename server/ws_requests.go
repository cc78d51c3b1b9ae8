package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/access"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// handle decodes and serves one client message. Whatever is wrong with it,
// the client gets an error reply and the connection stays open.
func (c *conn) handle(data []byte) {
	var m clientMsg
	if err := notebooks.CheckDepth("the message", data); err != nil {
		c.reply(errorMsg{Op: opError, Code: eddy.EINVALID, Message: eddy.ErrorMessage(err)})
		return
	}
	if err := json.Unmarshal(data, &m); err != nil {
		c.reply(errorMsg{Op: opError, Code: eddy.EINVALID, Message: "malformed message: " + shortJSONError(err)})
		return
	}
	if !validReqID(m.ReqID) {
		m.ReqID = nil
		c.reply(errorMsg{Op: opError, For: m.Op, Code: eddy.EINVALID, Message: "reqId must be a string or a number of at most 128 bytes"})
		return
	}
	if !c.greeted && m.Op != opHello && m.Op != opPing {
		c.reply(errorMsg{Op: opError, ReqID: m.ReqID, For: m.Op, Code: codeHelloFirst, Message: fmt.Sprintf(`send {"op":"hello","protocol":%d} first`, ProtocolVersion)})
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, requestTimeout)
	defer cancel()
	if l, onNote := opLevels[m.Op]; onNote && m.NoteID != "" {
		paragraph := m.ParagraphID
		if m.Op == opSubscribe || m.Op == opUnsubscribe {
			paragraph = c.only() // a paragraph link sees its paragraph of the note
		}
		if err := c.h.allow(ctx, c.principal, m.NoteID, paragraph, l); err != nil {
			c.replyErr(&m, err)
			return
		}
	}
	var err error
	switch m.Op {
	case opHello:
		if m.Protocol != ProtocolVersion {
			c.reply(errorMsg{Op: opError, ReqID: m.ReqID, For: m.Op, Code: codeUnsupportedVersion, Message: fmt.Sprintf("this server speaks websocket protocol %d: reload the page (or update the client)", ProtocolVersion)})
			return
		}
		c.greeted = true
		c.reply(welcomeMsg{Op: opWelcome, ReqID: m.ReqID, Protocol: ProtocolVersion, ConnID: c.id, HeartbeatMs: pingPeriod.Milliseconds(), MaxMessageBytes: c.h.maxMsg})
		return
	case opPing:
		c.reply(pongMsg{Op: opPong, ReqID: m.ReqID})
		return
	case opSubscribe:
		err = c.subscribe(ctx, &m)
	case opUnsubscribe:
		err = c.unsubscribe(&m)
	case opEditParagraph:
		err = c.editParagraph(ctx, &m)
	case opAddParagraph:
		err = c.addParagraph(ctx, &m)
	case opMoveParagraph:
		err = c.moveParagraph(ctx, &m)
	case opDeleteParagraph:
		err = c.deleteParagraph(ctx, &m)
	case opRun:
		err = c.run(ctx, &m)
	case opCancel:
		err = c.cancelParagraph(ctx, &m)
	case opRunAll:
		err = c.runAll(ctx, &m)
	case opEditNote:
		err = c.editNote(ctx, &m)
	case opClearOutput:
		err = c.clearOutputRequest(ctx, &m)
	case "":
		err = eddy.Errorf(eddy.EINVALID, "message has no op")
	default:
		c.reply(errorMsg{Op: opError, ReqID: m.ReqID, For: m.Op, Code: codeUnknownOp, Message: "unknown op " + quoteOp(m.Op)})
		return
	}
	if err != nil {
		c.replyErr(&m, err)
		return
	}
	if action := opAudit[m.Op]; action != "" {
		c.h.record(c.principal, action, m.NoteID, paragraphDetail(m.ParagraphID))
	}
}

// opLevels is what each note op needs of the connection's principal on
// the note it names; an op not listed names no note.
var opLevels = map[string]access.Level{
	opSubscribe:       access.Read,
	opUnsubscribe:     access.Read,
	opRun:             access.Run,
	opCancel:          access.Run,
	opRunAll:          access.Run,
	opEditParagraph:   access.Write,
	opAddParagraph:    access.Write,
	opMoveParagraph:   access.Write,
	opDeleteParagraph: access.Write,
	opEditNote:        access.Write,
	opClearOutput:     access.Write,
}

// opAudit names the audit action of ops the audit log records.
var opAudit = map[string]string{opRun: "run", opCancel: "cancel", opRunAll: "run-all"}

// need checks the ids a request must carry.
func need(m *clientMsg, paragraph bool) error {
	if m.NoteID == "" || len(m.NoteID) > 256 {
		return eddy.Errorf(eddy.EINVALID, "%s needs a noteId", m.Op)
	}
	if paragraph && (m.ParagraphID == "" || len(m.ParagraphID) > 256) {
		return eddy.Errorf(eddy.EINVALID, "%s needs a paragraphId", m.Op)
	}
	return nil
}

func (c *conn) subscribe(ctx context.Context, m *clientMsg) error {
	if err := need(m, false); err != nil {
		return err
	}
	c.mu.Lock()
	v := c.views[m.NoteID]
	isNew := v == nil
	if isNew && len(c.views) >= maxSubscriptions {
		c.mu.Unlock()
		return eddy.Errorf(eddy.ECONFLICT, "a connection follows at most %d notes; unsubscribe from one first", maxSubscriptions)
	}
	if isNew {
		// Pending until the note reply is queued: the protocol promises the
		// note before any live state of it.
		v = &noteView{pending: true}
		c.views[m.NoteID] = v
	}
	c.mu.Unlock()
	// Follow before reading, so no change committed after the read is missed.
	if isNew {
		c.h.follow(m.NoteID, c)
	}
	nr, err := c.h.reads.get(ctx, m.NoteID, time.Now())
	if err != nil {
		if isNew {
			c.mu.Lock()
			delete(c.views, m.NoteID)
			c.mu.Unlock()
			c.h.unfollow(m.NoteID, c)
		}
		return err
	}
	if only := c.only(); only != "" {
		c.reply(noteMsg{Op: opNote, NoteID: m.NoteID, Note: onlyParagraph(nr.note, only), Reason: "subscribe"})
	} else {
		c.replyEncoded(nr.subscribeReply())
	}
	c.mu.Lock()
	v.reset, v.pending = true, false
	v.seenReq = nil
	if len(m.Seen) <= notebooks.MaxParagraphsPerNote {
		v.seenReq = m.Seen
	}
	c.mu.Unlock()
	c.signal()
	c.ack(m, ackMsg{})
	return nil
}

func (c *conn) unsubscribe(m *clientMsg) error {
	if err := need(m, false); err != nil {
		return err
	}
	c.mu.Lock()
	_, ok := c.views[m.NoteID]
	delete(c.views, m.NoteID)
	c.mu.Unlock()
	if ok {
		c.h.unfollow(m.NoteID, c)
	}
	c.ack(m, ackMsg{})
	return nil
}

func (c *conn) editParagraph(ctx context.Context, m *clientMsg) error {
	if err := need(m, true); err != nil {
		return err
	}
	if m.Text == nil && m.Title == nil && m.Config == nil && m.Params == nil {
		return eddy.Errorf(eddy.EINVALID, "edit-paragraph needs text, title, config or params")
	}
	var upd notebooks.ParagraphUpdate
	if m.Params != nil {
		var err error
		if upd, err = paramsUpdate(ctx, c.h.notes, m.NoteID, m.ParagraphID, m.Text, m.Params); err != nil {
			return err
		}
	}
	upd.Text, upd.Title, upd.Config, upd.User = m.Text, m.Title, m.Config, notebooks.DefaultUser
	p, err := c.h.notes.UpdateParagraph(ctx, m.NoteID, m.ParagraphID, upd)
	if err != nil {
		return err
	}
	c.ack(m, ackMsg{Paragraph: p})
	return nil
}

// editNote sets note-level form values ($${...} widgets).
func (c *conn) editNote(ctx context.Context, m *clientMsg) error {
	if err := need(m, false); err != nil {
		return err
	}
	if m.NoteParams == nil {
		return eddy.Errorf(eddy.EINVALID, "edit-note needs noteParams")
	}
	upd, err := noteParamsUpdate(ctx, c.h.notes, m.NoteID, m.NoteParams)
	if err != nil {
		return err
	}
	if _, err := c.h.notes.UpdateNote(ctx, m.NoteID, upd); err != nil {
		return err
	}
	c.ack(m, ackMsg{})
	return nil
}

func (c *conn) addParagraph(ctx context.Context, m *clientMsg) error {
	if err := need(m, false); err != nil {
		return err
	}
	create := notebooks.ParagraphCreate{Index: m.Index, Config: m.Config, User: notebooks.DefaultUser}
	if m.Text != nil {
		create.Text = *m.Text
	}
	if m.Title != nil {
		create.Title = *m.Title
	}
	p, err := c.h.notes.AddParagraph(ctx, m.NoteID, create)
	if err != nil {
		return err
	}
	index := -1
	if m.Index != nil {
		index = *m.Index
	} else if ps, err := c.h.notes.ListParagraphs(ctx, m.NoteID); err == nil {
		for i, x := range ps {
			if x.ID == p.ID {
				index = i
			}
		}
	}
	c.ack(m, ackMsg{Paragraph: p, Index: &index})
	return nil
}

func (c *conn) moveParagraph(ctx context.Context, m *clientMsg) error {
	if err := need(m, true); err != nil {
		return err
	}
	if m.Index == nil {
		return eddy.Errorf(eddy.EINVALID, "move-paragraph needs an index")
	}
	if err := c.h.notes.MoveParagraph(ctx, m.NoteID, m.ParagraphID, *m.Index); err != nil {
		return err
	}
	c.ack(m, ackMsg{Index: m.Index})
	return nil
}

func (c *conn) deleteParagraph(ctx context.Context, m *clientMsg) error {
	if err := need(m, true); err != nil {
		return err
	}
	if err := c.h.notes.DeleteParagraph(ctx, m.NoteID, m.ParagraphID); err != nil {
		return err
	}
	c.ack(m, ackMsg{})
	return nil
}

// run saves the text sent with the request (durably, like an edit), then
// starts the paragraph.
func (c *conn) run(ctx context.Context, m *clientMsg) error {
	if err := need(m, true); err != nil {
		return err
	}
	if m.Text != nil {
		// A run that carries new text is an edit too: only who may write
		// saves it (a runner's page may send the text unchanged).
		p, err := c.h.notes.FindParagraph(ctx, m.NoteID, m.ParagraphID)
		if err != nil {
			return err
		}
		if p.Text != *m.Text {
			if err := c.h.allow(ctx, c.principal, m.NoteID, m.ParagraphID, access.Write); err != nil {
				return err
			}
			if _, err := c.h.notes.UpdateParagraph(ctx, m.NoteID, m.ParagraphID, notebooks.ParagraphUpdate{Text: m.Text, User: notebooks.DefaultUser}); err != nil {
				return err
			}
		}
	}
	if _, err := c.h.sessions.Run(ctx, m.NoteID, m.ParagraphID); err != nil {
		return err
	}
	c.ack(m, ackMsg{})
	return nil
}

func (c *conn) cancelParagraph(ctx context.Context, m *clientMsg) error {
	if err := need(m, true); err != nil {
		return err
	}
	if err := c.h.sessions.Cancel(ctx, m.NoteID, m.ParagraphID); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return eddy.Errorf(eddy.EUNAVAILABLE, "the paragraph did not stop within %s; it is still being cancelled", requestTimeout)
		}
		return err
	}
	c.ack(m, ackMsg{})
	return nil
}

func (c *conn) runAll(ctx context.Context, m *clientMsg) error {
	if err := need(m, false); err != nil {
		return err
	}
	if _, err := c.h.sessions.RunAll(ctx, m.NoteID); err != nil {
		return err
	}
	c.ack(m, ackMsg{})
	return nil
}

// shortJSONError keeps a decode error's message short and free of the input.
func shortJSONError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "invalid JSON"
	case errors.As(err, &te) && te.Field != "":
		return "field " + te.Field + " must be " + te.Type.String()
	}
	return "expected one JSON object"
}

func quoteOp(op string) string {
	if len(op) > 40 {
		op = op[:40] + "…"
	}
	return "\"" + strings.ToValidUTF8(op, "") + "\""
}
