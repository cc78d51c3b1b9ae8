package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy/access"
	"github.com/eddy-notebooks/eddy/notebooks/examples"
)

// registerExampleRoutes adds the example notes that ship with Eddy under
// /api/v1/examples: list them, and install one into the Examples folder.
func (s *Server) registerExampleRoutes(v1 *echo.Group) {
	v1.GET("/examples", s.handleListExamples)
	v1.POST("/examples/:name", s.handleInstallExample)
}

// exampleInfo is an example as the API lists it.
type exampleInfo struct {
	Name        string   `json:"name"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Needs       []string `json:"needs"`
	NoteID      string   `json:"noteId,omitempty"` // set once it is installed
}

func (s *Server) handleListExamples(c echo.Context) error {
	installed, err := s.installedExamples(c)
	if err != nil {
		return err
	}
	out := []exampleInfo{}
	for _, e := range examples.List() {
		needs := e.Needs
		if needs == nil {
			needs = []string{}
		}
		out = append(out, exampleInfo{Name: e.Name, Title: e.Title, Description: e.Description, Needs: needs, NoteID: installed[e.Path()]})
	}
	return c.JSON(http.StatusOK, map[string][]exampleInfo{"examples": out})
}

// installedExamples maps the paths of notes in the Examples folder to their ids.
func (s *Server) installedExamples(c echo.Context) (map[string]string, error) {
	list, err := s.notes.ListNotes(c.Request().Context())
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, n := range list {
		out[n.Path] = n.ID
	}
	return out, nil
}

// handleInstallExample creates the example's note, with this
// installation's Kafka address and file directory filled in, unless a
// note of that path exists already; it answers the note's id either way.
func (s *Server) handleInstallExample(c echo.Context) error {
	e, err := examples.Find(c.Param("name"))
	if err != nil {
		return err
	}
	installed, err := s.installedExamples(c)
	if err != nil {
		return err
	}
	if id := installed[e.Path()]; id != "" {
		return c.JSON(http.StatusOK, map[string]string{"noteId": id})
	}
	vars := examples.Vars{Files: s.cfg.ExampleFiles}
	vars.Kafka = s.cfg.Cluster.KafkaBootstrap()
	create, err := e.Note(vars)
	if err != nil {
		return err
	}
	n, err := s.notes.CreateNote(c.Request().Context(), create)
	if err != nil {
		return err
	}
	// Examples are everyone's: Zeppelin's empty lists.
	if err := s.access.SetNotePermissions(c.Request().Context(), n.ID, access.Permissions{}); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]string{"noteId": n.ID})
}
