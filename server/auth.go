package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
)

// Cookie and header names of the browser credential.
//
// A browser opens /?token=T once; Eddy answers with an HttpOnly session cookie
// holding the token and a readable CSRF cookie. Cookie-authenticated requests
// that change state must echo the CSRF cookie in the CSRF header (the
// double-submit pattern): another site can make the browser send the cookie
// but cannot read it to set the header.
const (
	TokenCookie = "eddy_token"
	CSRFCookie  = "eddy_csrf"
	CSRFHeader  = "X-Eddy-CSRF"
)

// requireAuth admits a request that carries the token as a Bearer header, a
// token query parameter, or the session cookie (plus CSRF header for writes).
func (s *Server) requireAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if h := r.Header.Get("Authorization"); h != "" {
			if tok, found := strings.CutPrefix(h, "Bearer "); found && s.validToken(tok) {
				return next(c)
			}
			return eddy.Errorf(eddy.EUNAUTHORIZED, "invalid token in the Authorization header")
		}
		if tok := r.URL.Query().Get("token"); tok != "" {
			if s.validToken(tok) {
				return next(c)
			}
			return eddy.Errorf(eddy.EUNAUTHORIZED, "invalid token")
		}
		ck, err := r.Cookie(TokenCookie)
		if err != nil || !s.validToken(ck.Value) {
			return eddy.Errorf(eddy.EUNAUTHORIZED, "authentication required: open the URL with ?token=… printed at start, or send 'Authorization: Bearer TOKEN'")
		}
		if !safeMethod(r.Method) && !validCSRF(r) {
			return eddy.Errorf(eddy.EFORBIDDEN, "missing or wrong %s header for a cookie-authenticated request", CSRFHeader)
		}
		return next(c)
	}
}

// Authenticated reports whether r carries a valid credential; the websocket
// upgrade uses it, since browsers cannot set headers on a websocket.
func (s *Server) Authenticated(r *http.Request) bool {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, found := strings.CutPrefix(h, "Bearer ")
		return found && s.validToken(tok)
	}
	if tok := r.URL.Query().Get("token"); tok != "" {
		return s.validToken(tok)
	}
	ck, err := r.Cookie(TokenCookie)
	return err == nil && s.validToken(ck.Value)
}

func (s *Server) validToken(tok string) bool {
	return s.cfg.Token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) == 1
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func validCSRF(r *http.Request) bool {
	ck, err := r.Cookie(CSRFCookie)
	h := r.Header.Get(CSRFHeader)
	return err == nil && ck.Value != "" && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(h)) == 1
}

// handleIndex turns /?token=T into cookies and a redirect to a clean URL,
// so the token does not linger in the address bar or the history.
func (s *Server) handleIndex(c echo.Context) error {
	tok := c.QueryParam("token")
	if tok != "" {
		if !s.validToken(tok) {
			return c.String(http.StatusUnauthorized, "invalid token\n")
		}
		s.setSessionCookies(c)
		return c.Redirect(http.StatusFound, "/")
	}
	return s.serveApp(c)
}

func (s *Server) setSessionCookies(c echo.Context) {
	buf := make([]byte, 16)
	_, _ = rand.Read(buf)
	c.SetCookie(&http.Cookie{Name: TokenCookie, Value: s.cfg.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	c.SetCookie(&http.Cookie{Name: CSRFCookie, Value: hex.EncodeToString(buf), Path: "/", SameSite: http.SameSiteStrictMode})
}

// serveApp serves the browser app's shell (static.go).
func (s *Server) serveApp(c echo.Context) error {
	return s.serveIndex(c)
}
