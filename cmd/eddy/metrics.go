package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
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

// metricsListenAddr is the address --metrics-listen binds: one without a
// host (":9464") binds loopback, so metrics are exposed beyond this
// machine only when asked for by name (0.0.0.0:9464).
func metricsListenAddr(v string) (string, error) {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", fmt.Errorf("--metrics-listen %q: want host:port or :port: %w", v, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// metricsServer serves /metrics without authentication on its own listen
// address (--metrics-listen), for a Prometheus that cannot hold a token.
type metricsServer struct {
	http *http.Server
	ln   net.Listener
	done chan struct{} // closed when Serve has returned
}

// openMetricsServer listens on addr and serves h at /metrics.
func openMetricsServer(addr string, h http.Handler, log *slog.Logger) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	ms := &metricsServer{
		http: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute},
		ln:   ln,
		done: make(chan struct{}),
	}
	go func() {
		defer close(ms.done)
		if err := ms.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	return ms, nil
}

// Addr is the address the metrics server listens on.
func (ms *metricsServer) Addr() string { return ms.ln.Addr().String() }

// Close stops the metrics server, waiting for scrapes in flight up to ctx.
func (ms *metricsServer) Close(ctx context.Context) error {
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
