package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
)

// registerInspectRoutes adds the job inspector: the latest look at the
// Flink job of a paragraph that runs (or just ran) in the note's session.
// Viewers get the same inspection in the websocket's live state.
func (s *Server) registerInspectRoutes(v1 *echo.Group) {
	v1.GET("/notebook/:noteId/paragraph/:paragraphId/inspect", s.handleInspect)
}

func (s *Server) handleInspect(c echo.Context) error {
	noteID, paragraphID := c.Param("noteId"), c.Param("paragraphId")
	if _, err := s.notes.FindParagraph(c.Request().Context(), noteID, paragraphID); err != nil {
		return err
	}
	live, ok := s.sessions.Live(noteID, paragraphID)
	if !ok || live.Inspection == nil {
		return eddy.Errorf(eddy.ENOTFOUND, "paragraph %s has no job to inspect: it has not run a Flink job in the note's current session", paragraphID)
	}
	return c.JSON(http.StatusOK, live.Inspection)
}
