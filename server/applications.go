package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.yaml.in/yaml/v4"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/access"
	"github.com/eddy-notebooks/eddy/applications"
)

// Applications manages notes promoted to long-running Flink jobs;
// applications.Manager implements it. Errors carry eddy codes.
type Applications interface {
	Preview(ctx context.Context, noteID string) (*applications.Preview, error)
	Create(ctx context.Context, req applications.CreateRequest) (*applications.Application, error)
	List(ctx context.Context) ([]*applications.Application, error)
	Get(ctx context.Context, id string) (*applications.Application, error)
	Delete(ctx context.Context, id string) error
	Start(ctx context.Context, id string, req applications.StartRequest) (*applications.Application, error)
	Stop(ctx context.Context, id string, snapshot bool) (*applications.Application, error)
	Rescale(ctx context.Context, id string, parallelism int) (*applications.Application, error)
	SetAutoScaling(ctx context.Context, id string, enabled bool) (*applications.Application, error)
	Snapshots(ctx context.Context, id string) ([]*applications.Snapshot, error)
	TakeSnapshot(ctx context.Context, id string) (*applications.Snapshot, error)
	DeleteSnapshot(ctx context.Context, id, snapshotID string) error
	Events(ctx context.Context, id string) ([]*applications.Event, error)
	Versions(ctx context.Context, id string) ([]*applications.Version, error)
	Rebuild(ctx context.Context, id string) (*applications.Version, error)
	Update(ctx context.Context, id string, req applications.UpdateRequest) (*applications.UpdateReport, error)
	Spec(ctx context.Context, id string) (*applications.Spec, error)
	KubernetesManifest(ctx context.Context, id string, opt applications.KubernetesOptions) ([]byte, error)
	Apply(ctx context.Context, s *applications.Spec) (string, *applications.Application, error)
	Quotas() applications.Quotas
	// JobManagerURL is the address of the JobManager that runs the
	// application's job now, for its web UI through Eddy (flinkui.go).
	JobManagerURL(id string) (string, error)
}

var _ Applications = (*applications.Manager)(nil)

// applicationBuildTime bounds building (validation with Flink) and
// snapshots, which wait for Flink.
const applicationBuildTime = 6 * time.Minute

// registerApplicationRoutes adds the application routes under /api/v1.
func (s *Server) registerApplicationRoutes(v1 *echo.Group) {
	g := v1.Group("/applications", s.requireApplications)
	long := requestTime(applicationBuildTime)
	g.GET("", s.handleListApplications)
	g.POST("", s.handleCreateApplication, long)
	g.POST("/preview", s.handlePreviewApplication, long)
	g.POST("/apply", s.handleApplyApplication, long)
	g.GET("/:applicationId", s.handleGetApplication)
	g.PUT("/:applicationId", s.handleUpdateApplication)
	g.DELETE("/:applicationId", s.handleDeleteApplication)
	g.POST("/:applicationId/start", s.handleStartApplication)
	g.POST("/:applicationId/stop", s.handleStopApplication)
	g.POST("/:applicationId/update", s.handleUpdateVersion, long)
	g.GET("/:applicationId/snapshots", s.handleListSnapshots)
	g.POST("/:applicationId/snapshots", s.handleTakeSnapshot, long)
	g.DELETE("/:applicationId/snapshots/:snapshotId", s.handleDeleteSnapshot)
	g.GET("/:applicationId/events", s.handleApplicationEvents)
	g.GET("/:applicationId/versions", s.handleListVersions)
	g.POST("/:applicationId/versions", s.handleRebuildApplication, long)
	g.GET("/:applicationId/spec", s.handleApplicationSpec)
	g.GET("/:applicationId/manifest", s.handleApplicationManifest)
}

// requireApplications answers 503 where Eddy runs without applications.
func (s *Server) requireApplications(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.Applications == nil {
			return eddy.Errorf(eddy.EUNAVAILABLE, "applications are not available: Eddy has no Flink cluster to run them")
		}
		return next(c)
	}
}

type applicationList struct {
	Applications []*applications.Application `json:"applications"`
	Quotas       applications.Quotas         `json:"quotas"`
}

func (s *Server) handleListApplications(c echo.Context) error {
	ctx := c.Request().Context()
	all, err := s.cfg.Applications.List(ctx)
	if err != nil {
		return err
	}
	// Each user sees the applications of the notes they may read (one
	// whose note is gone, the admins).
	canRead, err := s.readable(ctx, principalOf(c))
	if err != nil {
		return err
	}
	apps := make([]*applications.Application, 0, len(all))
	for _, a := range all {
		if canRead(a.NoteID) {
			apps = append(apps, a)
		}
	}
	return c.JSON(http.StatusOK, applicationList{Applications: apps, Quotas: s.cfg.Applications.Quotas()})
}

func (s *Server) handlePreviewApplication(c echo.Context) error {
	noteID, err := decodeNoteID(c)
	if err != nil {
		return err
	}
	if err := s.allowNote(c.Request().Context(), principalOf(c), noteID, "", access.Read); err != nil {
		return err
	}
	p, err := s.cfg.Applications.Preview(c.Request().Context(), noteID)
	if err != nil {
		return err
	}
	if p.Excluded == nil {
		p.Excluded = []applications.Exclusion{}
	}
	if p.Forms == nil {
		p.Forms = []applications.BakedForm{}
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) handleCreateApplication(c echo.Context) error {
	var req applications.CreateRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	if err := s.allowNote(c.Request().Context(), principalOf(c), req.NoteID, "", access.Write); err != nil {
		return err
	}
	a, err := s.cfg.Applications.Create(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, a)
}

func (s *Server) handleGetApplication(c echo.Context) error {
	a, err := s.cfg.Applications.Get(c.Request().Context(), c.Param("applicationId"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

func (s *Server) handleDeleteApplication(c echo.Context) error {
	if err := s.cfg.Applications.Delete(c.Request().Context(), c.Param("applicationId")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// startBody is the body of a start: restore is "LATEST_SNAPSHOT", "NONE"
// or {"snapshotId": ...}.
type startBody struct {
	Restore json.RawMessage `json:"restore"`
}

func (b startBody) request() (applications.StartRequest, error) {
	raw := bytes.TrimSpace(b.Restore)
	if len(raw) == 0 || string(raw) == "null" {
		return applications.StartRequest{Restore: applications.RestoreLatestSnapshot}, nil
	}
	var name string
	if err := json.Unmarshal(raw, &name); err == nil {
		if name != applications.RestoreLatestSnapshot && name != applications.RestoreNone {
			return applications.StartRequest{}, eddy.Errorf(eddy.EINVALID, `restore %q: use "LATEST_SNAPSHOT", "NONE" or {"snapshotId": "…"}`, name)
		}
		return applications.StartRequest{Restore: name}, nil
	}
	var sn struct {
		SnapshotID string `json:"snapshotId"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sn); err != nil || sn.SnapshotID == "" {
		return applications.StartRequest{}, eddy.Errorf(eddy.EINVALID, `restore: use "LATEST_SNAPSHOT", "NONE" or {"snapshotId": "…"}`)
	}
	return applications.StartRequest{Restore: applications.RestoreSnapshot, SnapshotID: sn.SnapshotID}, nil
}

func (s *Server) handleStartApplication(c echo.Context) error {
	var body startBody
	if err := decodeBody(c, &body, true); err != nil {
		return err
	}
	req, err := body.request()
	if err != nil {
		return err
	}
	a, err := s.cfg.Applications.Start(c.Request().Context(), c.Param("applicationId"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, a)
}

// handleUpdateApplication changes a running or stopped application's
// parallelism (a running one is rescaled at once, keeping its state) or
// turns its autoscaling on or off; autoscaling first, when it does both.
func (s *Server) handleUpdateApplication(c echo.Context) error {
	var body struct {
		Parallelism        *int  `json:"parallelism"`
		AutoScalingEnabled *bool `json:"autoScalingEnabled"`
	}
	if err := decodeJSON(c, &body, false, true); err != nil {
		return err
	}
	if body.Parallelism == nil && body.AutoScalingEnabled == nil {
		return eddy.Errorf(eddy.EINVALID, `an update names what it changes: {"parallelism": n} or {"autoScalingEnabled": true|false}`)
	}
	ctx, id := c.Request().Context(), c.Param("applicationId")
	var a *applications.Application
	var err error
	if body.AutoScalingEnabled != nil {
		if a, err = s.cfg.Applications.SetAutoScaling(ctx, id, *body.AutoScalingEnabled); err != nil {
			return err
		}
	}
	if body.Parallelism != nil {
		if a, err = s.cfg.Applications.Rescale(ctx, id, *body.Parallelism); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusAccepted, a)
}

func (s *Server) handleStopApplication(c echo.Context) error {
	var body struct {
		Snapshot *bool `json:"snapshot"`
	}
	if err := decodeBody(c, &body, true); err != nil {
		return err
	}
	snapshot := body.Snapshot == nil || *body.Snapshot
	a, err := s.cfg.Applications.Stop(c.Request().Context(), c.Param("applicationId"), snapshot)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, a)
}

func (s *Server) handleListSnapshots(c echo.Context) error {
	snaps, err := s.cfg.Applications.Snapshots(c.Request().Context(), c.Param("applicationId"))
	if err != nil {
		return err
	}
	if snaps == nil {
		snaps = []*applications.Snapshot{}
	}
	return c.JSON(http.StatusOK, map[string]any{"snapshots": snaps})
}

func (s *Server) handleTakeSnapshot(c echo.Context) error {
	sn, err := s.cfg.Applications.TakeSnapshot(c.Request().Context(), c.Param("applicationId"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, sn)
}

func (s *Server) handleDeleteSnapshot(c echo.Context) error {
	if err := s.cfg.Applications.DeleteSnapshot(c.Request().Context(), c.Param("applicationId"), c.Param("snapshotId")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleApplicationEvents(c echo.Context) error {
	evs, err := s.cfg.Applications.Events(c.Request().Context(), c.Param("applicationId"))
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []*applications.Event{}
	}
	return c.JSON(http.StatusOK, map[string]any{"events": evs})
}

func (s *Server) handleListVersions(c echo.Context) error {
	vs, err := s.cfg.Applications.Versions(c.Request().Context(), c.Param("applicationId"))
	if err != nil {
		return err
	}
	out := make([]*applications.Version, len(vs))
	for i, v := range vs {
		out[i] = listedVersion(v)
	}
	return c.JSON(http.StatusOK, map[string]any{"versions": out})
}

// listedVersion is v as the API lists it: empty lists as [] (a build that
// left nothing out has none), never null.
func listedVersion(v *applications.Version) *applications.Version {
	c := *v
	if c.Included == nil {
		c.Included = []applications.Inclusion{}
	}
	if c.Excluded == nil {
		c.Excluded = []applications.Exclusion{}
	}
	if c.Forms == nil {
		c.Forms = []applications.BakedForm{}
	}
	if c.Settings == nil {
		c.Settings = map[string]string{}
	}
	return &c
}

func (s *Server) handleRebuildApplication(c echo.Context) error {
	v, err := s.cfg.Applications.Rebuild(c.Request().Context(), c.Param("applicationId"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, listedVersion(v))
}

// handleUpdateVersion builds the note into a new version and deploys it,
// keeping the running version's state (dryRun: reports the script diff
// and the state check, changing nothing). A check that loses state is
// refused with 409 whose details hold the check and the diff.
func (s *Server) handleUpdateVersion(c echo.Context) error {
	var req applications.UpdateRequest
	if err := decodeJSON(c, &req, true, true); err != nil {
		return err
	}
	rep, err := s.cfg.Applications.Update(c.Request().Context(), c.Param("applicationId"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}

// handleApplicationManifest exports an application for another platform:
// target=kubernetes is a ConfigMap with its script and a FlinkDeployment
// of the Flink Kubernetes Operator running it (YAML).
func (s *Server) handleApplicationManifest(c echo.Context) error {
	q := c.QueryParams()
	for k := range q {
		switch k {
		case "target", "namespace", "image", "checkpointDir", "savepointDir", "initialSavepoint", "serviceAccount":
		default:
			return eddy.Errorf(eddy.EINVALID, "unknown query parameter %q: a manifest takes target, namespace, image, checkpointDir, savepointDir, initialSavepoint and serviceAccount", k)
		}
	}
	if t := q.Get("target"); t != "kubernetes" {
		return eddy.Errorf(eddy.EINVALID, "target %q: the one manifest target is kubernetes (?target=kubernetes)", t)
	}
	id := c.Param("applicationId")
	b, err := s.cfg.Applications.KubernetesManifest(c.Request().Context(), id, applications.KubernetesOptions{
		Namespace: q.Get("namespace"), Image: q.Get("image"), CheckpointDir: q.Get("checkpointDir"),
		SavepointDir: q.Get("savepointDir"), InitialSavepointPath: q.Get("initialSavepoint"), ServiceAccount: q.Get("serviceAccount"),
	})
	if err != nil {
		return err
	}
	a, err := s.cfg.Applications.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+applications.KubernetesName(a.Name, a.ID)+`.yaml"`)
	return c.Blob(http.StatusOK, "application/yaml", b)
}

func (s *Server) handleApplicationSpec(c echo.Context) error {
	spec, err := s.cfg.Applications.Spec(c.Request().Context(), c.Param("applicationId"))
	if err != nil {
		return err
	}
	switch c.QueryParam("format") {
	case "", "json":
		return c.JSON(http.StatusOK, spec)
	case "yaml":
		b, err := yaml.Marshal(spec)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="`+spec.Name+`.yaml"`)
		return c.Blob(http.StatusOK, "application/yaml", b)
	}
	return eddy.Errorf(eddy.EINVALID, "format %q: use json or yaml", c.QueryParam("format"))
}

// handleApplyApplication takes a spec as JSON or YAML (by Content-Type).
// Unknown fields are refused: a misspelt key in a file kept in version
// control must not be silently ignored.
func (s *Server) handleApplyApplication(c echo.Context) error {
	var spec applications.Spec
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if strings.Contains(ct, "yaml") {
		b, err := readBody(c)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&spec); err != nil {
			return eddy.Errorf(eddy.EINVALID, "the spec is not valid YAML for an application: %v", err)
		}
	} else if err := decodeStrict(c, &spec); err != nil {
		return err
	}
	action, a, err := s.cfg.Applications.Apply(c.Request().Context(), &spec)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"action": action, "application": a})
}

// decodeStrict is decodeBody that also refuses fields v does not have.
func decodeStrict(c echo.Context, v any) error { return decodeJSON(c, v, false, true) }
