// Package server is Eddy's HTTP face: REST routes (Zeppelin-compatible under
// /api/notebook, Eddy's own under /api/v1), authentication and the static web
// app. Handlers are thin: they decode, call a service and encode.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/sessions"
)

// DefaultMaxBodyBytes bounds request bodies: Studio's note size quota, 5 MiB.
const DefaultMaxBodyBytes = 5 << 20

// ClusterService reports the state of the Flink cluster Eddy uses.
type ClusterService interface {
	ClusterStatus(ctx context.Context) kernel.ClusterStatus
}

// Config is what a Server needs. Zero values get defaults in New.
type Config struct {
	Addr         string // listen address, e.g. 127.0.0.1:8890; port 0 picks a free one
	Token        string // the credential every /api route requires
	MaxBodyBytes int64  // request body limit; past it requests get 413
	Logger       *slog.Logger

	Cluster ClusterService
	Notes   notebooks.Service // notes, paragraphs, revisions (the SQLite store)
	Runner  Runner            // runs paragraphs, live state (the sessions service); nil: runs unavailable
	// Sessions runs paragraphs for the REST run API and serves /api/v1/sessions.
	Sessions *sessions.Manager
}

// Server serves Eddy over HTTP. Open starts it, Close stops it.
type Server struct {
	cfg  Config
	log  *slog.Logger
	echo *echo.Echo
	http *http.Server
	ln   net.Listener
	wg   sync.WaitGroup
	hub  *hub // websocket connections (ws.go)

	closing     chan struct{} // closed when Close begins
	closingOnce sync.Once
}

// New returns a Server with routes registered but not yet listening.
func New(cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, log: cfg.Logger, echo: echo.New(), closing: make(chan struct{})}
	s.echo.HideBanner = true
	s.echo.HidePort = true
	s.echo.HTTPErrorHandler = s.errorHandler
	s.echo.Use(middleware.Recover())
	s.routes()
	return s
}

// routes registers every route. Each area of the API adds itself here.
func (s *Server) routes() {
	s.echo.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	s.echo.GET("/", s.handleIndex)

	api := s.echo.Group("/api", s.requireAuth, middleware.BodyLimit(strconv.FormatInt(s.cfg.MaxBodyBytes, 10)+"B"))
	v1 := api.Group("/v1")
	v1.GET("/cluster", s.handleCluster)
	s.registerNotebookRoutes(api)
	s.registerJobRoutes(api)

	s.hub = newHub(s.cfg.Notes, s.cfg.Runner, s.log, s.cfg.MaxBodyBytes)
	s.echo.GET("/ws", s.handleWS)
	s.registerStaticRoutes()
}

// Handler returns the HTTP handler, for tests that drive the server without a socket.
func (s *Server) Handler() http.Handler { return s.echo }

// Open listens on the configured address and serves in a goroutine owned by s.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	s.http = &http.Server{Handler: s.echo, ReadHeaderTimeout: 10 * time.Second}
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
	KPUCapacity int `json:"kpuCapacity"`
	KPUsInUse   int `json:"kpusInUse"`
}

func (s *Server) handleCluster(c echo.Context) error {
	var out clusterStatus
	if s.cfg.Cluster != nil {
		out.ClusterStatus = s.cfg.Cluster.ClusterStatus(c.Request().Context())
	}
	if m := s.cfg.Sessions; m != nil {
		out.KPUCapacity, out.KPUsInUse = m.Ledger().Capacity(), m.Ledger().InUse()
	}
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
