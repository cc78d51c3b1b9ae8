package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
)

// registerCatalogRoutes adds the catalog browser under /api/v1: what the
// catalogs hold as a note sees them, and one table or view in detail.
func (s *Server) registerCatalogRoutes(v1 *echo.Group) {
	v1.GET("/notebook/:noteId/catalog", s.handleCatalogTree)
	v1.GET("/notebook/:noteId/catalog/:catalog/:database/:object", s.handleCatalogObject)
}

// handleCatalogTree answers catalogs, databases and the names of their
// tables, views and functions, in the note's own session when it has one.
func (s *Server) handleCatalogTree(c echo.Context) error {
	noteID := c.Param("noteId")
	ctx := c.Request().Context()
	if _, err := s.notes.FindNoteByID(ctx, noteID); err != nil {
		return err
	}
	tree, err := s.sessions.CatalogTree(ctx, noteID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, tree)
}

// handleCatalogObject describes one table or view: columns, primary key,
// watermarks, connector and options (secrets masked).
func (s *Server) handleCatalogObject(c echo.Context) error {
	noteID := c.Param("noteId")
	// The names are the last three segments of the escaped path: echo's
	// parameters are unescaped only when the path has no encoded slash.
	segs := strings.Split(c.Request().URL.EscapedPath(), "/")
	if len(segs) < 3 {
		return eddy.Errorf(eddy.EINVALID, "a catalog, a database and a name are required")
	}
	var parts [3]string
	for i, seg := range segs[len(segs)-3:] {
		v, err := url.PathUnescape(seg)
		if err != nil || v == "" {
			return eddy.Errorf(eddy.EINVALID, "bad name %q in the path", seg)
		}
		parts[i] = v
	}
	ctx := c.Request().Context()
	if _, err := s.notes.FindNoteByID(ctx, noteID); err != nil {
		return err
	}
	obj, err := s.sessions.CatalogObject(ctx, noteID, parts[0], parts[1], parts[2])
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, obj)
}
