package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
)

// registerChangelogRoutes adds the raw changelog of a paragraph's result:
// the newest rows as Flink emitted them and the table before them, from
// which the browser replays the table at any kept point.
func (s *Server) registerChangelogRoutes(api *echo.Group) {
	api.GET("/v1/notebook/:noteId/paragraph/:paragraphId/changelog", s.handleChangelog)
}

func (s *Server) handleChangelog(c echo.Context) error {
	noteID, paragraphID := c.Param("noteId"), c.Param("paragraphId")
	if _, err := s.notes.FindParagraph(c.Request().Context(), noteID, paragraphID); err != nil {
		return err
	}
	v, ok := s.sessions.Changelog(noteID, paragraphID)
	if !ok {
		return eddy.Errorf(eddy.ENOTFOUND, "paragraph %s has no live result: run its query in the note's session to see its changelog", paragraphID)
	}
	return c.JSON(http.StatusOK, v)
}
