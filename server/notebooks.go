package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/access"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// registerNotebookRoutes adds Zeppelin's notebook REST API under
// /api/notebook and the OpenAPI document. Shapes and status codes follow
// Zeppelin's NotebookRestApi: successes are 200 with the envelope, ids as
// the body where Zeppelin returns them.
func (s *Server) registerNotebookRoutes(api *echo.Group) {
	nb := api.Group("/notebook")
	nb.GET("", s.handleListNotes)
	nb.POST("", s.handleCreateNote)
	nb.POST("/import", s.handleImportNote)
	nb.GET("/export/:noteId", s.handleExportNote)
	nb.GET("/:noteId", s.handleGetNote)
	nb.POST("/:noteId", s.handleCloneNote)
	nb.DELETE("/:noteId", s.handleDeleteNote)
	nb.PUT("/:noteId/rename", s.handleRenameNote)
	nb.PUT("/:noteId/params", s.handleUpdateNoteParams)
	nb.POST("/:noteId/paragraph", s.handleAddParagraph)
	nb.GET("/:noteId/paragraph/:paragraphId", s.handleGetParagraph)
	nb.PUT("/:noteId/paragraph/:paragraphId", s.handleUpdateParagraph)
	nb.DELETE("/:noteId/paragraph/:paragraphId", s.handleDeleteParagraph)
	nb.PUT("/:noteId/paragraph/:paragraphId/config", s.handleUpdateParagraphConfig)
	nb.POST("/:noteId/paragraph/:paragraphId/move/:newIndex", s.handleMoveParagraph)
	nb.GET("/:noteId/revision", s.handleListRevisions)
	nb.POST("/:noteId/revision", s.handleCheckpointNote)
	nb.GET("/:noteId/revision/:revisionId", s.handleGetRevision)
	nb.PUT("/:noteId/revision/:revisionId", s.handleRestoreRevision)

	api.GET("/v1/openapi.json", s.handleOpenAPI)
}

// Request bodies, with Zeppelin's field names (NewNoteRequest,
// NewParagraphRequest, UpdateParagraphRequest, RenameNoteRequest,
// CheckpointNoteRequest).
type (
	newNoteRequest struct {
		Name                    string                `json:"name"`
		DefaultInterpreterGroup string                `json:"defaultInterpreterGroup"`
		AddingEmptyParagraph    bool                  `json:"addingEmptyParagraph"`
		Paragraphs              []newParagraphRequest `json:"paragraphs"`
		RevisionID              string                `json:"revisionId"` // clone only
	}
	newParagraphRequest struct {
		Title  string         `json:"title"`
		Text   string         `json:"text"`
		Index  *float64       `json:"index"` // Zeppelin reads it as a double
		Config map[string]any `json:"config"`
	}
	updateParagraphRequest struct {
		Text   *string        `json:"text"`
		Title  *string        `json:"title"`
		Params map[string]any `json:"params"` // merged into settings.params
	}
	updateNoteParamsRequest struct {
		Params map[string]any `json:"params"` // merged into noteParams
	}
	renameNoteRequest struct {
		Name string `json:"name"`
	}
	checkpointRequest struct {
		CommitMessage string `json:"commitMessage"`
	}
)

func (s *Server) handleListNotes(c echo.Context) error {
	ctx := c.Request().Context()
	list, err := s.notes.ListNotes(ctx)
	if err != nil {
		return err
	}
	list, err = s.readableNotes(ctx, principalOf(c), list)
	if err != nil {
		return err
	}
	return ok(c, list)
}

func (s *Server) handleCreateNote(c echo.Context) error {
	var req newNoteRequest
	if err := decodeBody(c, &req, true); err != nil {
		return err
	}
	create := notebooks.NoteCreate{Path: req.Name, DefaultInterpreterGroup: req.DefaultInterpreterGroup, User: notebooks.DefaultUser}
	if req.AddingEmptyParagraph {
		create.Paragraphs = append(create.Paragraphs, notebooks.ParagraphCreate{})
	}
	for _, p := range req.Paragraphs { // an index is ignored here, as Zeppelin ignores it
		create.Paragraphs = append(create.Paragraphs, notebooks.ParagraphCreate{Title: p.Title, Text: p.Text, Config: p.Config})
	}
	n, err := s.notes.CreateNote(c.Request().Context(), create)
	if err != nil {
		return err
	}
	if err := s.ownNewNote(c, n); err != nil {
		return err
	}
	return ok(c, n.ID)
}

func (s *Server) handleGetNote(c echo.Context) error {
	ctx, id := c.Request().Context(), c.Param("noteId")
	running := s.sessions.RunningAll(id)
	only := ""
	if p := principalOf(c); p.Share != nil {
		only = p.Share.ParagraphID // a paragraph link sees its paragraph only
	}
	if f, isFinder := s.notes.(notebooks.NoteJSONFinder); isFinder && !running && only == "" {
		b, err := f.FindNoteJSON(ctx, id)
		if err != nil {
			return err
		}
		return okJSON(c, b)
	}
	n, err := s.notes.FindNoteByID(ctx, id)
	if err != nil {
		return err
	}
	if running {
		n = withRunning(n)
	}
	return ok(c, onlyParagraph(n, only))
}

// withRunning returns a copy of n whose info says isRunning, as Zeppelin's
// note does while it runs all. Its Java client waits for a note's run-all
// (ZeppelinClient.executeNote) until info.isRunning is no longer true; the
// stored note never holds it (import drops it), so it is absent otherwise.
func withRunning(n *notebooks.Note) *notebooks.Note {
	cp := *n
	cp.Info = make(map[string]any, len(n.Info)+1)
	maps.Copy(cp.Info, n.Info)
	cp.Info["isRunning"] = true
	return &cp
}

// okJSON writes a 200 envelope around a body that is JSON already, without
// decoding or re-encoding it.
func okJSON(c echo.Context, body []byte) error {
	const head, tail = `{"status":"OK","message":"","body":`, "}\n"
	buf := make([]byte, 0, len(head)+len(body)+len(tail))
	buf = append(append(append(buf, head...), body...), tail...)
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, buf)
}

func (s *Server) handleCloneNote(c echo.Context) error {
	var req newNoteRequest
	if err := decodeBody(c, &req, true); err != nil {
		return err
	}
	if err := s.allowNote(c.Request().Context(), principalOf(c), c.Param("noteId"), "", access.Read); err != nil {
		return err
	}
	n, err := s.notes.CloneNote(c.Request().Context(), c.Param("noteId"), notebooks.NoteClone{Path: req.Name, RevisionID: req.RevisionID})
	if err != nil {
		return err
	}
	if err := s.ownNewNote(c, n); err != nil {
		return err
	}
	return ok(c, n.ID)
}

func (s *Server) handleDeleteNote(c echo.Context) error {
	ctx, id := c.Request().Context(), c.Param("noteId")
	if _, err := s.notes.FindNoteByID(ctx, id); err != nil {
		return err
	}
	if err := s.endSession(ctx, id); err != nil {
		return err
	}
	if _, err := s.notes.DeleteNote(ctx, id); err != nil {
		return err
	}
	// A run that started in between opened a session of a note now gone.
	return okAfter(c, s.endSession(ctx, id))
}

// endSession stops a note's session, if it has one: its runs end and its
// jobs are cancelled. Nothing of a deleted or trashed note runs on.
func (s *Server) endSession(ctx context.Context, noteID string) error {
	info := s.sessions.SessionState(noteID)
	if info == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelTimeout)
	defer cancel()
	if _, err := s.sessions.Stop(ctx, info.ID); err != nil && eddy.ErrorCode(err) != eddy.ENOTFOUND {
		return err
	}
	return nil
}

// okAfter answers OK, or the error of what had to follow.
func okAfter(c echo.Context, err error) error {
	if err != nil {
		return err
	}
	return ok(c, nil)
}

func (s *Server) handleRenameNote(c echo.Context) error {
	var req renameNoteRequest
	if err := decodeBody(c, &req, false); err != nil {
		return err
	}
	if strings.TrimSpace(req.Name) == "" {
		return eddy.Errorf(eddy.EINVALID, "name can not be empty")
	}
	n, err := s.notes.MoveNote(c.Request().Context(), c.Param("noteId"), req.Name)
	if err != nil {
		return err
	}
	if notebooks.InTrash(n.Path) {
		return okAfter(c, s.endSession(c.Request().Context(), n.ID))
	}
	return ok(c, nil)
}

// handleImportNote takes a note file (.zpln or note.json) as the body; the
// notePath query parameter, when given, sets the new note's path.
func (s *Server) handleImportNote(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	n, err := notebooks.ImportZeppelin(body, c.QueryParam("notePath"))
	if err != nil {
		return err
	}
	n, err = s.notes.ImportNote(c.Request().Context(), n)
	if err != nil {
		return err
	}
	if err := s.ownNewNote(c, n); err != nil {
		return err
	}
	return ok(c, n.ID)
}

// handleExportNote returns the .zpln document as a JSON string in the body,
// as Zeppelin does.
func (s *Server) handleExportNote(c echo.Context) error {
	n, err := s.notes.FindNoteByID(c.Request().Context(), c.Param("noteId"))
	if err != nil {
		return err
	}
	doc, err := notebooks.ExportZeppelin(n)
	if err != nil {
		return err
	}
	return ok(c, string(doc))
}

func (s *Server) handleAddParagraph(c echo.Context) error {
	var req newParagraphRequest
	if err := decodeBody(c, &req, false); err != nil {
		return err
	}
	create := notebooks.ParagraphCreate{Title: req.Title, Text: req.Text, Config: req.Config, User: notebooks.DefaultUser}
	if req.Index != nil {
		i, err := wholeNumber("index", *req.Index)
		if err != nil {
			return err
		}
		create.Index = &i
	}
	p, err := s.notes.AddParagraph(c.Request().Context(), c.Param("noteId"), create)
	if err != nil {
		return err
	}
	return ok(c, p.ID)
}

func (s *Server) handleGetParagraph(c echo.Context) error {
	p, err := s.notes.FindParagraph(c.Request().Context(), c.Param("noteId"), c.Param("paragraphId"))
	if err != nil {
		return err
	}
	live, has := s.sessions.Live(c.Param("noteId"), p.ID)
	return ok(c, kernel.ViewOf(p, live, has))
}

// handleUpdateParagraph sets a paragraph's text, title and/or form values.
func (s *Server) handleUpdateParagraph(c echo.Context) error {
	var req updateParagraphRequest
	if err := decodeBody(c, &req, false); err != nil {
		return err
	}
	if req.Text == nil && req.Title == nil && req.Params == nil {
		return eddy.Errorf(eddy.EINVALID, "nothing to update: give text, title and/or params")
	}
	var upd notebooks.ParagraphUpdate
	if req.Params != nil {
		var err error
		if upd, err = paramsUpdate(c.Request().Context(), s.notes, c.Param("noteId"), c.Param("paragraphId"), req.Text, req.Params); err != nil {
			return err
		}
	}
	upd.Text, upd.Title, upd.User = req.Text, req.Title, notebooks.DefaultUser
	if _, err := s.notes.UpdateParagraph(c.Request().Context(), c.Param("noteId"), c.Param("paragraphId"), upd); err != nil {
		return err
	}
	return ok(c, nil)
}

// handleUpdateNoteParams sets values of the note's forms ($${...}).
func (s *Server) handleUpdateNoteParams(c echo.Context) error {
	var req updateNoteParamsRequest
	if err := decodeBody(c, &req, false); err != nil {
		return err
	}
	if req.Params == nil {
		return eddy.Errorf(eddy.EINVALID, "nothing to update: give params")
	}
	ctx := c.Request().Context()
	upd, err := noteParamsUpdate(ctx, s.notes, c.Param("noteId"), req.Params)
	if err != nil {
		return err
	}
	if _, err := s.notes.UpdateNote(ctx, c.Param("noteId"), upd); err != nil {
		return err
	}
	return ok(c, nil)
}

// handleUpdateParagraphConfig merges the body's keys into the paragraph's
// config and returns the paragraph.
func (s *Server) handleUpdateParagraphConfig(c echo.Context) error {
	var cfg map[string]any
	if err := decodeBody(c, &cfg, false); err != nil {
		return err
	}
	if len(cfg) == 0 {
		return eddy.Errorf(eddy.EINVALID, "paragraph config cannot be empty")
	}
	p, err := s.notes.UpdateParagraph(c.Request().Context(), c.Param("noteId"), c.Param("paragraphId"),
		notebooks.ParagraphUpdate{Config: cfg, User: notebooks.DefaultUser})
	if err != nil {
		return err
	}
	return ok(c, p)
}

func (s *Server) handleMoveParagraph(c echo.Context) error {
	index, err := strconv.Atoi(c.Param("newIndex"))
	if err != nil {
		return eddy.Errorf(eddy.EINVALID, "newIndex %q is not an integer", c.Param("newIndex"))
	}
	if err := s.notes.MoveParagraph(c.Request().Context(), c.Param("noteId"), c.Param("paragraphId"), index); err != nil {
		return err
	}
	return ok(c, nil)
}

func (s *Server) handleDeleteParagraph(c echo.Context) error {
	if err := s.notes.DeleteParagraph(c.Request().Context(), c.Param("noteId"), c.Param("paragraphId")); err != nil {
		return err
	}
	return ok(c, nil)
}

func (s *Server) handleListRevisions(c echo.Context) error {
	revs, err := s.notes.ListRevisions(c.Request().Context(), c.Param("noteId"))
	if err != nil {
		return err
	}
	return ok(c, revs)
}

// handleCheckpointNote records a revision and returns its id. When nothing
// changed Zeppelin answers 200 with a message and creates nothing; Eddy does
// the same and gives the latest revision's id as the body.
func (s *Server) handleCheckpointNote(c echo.Context) error {
	var req checkpointRequest
	if err := decodeBody(c, &req, true); err != nil {
		return err
	}
	if strings.TrimSpace(req.CommitMessage) == "" {
		return eddy.Errorf(eddy.EINVALID, "commitMessage can not be empty")
	}
	rev, err := s.notes.CheckpointNote(c.Request().Context(), c.Param("noteId"), req.CommitMessage)
	if errors.Is(err, notebooks.ErrNoChanges) && rev != nil {
		return c.JSON(http.StatusOK, Envelope{Status: "OK", Message: "Couldn't checkpoint note revision: no changes since revision " + rev.ID, Body: rev.ID})
	}
	if err != nil {
		return err
	}
	return ok(c, rev.ID)
}

func (s *Server) handleGetRevision(c echo.Context) error {
	n, err := s.notes.FindRevision(c.Request().Context(), c.Param("noteId"), c.Param("revisionId"))
	if err != nil {
		return err
	}
	return ok(c, n)
}

func (s *Server) handleRestoreRevision(c echo.Context) error {
	if _, err := s.notes.RestoreRevision(c.Request().Context(), c.Param("noteId"), c.Param("revisionId")); err != nil {
		return err
	}
	return ok(c, nil)
}

// readBody reads the whole request body. The /api group's BodyLimit bounds
// it; past the limit the read fails with echo's 413 error, returned as is.
func readBody(c echo.Context) ([]byte, error) {
	b, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		return nil, eddy.Wrap(eddy.EINVALID, err, "could not read the request body")
	}
	return b, nil
}

// decodeBody decodes a JSON request body into v, keeping numbers inside
// untyped values as written. An empty body is allowed when optional. Errors
// are EINVALID and name the problem: the byte offset of a syntax error, or
// the field with a wrong type.
func decodeBody(c echo.Context, v any, optional bool) error { return decodeJSON(c, v, optional, false) }

// decodeJSON is decodeBody; strict also refuses fields v does not have (a
// misspelt key in a document kept in version control must not be ignored).
func decodeJSON(c echo.Context, v any, optional, strict bool) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	if err := notebooks.CheckDepth("the request body", b); err != nil {
		return err
	}
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 {
		if optional {
			return nil
		}
		return eddy.Errorf(eddy.EINVALID, "the request body is empty; it must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return notebooks.JSONError("the request body", b, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return eddy.Errorf(eddy.EINVALID, "the request body has data after its JSON value, at byte offset %d", dec.InputOffset())
	}
	if trimmed[0] != '{' {
		// null decodes as "nothing given", which would act on defaults.
		return eddy.Errorf(eddy.EINVALID, "the request body must be a JSON object, not %s", notebooks.ValueKind(trimmed))
	}
	return nil
}

// wholeNumber converts a JSON number that must be an integer.
func wholeNumber(field string, f float64) (int, error) {
	if f != math.Trunc(f) || math.IsInf(f, 0) || f > math.MaxInt32 || f < math.MinInt32 {
		return 0, eddy.Errorf(eddy.EINVALID, "%s must be a whole number, not %s", field, fmt.Sprint(f))
	}
	return int(f), nil
}
