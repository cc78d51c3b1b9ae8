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
)

// registerJobRoutes adds Zeppelin's run and job routes.
func (s *Server) registerJobRoutes(api *echo.Group) {
	nb := api.Group("/notebook")
	nb.POST("/run/:noteId/:paragraphId", s.handleRunSync, requestTime(0)) // as long as the query runs
	nb.POST("/job/:noteId/:paragraphId", s.handleRunAsync)
	nb.GET("/job/:noteId/:paragraphId", s.handleJobStatus)
	nb.DELETE("/job/:noteId/:paragraphId", s.handleCancelParagraph)
	nb.POST("/job/:noteId", s.handleRunAll)
	nb.GET("/job/:noteId", s.handleNoteJobStatus)
	nb.DELETE("/job/:noteId", s.handleStopAll)
}

// errShuttingDown answers requests that were waiting for a run when the
// server began to shut down.
var errShuttingDown = eddy.Errorf(eddy.EUNAVAILABLE, "Eddy is shutting down")

// cancelTimeout bounds how long a cancel request waits for runs to end
// (stopping a job with a savepoint can take a while).
const cancelTimeout = 2 * time.Minute

// runRequest is Zeppelin's optional body of a run: new form values.
type runRequest struct {
	Params map[string]any `json:"params"`
}

// prepareRun checks the paragraph exists and stores the request's form
// values, if any, before the run reads them.
func (s *Server) prepareRun(c echo.Context) (noteID, paragraphID string, err error) {
	noteID, paragraphID = c.Param("noteId"), c.Param("paragraphId")
	var req runRequest
	if err := decodeBody(c, &req, true); err != nil {
		return "", "", err
	}
	ctx := c.Request().Context()
	p, err := s.notes.FindParagraph(ctx, noteID, paragraphID)
	if err != nil || req.Params == nil {
		return noteID, paragraphID, err
	}
	// The values replace the stored ones, as in Zeppelin, and are recorded
	// with the forms they were sent for, so that they run as sent.
	upd := notebooks.ParagraphUpdate{Params: req.Params, FormsPatch: recordForms([]string{p.Text}, req.Params, false)}
	_, err = s.notes.UpdateParagraph(ctx, noteID, paragraphID, upd)
	return noteID, paragraphID, err
}

// handleRunSync runs a paragraph and answers with its result when it ends,
// as Zeppelin's synchronous run does (meant for bounded queries).
func (s *Server) handleRunSync(c echo.Context) error {
	noteID, pid, err := s.prepareRun(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	done, err := s.sessions.Run(ctx, noteID, pid)
	if err != nil {
		return err
	}
	if err := s.waitRun(ctx, done); err != nil {
		return err // the client left or Eddy stops; the paragraph keeps running
	}
	p, err := s.notes.FindParagraph(ctx, noteID, pid)
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
	// A job refused for want of KPUs is answered as every capacity
	// refusal is (503, capacity_exceeded, the refusal), not as a failed run.
	if l, _ := s.sessions.Live(noteID, pid); l.ErrorCode == eddy.ECAPACITY {
		status := codeStatus[eddy.ECAPACITY]
		s.log.Info("run refused", "note", noteID, "paragraph", pid, "err", l.ErrorMessage)
		return c.JSON(status, Envelope{Status: statusName(status), Message: l.ErrorMessage, Code: eddy.ECAPACITY, Details: l.ErrorDetails, Body: res})
	}
	return c.JSON(http.StatusInternalServerError, Envelope{Status: statusName(http.StatusInternalServerError), Message: p.ErrorMessage, Body: res})
}

func (s *Server) handleRunAsync(c echo.Context) error {
	noteID, pid, err := s.prepareRun(c)
	if err != nil {
		return err
	}
	if _, err := s.sessions.Run(c.Request().Context(), noteID, pid); err != nil {
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
	noteID, pid := c.Param("noteId"), c.Param("paragraphId")
	p, err := s.notes.FindParagraph(c.Request().Context(), noteID, pid)
	if err != nil {
		return err
	}
	live, has := s.sessions.Live(noteID, pid)
	return ok(c, jobOf(p, live, has))
}

func (s *Server) handleCancelParagraph(c echo.Context) error {
	noteID, pid := c.Param("noteId"), c.Param("paragraphId")
	if _, err := s.notes.FindParagraph(c.Request().Context(), noteID, pid); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), cancelTimeout)
	defer cancel()
	if err := s.sessions.Cancel(ctx, noteID, pid); err != nil {
		return err
	}
	return ok(c, nil)
}

// handleRunAll runs every enabled paragraph in order, stopping at the first
// error; with ?blocking=true it answers when run-all has ended.
func (s *Server) handleRunAll(c echo.Context) error {
	noteID := c.Param("noteId")
	ctx := c.Request().Context()
	if _, err := s.notes.FindNoteByID(ctx, noteID); err != nil {
		return err
	}
	done, err := s.sessions.RunAll(ctx, noteID)
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
	noteID := c.Param("noteId")
	ps, err := s.notes.ListParagraphs(c.Request().Context(), noteID)
	if err != nil {
		return err
	}
	body := struct {
		IsRunning  bool           `json:"isRunning"`
		Paragraphs []paragraphJob `json:"paragraphs"`
	}{IsRunning: s.sessions.RunningAll(noteID), Paragraphs: []paragraphJob{}}
	for _, p := range ps {
		live, has := s.sessions.Live(noteID, p.ID)
		j := jobOf(p, live, has)
		if j.Status.Active() {
			body.IsRunning = true
		}
		body.Paragraphs = append(body.Paragraphs, j)
	}
	return ok(c, body)
}

func (s *Server) handleStopAll(c echo.Context) error {
	noteID := c.Param("noteId")
	if _, err := s.notes.FindNoteByID(c.Request().Context(), noteID); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), cancelTimeout)
	defer cancel()
	if err := s.sessions.StopAll(ctx, noteID); err != nil {
		return err
	}
	return ok(c, nil)
}
