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
// FlinkUIPath (an application on a cluster of its own: under
// FlinkAppUIPath + its id), behind Eddy's own authentication, so that job links work
// wherever the browser can reach Eddy: a cluster on another host, or a local
// one that came up on other ports. The JobManager's address is asked of the
// cluster at every request, never kept. The proxy is read-only: the Flink UI
// cannot send Eddy's CSRF header, and cancelling a job or submitting a jar
// belongs to Eddy (which meters KPUs and follows its jobs), so only GET and
// HEAD are forwarded. Eddy's credentials (the Authorization header, the token
// query parameter, Eddy's cookies and CSRF header) never reach Flink.

// FlinkUIPath is where Eddy serves the notebook cluster's Flink web UI;
// links to it end in "#/job/running/<id>/overview" and the like.
const FlinkUIPath = "/flink/"

// FlinkAppUIPath + an application's id + "/" is where Eddy serves the web
// UI of an application that runs on a cluster of its own.
const FlinkAppUIPath = "/flink-app/"

// The proxy's connections to the JobManager: at most flinkIdleConns idle
// per address (a JobManager that moved gets new ones), each closed after
// flinkIdleTimeout; a JobManager that sends no answer within
// flinkAnswerTimeout is reported unavailable.
const (
	flinkIdleConns     = 8
	flinkIdleTimeout   = 30 * time.Second
	flinkAnswerTimeout = time.Minute
)

// registerFlinkUIRoutes serves the Flink web UI under FlinkUIPath, and an
// application cluster's under FlinkAppUIPath.
func (s *Server) registerFlinkUIRoutes() {
	s.flinkTransport = &http.Transport{MaxIdleConnsPerHost: flinkIdleConns, IdleConnTimeout: flinkIdleTimeout, ResponseHeaderTimeout: flinkAnswerTimeout}
	// Without the final slash the UI's relative URLs would resolve one level up.
	s.echo.GET(strings.TrimSuffix(FlinkUIPath, "/"), func(c echo.Context) error { return c.Redirect(http.StatusFound, FlinkUIPath) })
	s.echo.Any(FlinkUIPath+"*", func(c echo.Context) error {
		return s.proxyFlinkUI(c, FlinkUIPath, s.flinkUITarget)
	})
	s.echo.GET(FlinkAppUIPath+":id", func(c echo.Context) error {
		return c.Redirect(http.StatusFound, FlinkAppUIPath+url.PathEscape(c.Param("id"))+"/")
	})
	s.echo.Any(FlinkAppUIPath+":id/*", func(c echo.Context) error {
		id := c.Param("id")
		return s.proxyFlinkUI(c, FlinkAppUIPath+url.PathEscape(id)+"/", func() (*url.URL, error) { return s.flinkAppTarget(id) })
	})
}

// proxyFlinkUI forwards a read of a Flink web UI or its REST API, the path
// below prefix (as escaped in the request), to the JobManager target names: 401 without Eddy's
// credential, 403 for any method other than GET and HEAD, the target's
// error (e.g. 503 when no JobManager is known), 503 when it does not answer.
func (s *Server) proxyFlinkUI(c echo.Context, prefix string, target func() (*url.URL, error)) error {
	r := c.Request()
	if !s.Authenticated(r) {
		return eddy.Errorf(eddy.EUNAUTHORIZED, "authentication required: open Eddy with ?token=… first, or send 'Authorization: Bearer TOKEN'")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return eddy.Errorf(eddy.EFORBIDDEN, "the Flink web UI through Eddy is read-only (%s refused): stop jobs from their note or application in Eddy", r.Method)
	}
	rest, found := strings.CutPrefix(r.URL.EscapedPath(), prefix)
	if !found {
		return eddy.Errorf(eddy.ENOTFOUND, "no Flink web UI at %s", r.URL.Path)
	}
	path, err := url.PathUnescape("/" + rest)
	if err != nil {
		return eddy.Errorf(eddy.EINVALID, "bad path %q", r.URL.EscapedPath())
	}
	jm, err := target()
	if err != nil {
		return err
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Path, pr.Out.URL.RawPath = path, "/"+rest
			q := pr.Out.URL.Query()
			if q.Has("token") {
				q.Del("token")
				pr.Out.URL.RawQuery = q.Encode()
			}
			pr.SetURL(jm)
			pr.Out.Host = jm.Host
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
			s.log.Warn("flink web ui: jobmanager did not answer", "target", jm.Redacted(), "path", req.URL.Path, "err", err)
			s.errorHandler(eddy.Errorf(eddy.EUNAVAILABLE, "the Flink JobManager at %s did not answer: %v", jm.Redacted(), err), c)
		},
	}
	proxy.ServeHTTP(c.Response(), r)
	return nil
}

// flinkUITarget is the notebook cluster's JobManager as the cluster
// reports it now.
func (s *Server) flinkUITarget() (*url.URL, error) {
	return jobManagerURL(s.cfg.Cluster.JobManagerURL())
}

// flinkAppTarget is the JobManager of an application's own cluster now.
func (s *Server) flinkAppTarget(id string) (*url.URL, error) {
	if s.cfg.Applications == nil {
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "applications are not available here")
	}
	raw, err := s.cfg.Applications.JobManagerURL(id)
	if err != nil {
		return nil, err
	}
	return jobManagerURL(raw)
}

// jobManagerURL parses a JobManager's address: an http(s) URL.
func jobManagerURL(raw string) (*url.URL, error) {
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
