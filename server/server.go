// Package server is Eddy's HTTP face: REST routes (Zeppelin-compatible under
// /api/notebook, Eddy's own under /api/v1), authentication and the static web
// app. Handlers are thin: they decode, call a service and encode.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"

	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/eddy-notebooks/eddy/access"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/sessions"
)

// connectorAddTimeout bounds adding a connector: the download and the
// restart of the Flink JVMs.
const connectorAddTimeout = 10 * time.Minute

// DefaultMaxBodyBytes bounds request bodies: Studio's note size quota, 5 MiB.
const DefaultMaxBodyBytes = 5 << 20

// ClusterService reports the state of the Flink cluster Eddy uses.
type ClusterService interface {
	// ClusterStatus asks the cluster how it is (it probes: up to seconds).
	ClusterStatus(ctx context.Context) kernel.ClusterStatus
	// KafkaBootstrap is the Kafka notes reach by default, "" for none; it
	// asks nothing.
	KafkaBootstrap() string
	// JobManagerURL is the JobManager's address now, which serves the
	// Flink web UI and its REST API; it asks nothing ("" for none yet).
	JobManagerURL() string
}

// Sessions is everything the REST and websocket handlers need at run
// time: running paragraphs and their live state, notebook sessions and
// KPUs, completion. sessions.Manager implements it. Methods are safe for
// concurrent use; errors carry eddy codes.
type Sessions interface {
	// Run starts a paragraph with its stored text, starting the note's
	// session if needed, and returns without waiting for it; the channel
	// closes when the run has ended and its outcome is stored. An error is
	// a refusal (unknown paragraph, already running, no capacity) and
	// nothing was started.
	Run(ctx context.Context, noteID, paragraphID string) (<-chan struct{}, error)
	// Cancel stops a running paragraph; one not running is not an error.
	// It may wait until the run has ended, at most until ctx is done.
	Cancel(ctx context.Context, noteID, paragraphID string) error
	// RunAll runs the note's enabled paragraphs in order in the
	// background; the channel closes when run-all has ended.
	RunAll(ctx context.Context, noteID string) (<-chan struct{}, error)
	// RunningAll reports whether a run-all of the note is under way, gaps
	// between its paragraphs included, which the paragraphs' live states
	// alone cannot tell.
	RunningAll(noteID string) bool
	// StopAll cancels every running paragraph of the note.
	StopAll(ctx context.Context, noteID string) error

	// Watch returns a channel that receives a value (coalesced: capacity 1,
	// never closed) whenever the live state of the note changes — a
	// paragraph's status, progress, output or result, or the note's session
	// — and a stop func the caller must call exactly once.
	Watch(noteID string) (<-chan struct{}, func())
	// Live returns a paragraph's live state, if it ran in this process.
	Live(noteID, paragraphID string) (kernel.ParagraphLive, bool)
	// Changelog returns the raw changelog of a paragraph's current or
	// last query result in the note's session, if it has one.
	Changelog(noteID, paragraphID string) (kernel.ChangelogView, bool)
	// LiveSince returns, for every paragraph of the note with live state in
	// this process, what a viewer that has seen result sequence seen[id]
	// needs (an absent id means nothing seen): the status fields plus the
	// deltas after that sequence, or a snapshot when those deltas are no
	// longer kept (kernel.Kernel.LiveSince). It does not block on I/O.
	LiveSince(noteID string, seen map[string]int64) []kernel.ParagraphLive
	// Forget drops a paragraph's live state, as when its output is cleared,
	// so viewers see what is stored; a paragraph whose run has not ended is
	// refused with an eddy.ECONFLICT error.
	Forget(noteID, paragraphID string) error
	// SessionState returns the note's session, or nil when it has none.
	SessionState(noteID string) *sessions.Info

	// List returns the live sessions, oldest first.
	List() []sessions.Info
	// Get returns a live session by id.
	Get(sessionID string) (sessions.Info, error)
	// Start returns the note's session, starting it if needed.
	Start(ctx context.Context, noteID string) (sessions.Info, error)
	// Stop ends a session, cancelling its jobs, and returns it as it ended.
	Stop(ctx context.Context, sessionID string) (sessions.Info, error)
	// Capacity returns the KPU capacity and what is in use.
	Capacity() sessions.Capacity
	// Usage returns metered use per note and in total.
	Usage(ctx context.Context) (sessions.UsageReport, error)
	// Complete returns completion candidates for a paragraph's text at a
	// byte offset, in the note's session when it has one.
	Complete(ctx context.Context, noteID, text string, pos int) ([]string, error)
	// CatalogTree lists the catalogs, databases and the names of their
	// tables, views and functions as the note sees them (its temporary
	// objects too when it has a session).
	CatalogTree(ctx context.Context, noteID string) (kernel.CatalogTree, error)
	// CatalogObject describes a table or view as the note sees it; one
	// that does not exist is an eddy.ENOTFOUND error.
	CatalogObject(ctx context.Context, noteID, catalog, database, name string) (kernel.CatalogObject, error)
}

var _ Sessions = (*sessions.Manager)(nil)

// Config is what a Server needs. Cluster, Notes, Sessions and Connectors
// are required; other zero values get defaults in New.
type Config struct {
	Addr string // listen address, e.g. 127.0.0.1:8890; port 0 picks a free one
	// FrameAncestors are the origins that may put the embed view of a
	// paragraph link in an iframe (CSP frame-ancestors; default
	// DefaultFrameAncestors). New refuses an invalid list.
	FrameAncestors []string
	Token          string // the start-up token: the start-up admin's credential
	MaxBodyBytes   int64  // request body limit; past it requests get 413
	Logger         *slog.Logger

	Cluster  ClusterService    // the Flink cluster's status
	Notes    notebooks.Service // notes, paragraphs, revisions (the SQLite store)
	Sessions Sessions          // runs paragraphs, live state, sessions and KPUs
	Access   *access.Store     // users, sessions, tokens, links, permissions, audit
	// Connectors are the connector jars on the cluster's classpath.
	Connectors ConnectorService
	// Applications runs promoted notes; nil answers its routes with 503.
	Applications Applications

	// Metrics records requests and websocket traffic; nil records nothing.
	Metrics Metrics
	// MetricsHandler serves GET /metrics to signed-in users (as the API
	// authenticates them); nil serves no /metrics.
	MetricsHandler http.Handler

	ExampleFiles string // absolute directory where example notes write files

	// IdleTimeout closes keep-alive connections idle this long (default
	// DefaultIdleTimeout); RequestTimeout bounds reading a request's body and
	// writing its answer (default DefaultRequestTimeout), except for the
	// websocket and the synchronous run, which last as long as they must.
	IdleTimeout, RequestTimeout time.Duration
}

// Metrics records what the server does, for monitoring; *metrics.Metrics
// implements it. Methods must be safe for concurrent use and must not block.
type Metrics interface {
	// ObserveRequest records an answered HTTP request by its route
	// template ("" when no route matched).
	ObserveRequest(method, route string, status int, d time.Duration)
	// WebsocketOpened and WebsocketClosed count a connection in and out.
	WebsocketOpened()
	WebsocketClosed()
	// WebsocketSent records a text message of n bytes.
	WebsocketSent(n int)
	// ObserveDeltaEncode records the encoding of a paragraph's live state.
	ObserveDeltaEncode(d time.Duration)
}

// noMetrics records nothing.
type noMetrics struct{}

func (noMetrics) ObserveRequest(string, string, int, time.Duration) {}
func (noMetrics) WebsocketOpened()                                  {}
func (noMetrics) WebsocketClosed()                                  {}
func (noMetrics) WebsocketSent(int)                                 {}
func (noMetrics) ObserveDeltaEncode(time.Duration)                  {}

// wsPath is the websocket's route.
const wsPath = "/ws"

// Connection timeouts.
const (
	DefaultIdleTimeout    = 2 * time.Minute
	DefaultRequestTimeout = 5 * time.Minute
	readHeaderTimeout     = 10 * time.Second
)

// Server serves Eddy over HTTP. Open starts it, Close stops it.
type Server struct {
	cfg      Config
	notes    notebooks.Service // cfg.Notes
	sessions Sessions          // cfg.Sessions
	log      *slog.Logger
	echo     *echo.Echo
	http     *http.Server
	ln       net.Listener
	port     string // the port listened on, in cookie names (auth.go)
	wg       sync.WaitGroup
	hub      *hub                    // websocket connections (ws.go)
	perms    *sharedReads[notePerms] // note permission reads, shared when they arrive together (access.go)
	access   *access.Store
	admin    *access.User         // the start-up admin: the start-up token's user
	limiter  *access.LoginLimiter // failed logins (access.go)
	// flinkTransport carries the requests of the Flink web UI (flinkui.go).
	flinkTransport *http.Transport

	closing     chan struct{} // closed when Close begins
	closingOnce sync.Once
}

// New returns a Server with routes registered but not yet listening. It
// refuses a configuration without Notes or Sessions.
func New(cfg Config) (*Server, error) {
	if cfg.Notes == nil || cfg.Sessions == nil || cfg.Cluster == nil || cfg.Connectors == nil || cfg.Access == nil {
		return nil, errors.New("server: Config.Notes, Config.Sessions, Config.Cluster, Config.Connectors and Config.Access are required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if len(cfg.FrameAncestors) > 0 {
		if err := ValidateFrameAncestors(cfg.FrameAncestors); err != nil {
			return nil, fmt.Errorf("server: frame ancestors of the embed view: %w", err)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	s := &Server{cfg: cfg, notes: cfg.Notes, sessions: cfg.Sessions, log: cfg.Logger, echo: echo.New(), closing: make(chan struct{}),
		access: cfg.Access, limiter: access.NewLoginLimiter(loginFailures, loginWindow)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := cfg.Access.EnsureStartupAdmin(ctx)
	if err != nil {
		return nil, fmt.Errorf("server: the start-up admin: %w", err)
	}
	s.admin = admin
	s.echo.HideBanner = true
	s.echo.HidePort = true
	s.echo.HTTPErrorHandler = s.errorHandler
	s.echo.Use(s.measure, s.securityHeaders(cfg.FrameAncestors), middleware.Recover(), s.deadlines)
	s.routes()
	return s, nil
}

// measure records each answered request by its route template (bounded
// cardinality, never the raw URL). A handler's error is answered here, so
// the status recorded is the one sent. The websocket route is left to the
// websocket series: its request lasts as long as the connection.
func (s *Server) measure(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Path() == wsPath {
			return next(c)
		}
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		s.cfg.Metrics.ObserveRequest(c.Request().Method, c.Path(), c.Response().Status, time.Since(start))
		return nil
	}
}

// requireSignedIn admits a signed-in user (the API's rule for reads such as
// GET /api/v1/cluster); it follows identify.
func (s *Server) requireSignedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.check(c, rule{need: needSignedIn}, principalOf(c)); err != nil {
			return err
		}
		return next(c)
	}
}

// deadlines bounds how long a request may take to send its body and to
// receive its answer, so a stuck or hostile client cannot hold a
// connection for ever. Routes that need longer say so with requestTime.
func (s *Server) deadlines(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		setDeadlines(c, s.cfg.RequestTimeout)
		return next(c)
	}
}

// requestTime gives a route its own time to read its body and write its
// answer instead of RequestTimeout; 0 sets no limit (the websocket keeps
// its own deadlines, the synchronous run lasts as long as its query).
func requestTime(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			setDeadlines(c, d)
			return next(c)
		}
	}
}

// setDeadlines sets the connection's read and write deadlines d from now,
// or clears them when d is 0.
func setDeadlines(c echo.Context, d time.Duration) {
	var deadline time.Time
	if d > 0 {
		deadline = time.Now().Add(d)
	}
	rc := http.NewResponseController(c.Response().Writer)
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline)
}

// maxDrain is how much of an oversized body Eddy reads and discards so the
// client, still sending, can receive the 413: a simple client (Python's
// urllib) writes the whole body before it reads, and a connection closed
// under it is a reset, not an answer. Past it the connection is cut.
const maxDrain = 64 << 20

// limitBody answers a body larger than MaxBodyBytes with 413: one whose
// Content-Length says so before the handler runs, after reading what the
// client sends (up to maxDrain); one without (chunked) when reading passes
// the limit.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > s.cfg.MaxBodyBytes {
			if r.ContentLength-s.cfg.MaxBodyBytes <= maxDrain {
				_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, r.ContentLength))
			}
			c.Response().Header().Set("Connection", "close")
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, s.cfg.MaxBodyBytes)
		return next(c)
	}
}

// routes registers every route. Each area of the API adds itself here.
func (s *Server) routes() {
	s.echo.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	s.echo.GET("/", s.handleIndex)

	api := s.echo.Group("/api", s.identify, s.authorize, s.limitBody)
	v1 := api.Group("/v1")
	v1.GET("/cluster", s.handleCluster)
	s.registerNotebookRoutes(api)
	s.registerJobRoutes(api)
	s.registerClearRoutes(api)
	s.registerChangelogRoutes(api)
	s.registerSessionRoutes(v1)
	s.registerCompletionRoutes(v1)
	s.registerCatalogRoutes(v1)
	s.registerExampleRoutes(v1)
	s.registerConnectorRoutes(v1)
	s.registerApplicationRoutes(v1)
	s.registerInspectRoutes(v1)
	s.registerAccessRoutes(api)
	s.registerFlinkUIRoutes()

	if s.cfg.MetricsHandler != nil {
		s.echo.GET("/metrics", echo.WrapHandler(s.cfg.MetricsHandler), s.identify, s.requireSignedIn)
	}

	s.hub = newHub(s.notes, s.cfg.Sessions, s.log, s.cfg.MaxBodyBytes)
	s.perms = newSharedReads(s.hub.ctx, s.readNotePermissions)
	s.hub.allow = s.allowNote
	s.hub.record = s.recordFor
	s.hub.metrics = s.cfg.Metrics
	s.hub.live.metrics = s.cfg.Metrics
	s.echo.GET(wsPath, s.handleWS, requestTime(0))
	s.registerStaticRoutes()
}

// Open listens on the configured address and serves in a goroutine owned by s.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	_, s.port, _ = net.SplitHostPort(ln.Addr().String())
	s.http = &http.Server{Handler: s.echo, ReadHeaderTimeout: readHeaderTimeout, IdleTimeout: s.cfg.IdleTimeout}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// Addr returns the address the server listens on, valid after Open.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL returns the server's base URL, valid after Open.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Close stops accepting requests and waits for those in flight, up to ctx.
func (s *Server) Close(ctx context.Context) error {
	if s.http == nil {
		return s.hub.Close(ctx)
	}
	// Requests that wait for a run (synchronous runs, blocking run-all) stop
	// waiting, so Shutdown does not wait for streaming queries.
	s.closingOnce.Do(func() { close(s.closing) })
	err := s.http.Shutdown(ctx)
	// Shutdown does not touch hijacked connections: the hub says goodbye to them.
	if herr := s.hub.Close(ctx); err == nil {
		err = herr
	}
	s.wg.Wait()
	return err
}

// clusterStatus is the cluster as GET /api/v1/cluster reports it.
type clusterStatus struct {
	kernel.ClusterStatus
	sessions.Capacity
}

func (s *Server) handleCluster(c echo.Context) error {
	out := clusterStatus{ClusterStatus: s.cfg.Cluster.ClusterStatus(c.Request().Context()), Capacity: s.sessions.Capacity()}
	return c.JSON(http.StatusOK, out)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
