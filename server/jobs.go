package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/sessions"
)

// registerJobRoutes adds Zeppelin's run and job routes and Eddy's session
// routes.
func (s *Server) registerJobRoutes(api *echo.Group) {
	nb := api.Group("/notebook")
	nb.POST("/run/:noteId/:paragraphId", s.handleRunSync)
	nb.POST("/job/:noteId/:paragraphId", s.handleRunAsync)
	nb.GET("/job/:noteId/:paragraphId", s.handleJobStatus)
	nb.DELETE("/job/:noteId/:paragraphId", s.handleCancelParagraph)
	nb.POST("/job/:noteId", s.handleRunAll)
	nb.GET("/job/:noteId", s.handleNoteJobStatus)
	nb.DELETE("/job/:noteId", s.handleStopAll)

	v1 := api.Group("/v1")
	v1.GET("/sessions", s.handleListSessions)
	v1.POST("/sessions", s.handleStartSession)
	v1.GET("/sessions/:sessionId", s.handleGetSession)
	v1.DELETE("/sessions/:sessionId", s.handleStopSession)
	v1.GET("/usage", s.handleUsage)
	v1.POST("/notebook/:noteId/complete", s.handleComplete)
}

// errShuttingDown answers requests that were waiting for a run when the
// server began to shut down.
var errShuttingDown = eddy.Errorf(eddy.EUNAVAILABLE, "Eddy is shutting down")

// manager returns the sessions manager, or EUNAVAILABLE without one.
func (s *Server) manager() (*sessions.Manager, error) {
	if s.cfg.Sessions == nil {
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "running paragraphs is not configured")
	}
	return s.cfg.Sessions, nil
}

// runRequest is Zeppelin's optional body of a run: new form values.
type runRequest struct {
	Params map[string]any `json:"params"`
}

// prepareRun checks the paragraph exists and stores the request's form
// values, if any, before the run reads them.
func (s *Server) prepareRun(c echo.Context) (noteID, paragraphID string, err error) {
	noteID, paragraphID = c.Param("noteId"), c.Param("paragraphId")
	notes, err := s.notes()
	if err != nil {
		return "", "", err
	}
	var req runRequest
	if err := decodeBody(c, &req, true); err != nil {
		return "", "", err
	}
	ctx := c.Request().Context()
	if req.Params != nil {
		_, err = notes.UpdateParagraph(ctx, noteID, paragraphID, notebooks.ParagraphUpdate{Params: req.Params})
	} else {
		_, err = notes.FindParagraph(ctx, noteID, paragraphID)
	}
	return noteID, paragraphID, err
}

// handleRunSync runs a paragraph and answers with its result when it ends,
// as Zeppelin's synchronous run does (meant for bounded queries).
func (s *Server) handleRunSync(c echo.Context) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	noteID, pid, err := s.prepareRun(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	done, err := m.Run(ctx, noteID, pid)
	if err != nil {
		return err
	}
	if err := s.waitRun(ctx, done); err != nil {
		return err // the client left or Eddy stops; the paragraph keeps running
	}
	p, err := s.cfg.Notes.FindParagraph(ctx, noteID, pid) // prepareRun checked the store is there
	if err != nil {
		return err
	}
	res := p.Results
	if res == nil {
		res = &notebooks.Result{Code: notebooks.ResultSuccess}
	}
	if p.Status == notebooks.StatusFinished {
		return ok(c, res)
	}
	return c.JSON(http.StatusInternalServerError, Envelope{Status: statusName(http.StatusInternalServerError), Message: p.ErrorMessage, Body: res})
}

func (s *Server) handleRunAsync(c echo.Context) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	noteID, pid, err := s.prepareRun(c)
	if err != nil {
		return err
	}
	if err := m.RunParagraph(c.Request().Context(), noteID, pid); err != nil {
		return err
	}
	return ok(c, nil)
}

// waitRun waits until a run's done channel closes; it gives up when the
// client leaves or the server begins to shut down.
func (s *Server) waitRun(ctx context.Context, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closing:
		return errShuttingDown
	}
}

// live returns a paragraph's live state, if it has run in this process.
func (s *Server) live(noteID, paragraphID string) (kernel.ParagraphLive, bool) {
	if s.cfg.Sessions == nil {
		return kernel.ParagraphLive{}, false
	}
	return s.cfg.Sessions.Live(noteID, paragraphID)
}

// paragraphJob is Zeppelin's job status of one paragraph.
type paragraphJob struct {
	ID       string           `json:"id"`
	Status   notebooks.Status `json:"status"`
	Progress string           `json:"progress"`
	Started  string           `json:"started,omitempty"`
	Finished string           `json:"finished,omitempty"`
	JobURL   string           `json:"jobUrl,omitempty"`
}

// jobOf merges a stored paragraph with its live state, which is newer.
func jobOf(p *notebooks.Paragraph, live kernel.ParagraphLive, hasLive bool) paragraphJob {
	j := paragraphJob{ID: p.ID, Status: p.Status, Progress: strconv.Itoa(p.Progress)}
	if !p.DateStarted.IsZero() {
		j.Started = p.DateStarted.String()
	}
	if !p.DateFinished.IsZero() {
		j.Finished = p.DateFinished.String()
	}
	if hasLive {
		j.Status, j.Progress, j.JobURL = live.Status, strconv.Itoa(live.Progress), live.JobURL
		if !live.DateStarted.IsZero() {
			j.Started = notebooks.NewDate(live.DateStarted).String()
		}
		if !live.DateFinished.IsZero() {
			j.Finished = notebooks.NewDate(live.DateFinished).String()
		}
	}
	return j
}

func (s *Server) handleJobStatus(c echo.Context) error {
	notes, err := s.notes()
	if err != nil {
		return err
	}
	noteID, pid := c.Param("noteId"), c.Param("paragraphId")
	p, err := notes.FindParagraph(c.Request().Context(), noteID, pid)
	if err != nil {
		return err
	}
	live, has := s.live(noteID, pid)
	return ok(c, jobOf(p, live, has))
}

func (s *Server) handleCancelParagraph(c echo.Context) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	noteID, pid := c.Param("noteId"), c.Param("paragraphId")
	if err := s.noteExists(c, noteID, pid); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Minute)
	defer cancel()
	if err := m.CancelParagraph(ctx, noteID, pid); err != nil {
		return err
	}
	return ok(c, nil)
}

// handleRunAll runs every enabled paragraph in order, stopping at the first
// error; with ?blocking=true it answers when run-all has ended.
func (s *Server) handleRunAll(c echo.Context) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	noteID := c.Param("noteId")
	ctx := c.Request().Context()
	if err := s.noteExists(c, noteID, ""); err != nil {
		return err
	}
	done, err := m.RunAll(ctx, noteID)
	if err != nil {
		return err
	}
	if c.QueryParam("blocking") == "true" {
		if err := s.waitRun(ctx, done); err != nil {
			return err
		}
	}
	return ok(c, nil)
}

func (s *Server) handleNoteJobStatus(c echo.Context) error {
	notes, err := s.notes()
	if err != nil {
		return err
	}
	noteID := c.Param("noteId")
	ps, err := notes.ListParagraphs(c.Request().Context(), noteID)
	if err != nil {
		return err
	}
	body := struct {
		IsRunning  bool           `json:"isRunning"`
		Paragraphs []paragraphJob `json:"paragraphs"`
	}{Paragraphs: []paragraphJob{}}
	for _, p := range ps {
		live, has := s.live(noteID, p.ID)
		j := jobOf(p, live, has)
		if j.Status == notebooks.StatusRunning || j.Status == notebooks.StatusPending {
			body.IsRunning = true
		}
		body.Paragraphs = append(body.Paragraphs, j)
	}
	return ok(c, body)
}

func (s *Server) handleStopAll(c echo.Context) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	noteID := c.Param("noteId")
	if err := s.noteExists(c, noteID, ""); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Minute)
	defer cancel()
	if err := m.StopNote(ctx, noteID); err != nil {
		return err
	}
	return ok(c, nil)
}

// sessionList is the answer of GET /api/v1/sessions.
type sessionList struct {
	KPUCapacity int             `json:"kpuCapacity"`
	KPUsInUse   int             `json:"kpusInUse"`
	Sessions    []sessions.Info `json:"sessions"`
}

func (s *Server) handleListSessions(c echo.Context) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	out := sessionList{KPUCapacity: m.Ledger().Capacity(), KPUsInUse: m.Ledger().InUse(), Sessions: []sessions.Info{}}
	for _, sess := range m.List() {
		out.Sessions = append(out.Sessions, sess.Info())
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleStartSession(c echo.Context) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	var req struct {
		NoteID string `json:"noteId"`
	}
	if err := decodeBody(c, &req, false); err != nil {
		return err
	}
	if req.NoteID == "" {
		return eddy.Errorf(eddy.EINVALID, "noteId is required")
	}
	sess, err := m.Start(c.Request().Context(), req.NoteID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, sess.Info())
}

// session returns the manager and the session the request names.
func (s *Server) session(c echo.Context) (*sessions.Manager, *sessions.Session, error) {
	m, err := s.manager()
	if err != nil {
		return nil, nil, err
	}
	sess, err := m.FindByID(c.Param("sessionId"))
	return m, sess, err
}

func (s *Server) handleGetSession(c echo.Context) error {
	_, sess, err := s.session(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sess.Info())
}

func (s *Server) handleStopSession(c echo.Context) error {
	m, sess, err := s.session(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Minute)
	defer cancel()
	if err := m.Stop(ctx, sess.ID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sess.Info())
}

func (s *Server) handleUsage(c echo.Context) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	r, err := m.Usage(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// withLive returns p as a viewer should see it now: while it runs in this
// process, with its live status and its result so far (finished statements'
// output and the live table in Zeppelin's TABLE encoding).
func (s *Server) withLive(noteID string, p *notebooks.Paragraph) *notebooks.Paragraph {
	live, has := s.live(noteID, p.ID)
	if !has || (live.Status != notebooks.StatusRunning && live.Status != notebooks.StatusPending) {
		return p
	}
	cp := *p
	cp.Status, cp.Progress = live.Status, live.Progress
	msgs := append([]notebooks.ResultMessage(nil), live.Messages...)
	if r := live.Result; r != nil && r.Snapshot != nil {
		if r.Snapshot.Mode == kernel.DisplaySingle {
			msgs = append(msgs, notebooks.ResultMessage{Type: notebooks.MessageHTML, Data: r.Rendered})
		} else {
			msgs = append(msgs, notebooks.ResultMessage{Type: notebooks.MessageTable, Data: r.Snapshot.ZeppelinTSV()})
		}
	}
	cp.Results = &notebooks.Result{Code: notebooks.ResultSuccess, Msg: msgs}
	return &cp
}

// completeRequest asks for completions of a paragraph's text at a byte offset.
type completeRequest struct {
	Text     string `json:"text"`
	Position int    `json:"position"`
}

// handleComplete answers completion candidates from the gateway's statement
// completion, in the note's own gateway session when it has one.
func (s *Server) handleComplete(c echo.Context) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	var req completeRequest
	if err := decodeBody(c, &req, false); err != nil {
		return err
	}
	if req.Position < 0 || req.Position > len(req.Text) {
		return eddy.Errorf(eddy.EINVALID, "position %d is outside the text (0..%d)", req.Position, len(req.Text))
	}
	noteID := c.Param("noteId")
	ctx := c.Request().Context()
	if err := s.noteExists(c, noteID, ""); err != nil {
		return err
	}
	out, err := m.Complete(ctx, noteID, req.Text, req.Position)
	if err != nil {
		return err
	}
	if out == nil {
		out = []string{}
	}
	return c.JSON(http.StatusOK, map[string][]string{"candidates": out})
}

// noteExists checks that the note (and the paragraph, when named) exists,
// so an unknown id is a 404 before anything runs.
func (s *Server) noteExists(c echo.Context, noteID, paragraphID string) error {
	notes, err := s.notes()
	if err != nil {
		return err
	}
	if paragraphID != "" {
		_, err = notes.FindParagraph(c.Request().Context(), noteID, paragraphID)
	} else {
		_, err = notes.FindNoteByID(c.Request().Context(), noteID)
	}
	return err
}
