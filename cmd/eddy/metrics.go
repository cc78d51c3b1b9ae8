package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/metrics"
)

// Log formats (--log-format).
const (
	logText = "text"
	logJSON = "json"
)

// newLogger returns Eddy's logger writing to w in format (text unless json).
func newLogger(w io.Writer, format string) *slog.Logger {
	if format == logJSON {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// sideListenAddr is the address a side listener's flag (--metrics-listen,
// --pprof-listen) binds: one without a host (":9464") binds loopback, so
// what it serves is exposed beyond this machine only when asked for by name
// (0.0.0.0:9464).
func sideListenAddr(flagName, v string) (string, error) {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", fmt.Errorf("--%s %q: want host:port or :port: %w", flagName, v, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// sideServer serves a few unauthenticated endpoints on a listen address of
// their own: /metrics (--metrics-listen), for a Prometheus that cannot hold
// a token, and Go's profiles (--pprof-listen).
type sideServer struct {
	http *http.Server
	ln   net.Listener
	done chan struct{} // closed when Serve has returned
}

// openMetricsServer listens on addr and serves h at /metrics.
func openMetricsServer(addr string, h http.Handler, log *slog.Logger) (*sideServer, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	return openSideServer("metrics-listen", addr, mux, log)
}

// openPprofServer listens on addr and serves the Go runtime's profiles at
// /debug/pprof/ (CPU, heap, goroutines, mutex and block contention), for
// finding where Eddy's time goes under load (bench/wsload uses it).
func openPprofServer(addr string, log *slog.Logger) (*sideServer, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return openSideServer("pprof-listen", addr, mux, log)
}

// openSideServer listens on addr (the value of --flagName) and serves mux.
func openSideServer(flagName, addr string, mux *http.ServeMux, log *slog.Logger) (*sideServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flagName, err)
	}
	ms := &sideServer{
		http: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute},
		ln:   ln,
		done: make(chan struct{}),
	}
	go func() {
		defer close(ms.done)
		if err := ms.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("side listener stopped", "flag", flagName, "err", err)
		}
	}()
	return ms, nil
}

// Addr is the address the server listens on.
func (ms *sideServer) Addr() string { return ms.ln.Addr().String() }

// Close stops the server, waiting for requests in flight up to ctx.
func (ms *sideServer) Close(ctx context.Context) error {
	err := ms.http.Shutdown(ctx)
	<-ms.done
	return err
}

// openMetrics makes Eddy's metrics and connects the parts that record
// without the HTTP server: Flink's REST clients and the SQLite store. The
// sessions' collector is registered once the sessions exist
// (registerRuntime).
func (m *Main) openMetrics() {
	m.metrics = metrics.New()
	flink.SetCallObserver(m.metrics.ObserveFlinkCall)
	m.notes.ObserveWrites(m.metrics.ObserveSQLiteWrite)
}

// MetricsAddr is the address of the separate metrics listener, "" when
// --metrics-listen is not set; valid after Run.
func (m *Main) MetricsAddr() string {
	if m.metricsSrv == nil {
		return ""
	}
	return m.metricsSrv.Addr()
}
