package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
)

// registerCatalogRoutes adds the catalog browser under /api/v1: what the
// catalogs hold as a note sees them, and one table or view in detail; and
// the same outside any note (the catalog page), as every note sees them.
func (s *Server) registerCatalogRoutes(v1 *echo.Group) {
	v1.GET("/notebook/:noteId/catalog", s.handleCatalogTree)
	v1.GET("/notebook/:noteId/catalog/:catalog/:database/:object", s.handleCatalogObject)
	v1.GET("/catalog", s.handleCatalogTree)
	v1.GET("/catalog/:catalog/:database/:object", s.handleCatalogObject)
}

// catalogNote returns the note a catalog request is made for, "" for none,
// checking that a named note exists.
func (s *Server) catalogNote(c echo.Context) (string, error) {
	noteID := c.Param("noteId")
	if noteID == "" {
		return "", nil
	}
	_, err := s.notes.FindNoteByID(c.Request().Context(), noteID)
	return noteID, err
}

// handleCatalogTree answers catalogs, databases and the names of their
// tables, views and functions, in the note's own session when it has one.
func (s *Server) handleCatalogTree(c echo.Context) error {
	noteID, err := s.catalogNote(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tree, err := s.sessions.CatalogTree(ctx, noteID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, tree)
}

// handleCatalogObject describes one table or view: columns, primary key,
// watermarks, connector and options (secrets masked).
func (s *Server) handleCatalogObject(c echo.Context) error {
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
	noteID, err := s.catalogNote(c)
	if err != nil {
		return err
	}
	obj, err := s.sessions.CatalogObject(c.Request().Context(), noteID, parts[0], parts[1], parts[2])
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, obj)
}
