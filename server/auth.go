package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/access"
)

// Credentials.
//
// A request is a principal (access.Principal): a user, or a share link.
// It says who it is with one of
//   - `Authorization: Bearer T`, T being the start-up token (the start-up
//     admin), a personal API token (eddy_pat_…) or a share link's token
//     (eddy_share_…);
//   - the browser session cookie, set by a password login
//     (POST /api/v1/login, or Zeppelin's POST /api/login) or by opening
//     /?token=T once. It holds a random session id (256 bits) that Eddy
//     keeps only hashed; logout ends it.
//
// Cookies reach every port of a host, so their names carry this instance's
// port (SessionCookiePrefix + port): another local service does not
// receive a session it could use, and two Eddys on one host do not log
// each other out. Cookie-authenticated requests that change state from a
// browser must echo the readable CSRF cookie in the CSRF header (the
// double-submit pattern): another site can make the browser send the
// cookie but cannot read it to set the header. A request without Origin
// and without Sec-Fetch-Site is not a browser's (every browser in use
// sends one of them on a cross-site write), so Zeppelin's own client,
// which keeps the session cookie of its login and sets no headers of its
// own, works; a write whose Origin is another site is refused whatever it
// carries. The page names its CSRF cookie in <meta name="eddy-csrf-cookie">.
const (
	SessionCookiePrefix = "eddy_session_"
	CSRFCookiePrefix    = "eddy_csrf_"
	CSRFHeader          = "X-Eddy-CSRF"
)

// SessionCookie and CSRFCookie are this instance's cookie names, known once
// the server listens.
func (s *Server) SessionCookie() string { return SessionCookiePrefix + s.port }
func (s *Server) CSRFCookie() string    { return CSRFCookiePrefix + s.port }

// principalKey is where a request's principal is kept in the echo context.
const principalKey = "eddy.principal"

// principalOf returns the request's principal, nil for anonymous.
func principalOf(c echo.Context) *access.Principal {
	p, _ := c.Get(principalKey).(*access.Principal)
	return p
}

// tokenTag names the start-up token in the sessions it opens, so a new
// token ends them.
func (s *Server) tokenTag() string {
	m := hmac.New(sha256.New, []byte(s.cfg.Token))
	m.Write([]byte("eddy start-up token sessions"))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

func (s *Server) validToken(tok string) bool {
	return s.cfg.Token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) == 1
}

// bearerPrincipal returns who a bearer token is.
func (s *Server) bearerPrincipal(ctx context.Context, tok string) (*access.Principal, error) {
	switch {
	case s.validToken(tok):
		return &access.Principal{User: s.admin, Via: access.ViaStartupToken}, nil
	case strings.HasPrefix(tok, access.TokenPrefix):
		u, err := s.access.TokenUser(ctx, tok)
		if err != nil {
			return nil, err
		}
		return &access.Principal{User: u, Via: access.ViaToken}, nil
	case strings.HasPrefix(tok, access.SharePrefix):
		sh, noted, err := s.access.ShareByToken(ctx, tok)
		if err != nil {
			return nil, err
		}
		p := &access.Principal{Share: sh, Via: access.ViaLink}
		// The audit log notes a link's use as its last-used time moves:
		// at most once a minute, not on every request.
		if noted {
			s.recordFor(p, "share-used", sh.NoteID, "share="+sh.ID+paragraphDetail(sh.ParagraphID))
		}
		return p, nil
	}
	return nil, eddy.Errorf(eddy.EUNAUTHORIZED, "invalid token")
}

// wsBearerProtocol prefixes the websocket subprotocol that carries a
// bearer token: a browser cannot set headers on a websocket, and a token
// in the URL would land in logs.
const wsBearerProtocol = "bearer."

// authenticate returns who r is: nil and no error for a request without a
// credential, an EUNAUTHORIZED error for a wrong one. cookieUsed says the
// principal came from the session cookie (so CSRF rules apply).
func (s *Server) authenticate(r *http.Request) (p *access.Principal, cookieUsed bool, err error) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		tok, found := strings.CutPrefix(h, "Bearer ")
		if !found {
			return nil, false, eddy.Errorf(eddy.EUNAUTHORIZED, "the Authorization header must be 'Bearer TOKEN'")
		}
		p, err := s.bearerPrincipal(ctx, tok)
		return p, false, err
	}
	for _, proto := range websocketProtocols(r) {
		if tok, found := strings.CutPrefix(proto, wsBearerProtocol); found {
			p, err := s.bearerPrincipal(ctx, tok)
			return p, false, err
		}
	}
	if tok := r.URL.Query().Get("token"); tok != "" {
		if !s.validToken(tok) {
			return nil, false, eddy.Errorf(eddy.EUNAUTHORIZED, "invalid token")
		}
		return &access.Principal{User: s.admin, Via: access.ViaStartupToken}, false, nil
	}
	ck, err := r.Cookie(s.SessionCookie())
	if err != nil || ck.Value == "" {
		return nil, false, nil
	}
	u, via, err := s.access.SessionUser(ctx, ck.Value, s.tokenTag())
	if err != nil {
		return nil, true, err
	}
	if via != access.ViaStartupToken {
		via = access.ViaSession
	}
	return &access.Principal{User: u, Via: via}, true, nil
}

// websocketProtocols lists the subprotocols a websocket handshake offers.
func websocketProtocols(r *http.Request) []string {
	var out []string
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// identify puts the request's principal in the context and enforces the
// CSRF rule; it refuses a wrong credential but lets anonymous requests on
// (authorize decides what they may reach).
func (s *Server) identify(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		p, cookieUsed, err := s.authenticate(r)
		if err != nil {
			if cookieUsed {
				s.clearSessionCookies(c)
			}
			return err
		}
		if cookieUsed && !safeMethod(r.Method) {
			if err := s.checkCSRF(r); err != nil {
				return err
			}
		}
		if p != nil {
			c.Set(principalKey, p)
		}
		return next(c)
	}
}

// checkCSRF applies the CSRF rule to a cookie-authenticated write.
func (s *Server) checkCSRF(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin != "" && origin != "null" && !sameOrigin(r) {
		return eddy.Errorf(eddy.EFORBIDDEN, "a write from another site (Origin %s) is refused", origin)
	}
	if s.validCSRF(r) {
		return nil
	}
	if origin == "" && r.Header.Get("Sec-Fetch-Site") == "" {
		return nil // not a browser: no page can make it send the cookie
	}
	return eddy.Errorf(eddy.EFORBIDDEN, "missing or wrong %s header for a cookie-authenticated request", CSRFHeader)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (s *Server) validCSRF(r *http.Request) bool {
	ck, err := r.Cookie(s.CSRFCookie())
	h := r.Header.Get(CSRFHeader)
	return err == nil && ck.Value != "" && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(h)) == 1
}

// Authenticated reports whether r carries a valid credential of a user.
func (s *Server) Authenticated(r *http.Request) bool {
	p, _, err := s.authenticate(r)
	return err == nil && p != nil && p.User != nil
}

// handleIndex turns /?token=T into cookies and a redirect to a clean URL,
// so the token does not linger in the address bar or the history.
func (s *Server) handleIndex(c echo.Context) error {
	if c.QueryParam("token") != "" {
		return s.tokenToSession(c, "/")
	}
	return s.serveApp(c)
}

// tokenToSession signs the browser in as the start-up admin with the
// token in the query and redirects to target without it.
func (s *Server) tokenToSession(c echo.Context, target string) error {
	if !s.validToken(c.QueryParam("token")) {
		return c.String(http.StatusUnauthorized, "invalid token\n")
	}
	if err := s.startSession(c, s.admin, access.ViaStartupToken); err != nil {
		return err
	}
	s.audit(c, access.Event{Actor: s.admin.Name, Via: access.ViaStartupToken, Action: "login"})
	return c.Redirect(http.StatusFound, target)
}

// startSession opens a browser session for u and sets its cookies.
func (s *Server) startSession(c echo.Context, u *access.User, via string) error {
	tag := ""
	if via == access.ViaStartupToken {
		tag = s.tokenTag()
	}
	id, err := s.access.NewSession(c.Request().Context(), u.ID, via, tag)
	if err != nil {
		return err
	}
	buf := make([]byte, 16)
	_, _ = rand.Read(buf)
	secure := requestScheme(c.Request()) == "https"
	// Max-Age, not Expires: Zeppelin's Java client (Apache HttpClient's
	// default cookie rules) drops a cookie whose Expires is in RFC 1123
	// form, the only form Go writes, and so never sends the session back.
	maxAge := int(access.SessionTTL / time.Second)
	c.SetCookie(&http.Cookie{Name: s.SessionCookie(), Value: id, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	c.SetCookie(&http.Cookie{Name: s.CSRFCookie(), Value: hex.EncodeToString(buf), Path: "/", MaxAge: maxAge, Secure: secure, SameSite: http.SameSiteStrictMode})
	return nil
}

// clearSessionCookies tells the browser to forget its session.
func (s *Server) clearSessionCookies(c echo.Context) {
	for _, name := range []string{s.SessionCookie(), s.CSRFCookie()} {
		c.SetCookie(&http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, SameSite: http.SameSiteStrictMode})
	}
}

// serveApp serves the browser app's shell (static.go).
func (s *Server) serveApp(c echo.Context) error {
	return s.serveIndex(c)
}
