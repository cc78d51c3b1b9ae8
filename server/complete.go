package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
)

// registerCompletionRoutes adds SQL completion for the editor under /api/v1.
func (s *Server) registerCompletionRoutes(v1 *echo.Group) {
	v1.POST("/notebook/:noteId/complete", s.handleComplete)
}

// completeRequest asks for completions of a paragraph's text at a byte offset.
type completeRequest struct {
	Text     string `json:"text"`
	Position int    `json:"position"`
}

// handleComplete answers completion candidates from the gateway's statement
// completion, in the note's own gateway session when it has one.
func (s *Server) handleComplete(c echo.Context) error {
	var req completeRequest
	if err := decodeBody(c, &req, false); err != nil {
		return err
	}
	if req.Position < 0 || req.Position > len(req.Text) {
		return eddy.Errorf(eddy.EINVALID, "position %d is outside the text (0..%d)", req.Position, len(req.Text))
	}
	noteID := c.Param("noteId")
	ctx := c.Request().Context()
	if _, err := s.notes.FindNoteByID(ctx, noteID); err != nil {
		return err
	}
	out, err := s.sessions.Complete(ctx, noteID, req.Text, req.Position)
	if err != nil {
		return err
	}
	if out == nil {
		out = []string{}
	}
	return c.JSON(http.StatusOK, map[string][]string{"candidates": out})
}
