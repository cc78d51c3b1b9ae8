package server

import (
	"errors"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
)

// The Flink web UI through Eddy.
//
// Eddy serves the JobManager's web UI (an Angular app whose requests are
// relative: ./config, ./jobs/overview, …) and the REST API behind it under
// FlinkUIPath, behind Eddy's own authentication, so that job links work
// wherever the browser can reach Eddy: a cluster on another host, or a local
// one that came up on other ports. The JobManager's address is asked of the
// cluster at every request, never kept. The proxy is read-only: the Flink UI
// cannot send Eddy's CSRF header, and cancelling a job or submitting a jar
// belongs to Eddy (which meters KPUs and follows its jobs), so only GET and
// HEAD are forwarded. Eddy's credentials (the Authorization header, the token
// query parameter, Eddy's cookies and CSRF header) never reach Flink.

// FlinkUIPath is where Eddy serves the Flink web UI; links to it end in
// "#/job/running/<id>/overview" and the like.
const FlinkUIPath = "/flink/"

// The proxy's connections to the JobManager: at most flinkIdleConns idle
// per address (a JobManager that moved gets new ones), each closed after
// flinkIdleTimeout; a JobManager that sends no answer within
// flinkAnswerTimeout is reported unavailable.
const (
	flinkIdleConns     = 8
	flinkIdleTimeout   = 30 * time.Second
	flinkAnswerTimeout = time.Minute
)

// registerFlinkUIRoutes serves the Flink web UI under FlinkUIPath.
func (s *Server) registerFlinkUIRoutes() {
	s.flinkTransport = &http.Transport{MaxIdleConnsPerHost: flinkIdleConns, IdleConnTimeout: flinkIdleTimeout, ResponseHeaderTimeout: flinkAnswerTimeout}
	base := strings.TrimSuffix(FlinkUIPath, "/")
	// Without the slash the UI's relative URLs would resolve against "/".
	s.echo.GET(base, func(c echo.Context) error { return c.Redirect(http.StatusFound, FlinkUIPath) })
	s.echo.Any(base+"/*", s.handleFlinkUI)
}

// handleFlinkUI forwards a read of the Flink web UI or its REST API to the
// JobManager: 401 without Eddy's credential, 403 for any method other than
// GET and HEAD, 503 when no JobManager is known or it does not answer.
func (s *Server) handleFlinkUI(c echo.Context) error {
	r := c.Request()
	if !s.Authenticated(r) {
		return eddy.Errorf(eddy.EUNAUTHORIZED, "authentication required: open Eddy with ?token=… first, or send 'Authorization: Bearer TOKEN'")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return eddy.Errorf(eddy.EFORBIDDEN, "the Flink web UI through Eddy is read-only (%s refused): stop jobs from their note or application in Eddy", r.Method)
	}
	target, err := s.flinkUITarget()
	if err != nil {
		return err
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Path = "/" + strings.TrimPrefix(pr.In.URL.Path, FlinkUIPath)
			pr.Out.URL.RawPath = ""
			q := pr.Out.URL.Query()
			if q.Has("token") {
				q.Del("token")
				pr.Out.URL.RawQuery = q.Encode()
			}
			pr.SetURL(target)
			pr.Out.Host = target.Host
			pr.Out.Header.Del("Authorization")
			pr.Out.Header.Del("Cookie")
			pr.Out.Header.Del(CSRFHeader)
			pr.Out.Header.Del("Origin")
			pr.Out.Header.Del("Referer")
		},
		Transport: s.flinkTransport,
		// Flush at once: a slow or streaming answer reaches the browser as it comes.
		FlushInterval: -1,
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Del("Set-Cookie") // Flink sets none; none may land on Eddy's origin
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			if errors.Is(err, req.Context().Err()) {
				return // the browser went away
			}
			s.log.Warn("flink web ui: jobmanager did not answer", "target", target.Redacted(), "path", req.URL.Path, "err", err)
			s.errorHandler(eddy.Errorf(eddy.EUNAVAILABLE, "the Flink JobManager at %s did not answer: %v", target.Redacted(), err), c)
		},
	}
	proxy.ServeHTTP(c.Response(), r)
	return nil
}

// flinkUITarget is the JobManager's address as the cluster reports it now.
func (s *Server) flinkUITarget() (*url.URL, error) {
	raw := s.cfg.Cluster.JobManagerURL()
	if raw == "" {
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "no Flink JobManager is known yet")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "the Flink JobManager's address %q is not an http(s) URL", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}
