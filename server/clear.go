package server

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// registerClearRoutes adds the routes that clear paragraph output:
// Zeppelin's for a whole note, and Eddy's own for one paragraph (the
// browser's way when its websocket is down).
func (s *Server) registerClearRoutes(api *echo.Group) {
	api.PUT("/notebook/:noteId/clear", s.handleClearNote)
	api.PUT("/v1/notebook/:noteId/paragraph/:paragraphId/clear", s.handleClearParagraph)
}

func (s *Server) handleClearNote(c echo.Context) error {
	return okAfter(c, clearOutput(c.Request().Context(), s.notes, s.sessions, c.Param("noteId"), ""))
}

func (s *Server) handleClearParagraph(c echo.Context) error {
	return okAfter(c, clearOutput(c.Request().Context(), s.notes, s.sessions, c.Param("noteId"), c.Param("paragraphId")))
}

// clearOutput clears the output of one paragraph of a note, or of all its
// paragraphs when paragraphID is "", as Zeppelin's clear output does: the
// stored results, error message and runtime infos (the job link) go, and
// so does the live state the note's session keeps, so every viewer shows
// the paragraph empty. Status, text, config and forms stay.
//
// A paragraph that is running (or pending) cannot be cleared: the request
// is refused with an eddy.ECONFLICT error before anything is cleared, for
// a whole note too. The note's viewers see each cleared paragraph through
// the store's change events and the live state's signal.
func clearOutput(ctx context.Context, notes notebooks.Service, sess Sessions, noteID, paragraphID string) error {
	note, err := notes.FindNoteByID(ctx, noteID)
	if err != nil {
		return err
	}
	targets := note.Paragraphs
	if paragraphID != "" {
		p, _ := note.Paragraph(paragraphID)
		if p == nil {
			return eddy.Errorf(eddy.ENOTFOUND, "paragraph %s not found in note %s", paragraphID, noteID)
		}
		targets = []*notebooks.Paragraph{p}
	}
	for _, p := range targets {
		if p.Status.Active() {
			return refuseClear(p.ID, paragraphID == "")
		}
		if live, ok := sess.Live(noteID, p.ID); ok && live.Status.Active() {
			return refuseClear(p.ID, paragraphID == "")
		}
	}
	for _, p := range targets {
		if err := sess.Forget(noteID, p.ID); err != nil {
			return err // it started meanwhile
		}
		if p.Results == nil && p.ErrorMessage == "" && len(p.RuntimeInfos) == 0 {
			continue // nothing stored to clear
		}
		_, err := notes.UpdateParagraphRun(ctx, noteID, p.ID, notebooks.RunUpdate{
			ClearResults: true,
			ErrorMessage: new(string),
			RuntimeInfos: map[string]any{},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func refuseClear(paragraphID string, wholeNote bool) error {
	if wholeNote {
		return eddy.Errorf(eddy.ECONFLICT, "paragraph %s is running; stop it before clearing the note's output (nothing was cleared)", paragraphID)
	}
	return eddy.Errorf(eddy.ECONFLICT, "paragraph %s is running; stop it before clearing its output", paragraphID)
}

// clearOutputRequest serves the websocket op clear-output: one paragraph's
// output, or every paragraph's when the request names none.
func (c *conn) clearOutputRequest(ctx context.Context, m *clientMsg) error {
	if err := need(m, false); err != nil {
		return err
	}
	if len(m.ParagraphID) > 256 {
		return eddy.Errorf(eddy.EINVALID, "%s: paragraphId is too long", m.Op)
	}
	if err := clearOutput(ctx, c.h.notes, c.h.sessions, m.NoteID, m.ParagraphID); err != nil {
		return err
	}
	c.ack(m, ackMsg{})
	return nil
}
