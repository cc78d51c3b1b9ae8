package server

import (
	"bytes"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/web"
)

// The browser app is embedded in the binary (package web). index.html is
// served for / and for every app route (/notebook/…), so links to notes
// work when opened directly; hashed files under /assets/ are cached for good.

// registerStaticRoutes adds the app's routes.
func (s *Server) registerStaticRoutes() {
	s.echo.GET("/assets/*", s.handleAsset)
	s.echo.GET("/notebook/*", s.handleAppRoute)
	s.echo.GET("/catalog", s.handleAppRoute)
	s.echo.GET("/applications", s.handleAppRoute)
	s.echo.GET("/applications/*", s.handleAppRoute)
	// Pages of share links and of signed-in users' settings; the page
	// itself asks the API who it is.
	s.echo.GET("/view/*", s.handleAppRoute)
	s.echo.GET("/embed/*", s.handleAppRoute)
	s.echo.GET("/login", s.handleAppRoute)
	s.echo.GET("/settings/*", s.handleAppRoute)
	s.echo.GET("/admin/*", s.handleAppRoute)
}

// handleAppRoute serves the app for a deep link; like /?token=T it turns a
// token in the query into cookies and redirects to the clean URL.
func (s *Server) handleAppRoute(c echo.Context) error {
	if c.QueryParam("token") != "" {
		u := *c.Request().URL
		q := u.Query()
		q.Del("token")
		u.RawQuery = q.Encode()
		return s.tokenToSession(c, u.RequestURI())
	}
	return s.serveIndex(c)
}

// serveIndex serves the app shell. It is never cached, so a new binary's
// assets are picked up on the next load.
func (s *Server) serveIndex(c echo.Context) error {
	b, err := fs.ReadFile(web.Dist(), "index.html")
	if err != nil {
		return eddy.Wrap(eddy.EINTERNAL, err, "the web app is not built into this binary (run npm run build, then go build)")
	}
	// Its security headers are set for every response (headers.go).
	c.Response().Header().Set("Cache-Control", "no-cache")
	// The app reads its CSRF cookie by this instance's name.
	meta := `<meta name="eddy-csrf-cookie" content="` + s.CSRFCookie() + `">`
	b = bytes.Replace(b, []byte("<head>"), []byte("<head>"+meta), 1)
	return c.HTMLBlob(http.StatusOK, b)
}

// handleAsset serves a built file from assets/. Their names carry a content
// hash, so they can be cached for a year.
func (s *Server) handleAsset(c echo.Context) error {
	name := path.Clean("/" + c.Param("*"))
	if name == "/" || strings.Contains(name, "\x00") {
		return eddy.Errorf(eddy.ENOTFOUND, "no such asset")
	}
	f := "assets" + name
	b, err := fs.ReadFile(web.Dist(), f)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return eddy.Errorf(eddy.ENOTFOUND, "no such asset: %s", name)
		}
		return eddy.Wrap(eddy.EINTERNAL, err, "reading asset %s", name)
	}
	ct := mime.TypeByExtension(path.Ext(f))
	if ct == "" {
		ct = http.DetectContentType(b)
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	return c.Blob(http.StatusOK, ct, b)
}
