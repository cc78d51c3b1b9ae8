package server

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/access"
	"github.com/eddy-notebooks/eddy/sessions"
)

// registerSessionRoutes adds Eddy's notebook-session and usage routes
// under /api/v1.
func (s *Server) registerSessionRoutes(v1 *echo.Group) {
	v1.GET("/sessions", s.handleListSessions)
	v1.POST("/sessions", s.handleStartSession)
	v1.GET("/sessions/:sessionId", s.handleGetSession)
	v1.DELETE("/sessions/:sessionId", s.handleStopSession)
	v1.GET("/usage", s.handleUsage)
}

// sessionList is the answer of GET /api/v1/sessions.
type sessionList struct {
	sessions.Capacity
	Sessions []sessions.Info `json:"sessions"`
}

func (s *Server) handleListSessions(c echo.Context) error {
	canRead, err := s.readable(c.Request().Context(), principalOf(c))
	if err != nil {
		return err
	}
	out := sessionList{Capacity: s.sessions.Capacity(), Sessions: []sessions.Info{}}
	// The capacity is everyone's; each user sees the sessions of the notes
	// they may read.
	for _, info := range s.sessions.List() {
		if canRead(info.NoteID) {
			out.Sessions = append(out.Sessions, info)
		}
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleStartSession(c echo.Context) error {
	noteID, err := decodeNoteID(c)
	if err != nil {
		return err
	}
	if err := s.allowNote(c.Request().Context(), principalOf(c), noteID, "", access.Run); err != nil {
		return err
	}
	info, err := s.sessions.Start(c.Request().Context(), noteID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, info)
}

func (s *Server) handleGetSession(c echo.Context) error {
	info, err := s.sessions.Get(c.Param("sessionId"))
	if err != nil {
		return err
	}
	if err := s.allowNote(c.Request().Context(), principalOf(c), info.NoteID, "", access.Read); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}

func (s *Server) handleStopSession(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), cancelTimeout)
	defer cancel()
	running, err := s.sessions.Get(c.Param("sessionId"))
	if err != nil {
		return err
	}
	if err := s.allowNote(ctx, principalOf(c), running.NoteID, "", access.Run); err != nil {
		return err
	}
	info, err := s.sessions.Stop(ctx, c.Param("sessionId"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}

func (s *Server) handleUsage(c echo.Context) error {
	r, err := s.sessions.Usage(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// decodeNoteID reads a body of the form {"noteId": "..."}, the note being
// required.
func decodeNoteID(c echo.Context) (string, error) {
	var req struct {
		NoteID string `json:"noteId"`
	}
	if err := decodeBody(c, &req, false); err != nil {
		return "", err
	}
	if req.NoteID == "" {
		return "", eddy.Errorf(eddy.EINVALID, "noteId is required")
	}
	return req.NoteID, nil
}
