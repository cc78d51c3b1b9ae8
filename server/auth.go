package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
)

// The browser credential.
//
// A browser opens /?token=T once; Eddy answers with an HttpOnly session
// cookie and a readable CSRF cookie. The session cookie holds a random
// browser-session id signed with the token (HMAC-SHA256), never the token:
// Eddy keeps no session table, sessions outlive restarts, and a new token
// ends them all. Cookies reach every port of a host, so their names carry
// this instance's port (SessionCookiePrefix + port): another local service
// does not receive a cookie it could read the token from, and two Eddys on
// one host do not log each other out. Cookie-authenticated requests that
// change state must echo the CSRF cookie in the CSRF header (the
// double-submit pattern): another site can make the browser send the
// cookie but cannot read it to set the header. The page names its CSRF
// cookie in <meta name="eddy-csrf-cookie">.
const (
	SessionCookiePrefix = "eddy_session_"
	CSRFCookiePrefix    = "eddy_csrf_"
	CSRFHeader          = "X-Eddy-CSRF"
)

// SessionCookie and CSRFCookie are this instance's cookie names, known once
// the server listens.
func (s *Server) SessionCookie() string { return SessionCookiePrefix + s.port }
func (s *Server) CSRFCookie() string    { return CSRFCookiePrefix + s.port }

// NewBrowserSession returns a new session cookie value: a random id and its
// signature under the token.
func (s *Server) NewBrowserSession() string {
	buf := make([]byte, 16)
	_, _ = rand.Read(buf)
	id := hex.EncodeToString(buf)
	return id + "." + s.signSession(id)
}

func (s *Server) signSession(id string) string {
	m := hmac.New(sha256.New, []byte(s.cfg.Token))
	m.Write([]byte("eddy browser session\x00" + id))
	return hex.EncodeToString(m.Sum(nil))
}

// validBrowserSession checks a session cookie value's signature.
func (s *Server) validBrowserSession(v string) bool {
	id, sig, ok := strings.Cut(v, ".")
	return ok && len(id) == 32 && s.cfg.Token != "" && hmac.Equal([]byte(sig), []byte(s.signSession(id)))
}

// sessionCookieValid reports whether r carries a valid session cookie.
func (s *Server) sessionCookieValid(r *http.Request) bool {
	ck, err := r.Cookie(s.SessionCookie())
	return err == nil && s.validBrowserSession(ck.Value)
}

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
		if !s.sessionCookieValid(r) {
			return eddy.Errorf(eddy.EUNAUTHORIZED, "authentication required: open the URL with ?token=… printed at start, or send 'Authorization: Bearer TOKEN'")
		}
		if !safeMethod(r.Method) && !s.validCSRF(r) {
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
	return s.sessionCookieValid(r)
}

func (s *Server) validToken(tok string) bool {
	return s.cfg.Token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) == 1
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (s *Server) validCSRF(r *http.Request) bool {
	ck, err := r.Cookie(s.CSRFCookie())
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
	c.SetCookie(&http.Cookie{Name: s.SessionCookie(), Value: s.NewBrowserSession(), Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	c.SetCookie(&http.Cookie{Name: s.CSRFCookie(), Value: hex.EncodeToString(buf), Path: "/", SameSite: http.SameSiteStrictMode})
}

// serveApp serves the browser app's shell (static.go).
func (s *Server) serveApp(c echo.Context) error {
	return s.serveIndex(c)
}
