// Package metrics is Eddy's Prometheus adapter: the series Eddy exports on
// /metrics, kept on a private registry (never the client library's global
// one), and the collector that reads sessions, KPUs, jobs and live
// paragraphs when a scrape asks.
//
// Every series is named eddy_… with its unit in the name. Labels are
// bounded: HTTP routes are echo's route templates, never raw URLs; Flink
// and SQLite operations are the fixed operation names of their clients.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Latency buckets, in seconds. HTTP and Flink calls span a millisecond to
// tens of seconds (a statement's submission); a delta encodes in
// microseconds to milliseconds; a SQLite commit (synchronous=FULL) takes
// about a millisecond, more under load.
var (
	requestBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	encodeBuckets  = []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1}
	writeBuckets   = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5}
)

// Metrics holds Eddy's series. Its methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec   // method, route, code
	httpDuration *prometheus.HistogramVec // method, route

	wsConnections prometheus.Gauge
	wsMessages    prometheus.Counter
	wsBytes       prometheus.Counter
	deltaEncode   prometheus.Histogram

	flinkDuration *prometheus.HistogramVec // service, op
	flinkErrors   *prometheus.CounterVec   // service, op

	sqliteWrites      *prometheus.HistogramVec // op
	sqliteWriteErrors *prometheus.CounterVec   // op
}

// New returns Metrics on a new private registry that also holds the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eddy_http_requests_total",
			Help: "HTTP requests answered, by method, route template and status code (the websocket upgrade is not counted: see eddy_websocket_*).",
		}, []string{"method", "route", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "eddy_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method and route template.",
			Buckets: requestBuckets,
		}, []string{"method", "route"}),
		wsConnections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "eddy_websocket_connections",
			Help: "Open websocket connections.",
		}),
		wsMessages: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eddy_websocket_messages_sent_total",
			Help: "Websocket text messages sent (replies, note events, live state).",
		}),
		wsBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eddy_websocket_sent_bytes_total",
			Help: "Bytes of websocket text messages sent.",
		}),
		deltaEncode: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "eddy_websocket_delta_encode_seconds",
			Help:    "Time to encode a paragraph's live state (status and result deltas or snapshot) for websocket viewers; viewers at the same point share one encoding.",
			Buckets: encodeBuckets,
		}),
		flinkDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "eddy_flink_request_duration_seconds",
			Help:    "Round trip of a call to Flink's REST APIs (the SQL Gateway, the JobManager), by service and operation; failed calls included.",
			Buckets: requestBuckets,
		}, []string{"service", "op"}),
		flinkErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eddy_flink_request_errors_total",
			Help: "Calls to Flink's REST APIs that failed (unreachable, or an error answer), by service and operation.",
		}, []string{"service", "op"}),
		sqliteWrites: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "eddy_sqlite_write_duration_seconds",
			Help:    "Time of a SQLite write transaction (begin to commit), by operation.",
			Buckets: writeBuckets,
		}, []string{"op"}),
		sqliteWriteErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eddy_sqlite_write_errors_total",
			Help: "SQLite write transactions that failed, by operation.",
		}, []string{"op"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration,
		m.wsConnections, m.wsMessages, m.wsBytes, m.deltaEncode,
		m.flinkDuration, m.flinkErrors,
		m.sqliteWrites, m.sqliteWriteErrors,
	)
	return m
}

// Registry returns the private registry, to gather in tests or to register
// more collectors (Register).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Register adds a collector to the registry; it fails when one of its
// series is already there.
func (m *Metrics) Register(c prometheus.Collector) error { return m.reg.Register(c) }

// Handler serves the registry in Prometheus' text exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest records an answered HTTP request. route is the route
// template ("/api/notebook/:noteId"), "" for a request no route matched.
func (m *Metrics) ObserveRequest(method, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.httpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(method, route).Observe(d.Seconds())
}

// WebsocketOpened counts a websocket connection in.
func (m *Metrics) WebsocketOpened() { m.wsConnections.Inc() }

// WebsocketClosed counts a websocket connection out.
func (m *Metrics) WebsocketClosed() { m.wsConnections.Dec() }

// WebsocketSent records a websocket message of n bytes.
func (m *Metrics) WebsocketSent(n int) {
	m.wsMessages.Inc()
	m.wsBytes.Add(float64(n))
}

// ObserveDeltaEncode records the encoding of a paragraph's live state.
func (m *Metrics) ObserveDeltaEncode(d time.Duration) { m.deltaEncode.Observe(d.Seconds()) }

// ObserveFlinkCall records a call to a Flink REST API; service is who
// answered ("SQL Gateway", "JobManager"), op the client's operation name.
func (m *Metrics) ObserveFlinkCall(service, op string, d time.Duration, err error) {
	m.flinkDuration.WithLabelValues(service, op).Observe(d.Seconds())
	if err != nil {
		m.flinkErrors.WithLabelValues(service, op).Inc()
	}
}

// ObserveSQLiteWrite records a SQLite write transaction.
func (m *Metrics) ObserveSQLiteWrite(op string, d time.Duration, err error) {
	m.sqliteWrites.WithLabelValues(op).Observe(d.Seconds())
	if err != nil {
		m.sqliteWriteErrors.WithLabelValues(op).Inc()
	}
}
