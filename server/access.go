package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/access"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// authorize applies routeRules to a request identify has put a principal
// (or none) on.
func (s *Server) authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.Request().Method + " " + c.Path()
		r, known := routeRules[key]
		p := principalOf(c)
		if !known {
			if p == nil {
				return errSignIn
			}
			if strings.HasSuffix(c.Path(), "/*") {
				return next(c) // a group's catch-all: echo answers 404 or 405
			}
			return eddy.Errorf(eddy.EINTERNAL, "route %s has no access rule", key)
		}
		if err := s.check(c, r, p); err != nil {
			return err
		}
		if err := next(c); err != nil {
			return err
		}
		if r.audit != "" && c.Response().Status < 400 {
			s.audit(c, access.Event{Action: r.audit, NoteID: c.Param("noteId"), Detail: auditDetail(c)})
		}
		return nil
	}
}

var errSignIn = eddy.Errorf(eddy.EUNAUTHORIZED, "sign in first: open the URL with ?token=… printed at start, sign in at /login, or send 'Authorization: Bearer TOKEN'")

// check decides one request against its rule.
func (s *Server) check(c echo.Context, r rule, p *access.Principal) error {
	if r.need == needPublic {
		return nil
	}
	if p == nil {
		return errSignIn
	}
	switch r.need {
	case needAnyone:
		return nil
	case needSignedIn, needUserAndNote:
		if p.User == nil {
			return errLinkScope
		}
		return nil
	case needAdmin:
		if !p.IsAdmin() {
			return eddy.Errorf(eddy.EFORBIDDEN, "only an admin may do this")
		}
		return nil
	case needNote:
		paragraph := c.Param("paragraphId")
		if r.paragraphView && p.Share != nil && paragraph == "" {
			paragraph = p.Share.ParagraphID
		}
		return s.allowNote(c.Request().Context(), p, c.Param("noteId"), paragraph, r.level)
	case needApp:
		return s.allowApp(c.Request().Context(), p, c.Param("applicationId"), r.level)
	}
	return eddy.Errorf(eddy.EINTERNAL, "unknown access rule")
}

var errLinkScope = eddy.Errorf(eddy.EFORBIDDEN, "a share link reaches only its own note, within its scope")

// notePerms is a note's permissions as read, and whether the note has any.
type notePerms struct {
	perms access.Permissions
	found bool
}

// readNotePermissions reads a note's permissions. allowNote reads them
// through s.perms: a thousand viewers opening one note at once cost a few
// reads, each begun after the request that uses it arrived.
func (s *Server) readNotePermissions(ctx context.Context, noteID string) (notePerms, error) {
	perms, found, err := s.access.NotePermissions(ctx, noteID)
	return notePerms{perms: perms, found: found}, err
}

// allowNote returns nil when p may act on the note (paragraph "" for the
// whole note) at level l. A note p may not read is reported as not found,
// so ids cannot be probed.
func (s *Server) allowNote(ctx context.Context, p *access.Principal, noteID, paragraph string, l access.Level) error {
	if p == nil {
		return errSignIn
	}
	if p.Share != nil && p.Share.NoteID != noteID {
		return errLinkScope
	}
	np, err := s.perms.get(ctx, noteID, time.Now())
	if err != nil {
		return err
	}
	perms, found := np.perms, np.found
	if !found && !p.IsAdmin() {
		return eddy.Errorf(eddy.ENOTFOUND, "Note %s not found", noteID)
	}
	if p.CanNote(noteID, paragraph, perms, l) {
		return nil
	}
	if p.Share != nil {
		return errLinkScope
	}
	if !p.CanNote(noteID, "", perms, access.Read) {
		return eddy.Errorf(eddy.ENOTFOUND, "Note %s not found", noteID)
	}
	return eddy.Errorf(eddy.EFORBIDDEN, "%s may not %s note %s: ask one of its owners (%s)", p.Name(), l, noteID, strings.Join(perms.Owners, ", "))
}

// allowApp checks level l on an application's note. An application whose
// note is gone is the admins'.
func (s *Server) allowApp(ctx context.Context, p *access.Principal, appID string, l access.Level) error {
	if p.User == nil {
		return errLinkScope
	}
	if p.IsAdmin() || s.cfg.Applications == nil {
		return nil
	}
	a, err := s.cfg.Applications.Get(ctx, appID)
	if err != nil {
		return err
	}
	if _, err := s.notes.FindNoteByID(ctx, a.NoteID); err != nil {
		return eddy.Errorf(eddy.EFORBIDDEN, "the note of application %s is gone: only an admin may act on it", a.Name)
	}
	return s.allowNote(ctx, p, a.NoteID, "", l)
}

// readable returns a test of which notes a signed-in user may read, from
// one read of every note's permissions, for lists. A note without
// permissions (see allowNote) is the admins' alone.
func (s *Server) readable(ctx context.Context, p *access.Principal) (func(noteID string) bool, error) {
	if p.IsAdmin() {
		return func(string) bool { return true }, nil
	}
	all, err := s.access.AllNotePermissions(ctx)
	if err != nil {
		return nil, err
	}
	return func(noteID string) bool {
		perms, found := all[noteID]
		return found && p.CanNote(noteID, "", perms, access.Read)
	}, nil
}

// readableNotes keeps the notes of list p may read.
func (s *Server) readableNotes(ctx context.Context, p *access.Principal, list []notebooks.NoteInfo) ([]notebooks.NoteInfo, error) {
	canRead, err := s.readable(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]notebooks.NoteInfo, 0, len(list))
	for _, n := range list {
		if canRead(n.ID) {
			out = append(out, n)
		}
	}
	return out, nil
}

// auditDetail names what a request acted on beyond its note.
func auditDetail(c echo.Context) string {
	var parts []string
	for _, name := range []string{"paragraphId", "applicationId", "shareId", "userId", "tokenId"} {
		if v := c.Param(name); v != "" {
			parts = append(parts, name+"="+v)
		}
	}
	if v, ok := c.Get(auditDetailKey).(string); ok && v != "" {
		parts = append(parts, v)
	}
	return strings.Join(parts, " ")
}

// auditDetailKey is where a handler leaves more to say in the audit log.
const auditDetailKey = "eddy.auditDetail"

// audit records an event, naming the request's principal unless the event
// names its actor. A failure to record is logged, not returned: the act
// has happened.
func (s *Server) audit(c echo.Context, e access.Event) {
	if e.Actor == "" {
		p := principalOf(c)
		e.Actor = p.Name()
		if p != nil {
			e.Via = p.Via
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), 10*time.Second)
	defer cancel()
	if err := s.access.Record(ctx, e); err != nil {
		s.log.Warn("cannot record an audit event", "action", e.Action, "err", err)
	}
}

// recordFor writes an audit event of p outside a request handler (a
// websocket op, a link's use).
func (s *Server) recordFor(p *access.Principal, action, noteID, detail string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e := access.Event{Actor: p.Name(), Via: p.Via, Action: action, NoteID: noteID, Detail: strings.TrimSpace(detail)}
	if err := s.access.Record(ctx, e); err != nil {
		s.log.Warn("cannot record an audit event", "action", action, "err", err)
	}
}

// ownNewNote gives a note just created by the request's user its
// permissions: the folder's defaults with the user as owner, or the user
// alone.
func (s *Server) ownNewNote(c echo.Context, n *notebooks.Note) error {
	p := principalOf(c)
	if p == nil || p.User == nil {
		return errSignIn
	}
	ctx := c.Request().Context()
	perms, err := s.access.NewNotePermissions(ctx, n.Path, p.User.Name)
	if err != nil {
		return err
	}
	return s.access.SetNotePermissions(ctx, n.ID, perms)
}

// registerAccessRoutes adds login, accounts, tokens, shares, permissions
// and the audit log.
func (s *Server) registerAccessRoutes(api *echo.Group) {
	api.POST("/login", s.handleZeppelinLogin)
	api.POST("/login/logout", s.handleLogout)
	api.GET("/version", s.handleVersion)
	api.GET("/notebook/:noteId/permissions", s.handleGetPermissions)
	api.PUT("/notebook/:noteId/permissions", s.handleSetPermissions)
	v1 := api.Group("/v1")
	v1.POST("/login", s.handleLogin)
	v1.POST("/logout", s.handleLogout)
	v1.GET("/me", s.handleMe)
	v1.GET("/users", s.handleListUsers)
	v1.POST("/users", s.handleCreateUser)
	v1.DELETE("/users/:userId", s.handleDeleteUser)
	v1.GET("/tokens", s.handleListTokens)
	v1.POST("/tokens", s.handleCreateToken)
	v1.DELETE("/tokens/:tokenId", s.handleRevokeToken)
	v1.GET("/notebook/:noteId/shares", s.handleListShares)
	v1.POST("/notebook/:noteId/shares", s.handleCreateShare)
	v1.DELETE("/shares/:shareId", s.handleRevokeShare)
	v1.GET("/folders/permissions", s.handleGetFolderPermissions)
	v1.PUT("/folders/permissions", s.handleSetFolderPermissions)
	v1.GET("/audit", s.handleAudit)
}

// Login rate limits: per client address and per user name.
const (
	loginFailures = 10
	loginWindow   = 5 * time.Minute
)

// login checks a name and password under the rate limit and opens a
// browser session.
func (s *Server) login(c echo.Context, name, password string) (*access.User, error) {
	host, _, err := net.SplitHostPort(c.Request().RemoteAddr)
	if err != nil {
		host = c.Request().RemoteAddr
	}
	keys := []string{"addr:" + host, "name:" + strings.ToLower(name)}
	// The audit log names the account tried, but not what was typed as a
	// name that is none: it may be a password typed in the wrong field.
	actor := name
	if !s.access.Exists(c.Request().Context(), name) {
		actor = "(unknown name)"
	}
	if wait := s.limiter.Wait(keys...); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		s.audit(c, access.Event{Actor: actor, Via: "password", Action: "login-refused", Detail: "rate-limited, from " + host})
		return nil, eddy.Errorf(eddy.ETOOMANY, "too many failed sign-ins: try again in %s", wait.Round(time.Second))
	}
	u, err := s.access.CheckLogin(c.Request().Context(), name, password)
	if err != nil {
		if eddy.ErrorCode(err) == eddy.EUNAUTHORIZED {
			s.limiter.Failed(keys...)
			s.audit(c, access.Event{Actor: actor, Via: "password", Action: "login-failed", Detail: "from " + host})
		}
		return nil, err
	}
	s.limiter.Succeeded(keys...)
	if err := s.startSession(c, u, access.ViaSession); err != nil {
		return nil, err
	}
	s.audit(c, access.Event{Actor: u.Name, Via: access.ViaSession, Action: "login", Detail: "from " + host})
	return u, nil
}

type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

func (s *Server) handleLogin(c echo.Context) error {
	var req loginRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	u, err := s.login(c, req.Name, req.Password)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": u})
}

// handleZeppelinLogin is Zeppelin's form login, answered in its envelope.
func (s *Server) handleZeppelinLogin(c echo.Context) error {
	u, err := s.login(c, c.FormValue("userName"), c.FormValue("password"))
	if err != nil {
		status := http.StatusForbidden
		if eddy.ErrorCode(err) == eddy.ETOOMANY {
			status = http.StatusTooManyRequests
		}
		return c.JSON(status, map[string]any{"status": statusName(status), "message": eddy.ErrorMessage(err)})
	}
	roles, _ := json.Marshal([]string{u.Role})
	ticket := make([]byte, 16)
	_, _ = rand.Read(ticket)
	return c.JSON(http.StatusOK, map[string]any{"status": "OK", "message": "", "body": map[string]any{
		"principal": u.Name, "ticket": hex.EncodeToString(ticket), "roles": string(roles),
	}})
}

func (s *Server) handleLogout(c echo.Context) error {
	if ck, err := c.Cookie(s.SessionCookie()); err == nil && ck.Value != "" {
		if err := s.access.EndSession(c.Request().Context(), ck.Value); err != nil {
			return err
		}
		if p := principalOf(c); p != nil {
			s.audit(c, access.Event{Action: "logout"})
		}
	}
	s.clearSessionCookies(c)
	if strings.HasPrefix(c.Path(), "/api/login") {
		return c.JSON(http.StatusOK, map[string]any{"status": "OK", "message": ""})
	}
	return c.NoContent(http.StatusNoContent)
}

// ZeppelinVersion is the Zeppelin version Eddy answers GET /api/version
// with: the REST API it follows.
const ZeppelinVersion = "0.12.0"

func (s *Server) handleVersion(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"status": "OK", "message": "Zeppelin version", "body": map[string]any{
		"version": ZeppelinVersion, "git-commit-id": "", "git-timestamp": "",
	}})
}

func (s *Server) handleMe(c echo.Context) error {
	p := principalOf(c)
	if p.Share != nil {
		return c.JSON(http.StatusOK, map[string]any{"kind": "link", "share": p.Share})
	}
	return c.JSON(http.StatusOK, map[string]any{"kind": "user", "user": p.User, "via": p.Via})
}

type createUserRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

func (s *Server) handleCreateUser(c echo.Context) error {
	var req createUserRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	if req.Role == "" {
		req.Role = access.RoleMember
	}
	u, err := s.access.CreateUser(c.Request().Context(), req.Name, req.Password, req.Role)
	if err != nil {
		return err
	}
	c.Set(auditDetailKey, "user="+u.Name+" role="+u.Role)
	return c.JSON(http.StatusCreated, u)
}

func (s *Server) handleListUsers(c echo.Context) error {
	users, err := s.access.Users(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"users": users})
}

func (s *Server) handleDeleteUser(c echo.Context) error {
	u, err := s.access.DeleteUser(c.Request().Context(), c.Param("userId"))
	if err != nil {
		return err
	}
	c.Set(auditDetailKey, "user="+u.Name)
	s.hub.closeWhere("the account was deleted", func(c *conn) bool { return c.principal.User != nil && c.principal.User.ID == u.ID })
	return c.NoContent(http.StatusNoContent)
}

type createTokenRequest struct {
	Name string `json:"name"`
}

func (s *Server) handleCreateToken(c echo.Context) error {
	var req createTokenRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	secret, t, err := s.access.CreateToken(c.Request().Context(), principalOf(c).User.ID, req.Name)
	if err != nil {
		return err
	}
	c.Set(auditDetailKey, "token="+t.ID+" name="+t.Name)
	return c.JSON(http.StatusCreated, map[string]any{"id": t.ID, "name": t.Name, "token": secret, "created": t.Created})
}

func (s *Server) handleListTokens(c echo.Context) error {
	ts, err := s.access.Tokens(c.Request().Context(), principalOf(c).User.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": ts})
}

func (s *Server) handleRevokeToken(c echo.Context) error {
	if err := s.access.RevokeToken(c.Request().Context(), principalOf(c).User.ID, c.Param("tokenId")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type createShareRequest struct {
	Scope       string     `json:"scope"`
	ParagraphID string     `json:"paragraphId"`
	ExpiresAt   *time.Time `json:"expiresAt"`
}

// shareCreated is the answer to a new link: the only time its token is shown.
type shareCreated struct {
	access.Share
	Token    string `json:"token"`
	URL      string `json:"url"`
	EmbedURL string `json:"embedUrl,omitempty"`
}

func (s *Server) handleCreateShare(c echo.Context) error {
	var req createShareRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	noteID := c.Param("noteId")
	n, err := s.notes.FindNoteByID(ctx, noteID)
	if err != nil {
		return err
	}
	if p, _ := n.Paragraph(req.ParagraphID); req.ParagraphID != "" && p == nil {
		return eddy.Errorf(eddy.EINVALID, "note %s has no paragraph %s", noteID, req.ParagraphID)
	}
	secret, sh, err := s.access.CreateShare(ctx, access.ShareRequest{NoteID: noteID, ParagraphID: req.ParagraphID,
		Scope: req.Scope, ExpiresAt: req.ExpiresAt, CreatedBy: principalOf(c).Name()})
	if err != nil {
		return err
	}
	base := requestScheme(c.Request()) + "://" + c.Request().Host
	out := shareCreated{Share: *sh, Token: secret, URL: base + "/view/" + noteID}
	if sh.ParagraphID != "" {
		out.URL += "/paragraph/" + sh.ParagraphID
		out.EmbedURL = base + "/embed/" + noteID + "/" + sh.ParagraphID + "#share=" + secret
	}
	out.URL += "#share=" + secret
	c.Set(auditDetailKey, "share="+sh.ID+" scope="+sh.Scope+paragraphDetail(sh.ParagraphID))
	return c.JSON(http.StatusCreated, out)
}

// paragraphDetail names a paragraph in an audit detail, after a space.
func paragraphDetail(id string) string {
	if id == "" {
		return ""
	}
	return " paragraph=" + id
}

func (s *Server) handleListShares(c echo.Context) error {
	shares, err := s.access.Shares(c.Request().Context(), c.Param("noteId"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"shares": shares})
}

// handleRevokeShare ends a link at once: its open websockets are closed.
func (s *Server) handleRevokeShare(c echo.Context) error {
	ctx := c.Request().Context()
	sh, err := s.access.FindShare(ctx, c.Param("shareId"))
	if err != nil {
		return err
	}
	if err := s.allowNote(ctx, principalOf(c), sh.NoteID, "", access.Own); err != nil {
		return err
	}
	if err := s.access.RevokeShare(ctx, sh.ID); err != nil {
		return err
	}
	s.hub.closeWhere("the share link was revoked", func(c *conn) bool { return c.principal.Share != nil && c.principal.Share.ID == sh.ID })
	s.audit(c, access.Event{Action: "share-revoked", NoteID: sh.NoteID, Detail: "share=" + sh.ID})
	return c.NoContent(http.StatusNoContent)
}

// zeppelinOK wraps a body in Zeppelin's envelope.
func zeppelinOK(body any) map[string]any {
	return map[string]any{"status": "OK", "message": "", "body": body}
}

func (s *Server) handleGetPermissions(c echo.Context) error {
	ctx := c.Request().Context()
	if _, err := s.notes.FindNoteByID(ctx, c.Param("noteId")); err != nil {
		return err
	}
	perms, _, err := s.access.NotePermissions(ctx, c.Param("noteId"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, zeppelinOK(perms))
}

// handleSetPermissions replaces a note's permissions; viewers who lose
// their access are disconnected.
func (s *Server) handleSetPermissions(c echo.Context) error {
	var perms access.Permissions
	if err := decodeStrict(c, &perms); err != nil {
		return err
	}
	ctx := c.Request().Context()
	noteID := c.Param("noteId")
	if _, err := s.notes.FindNoteByID(ctx, noteID); err != nil {
		return err
	}
	perms = perms.Normalize()
	p := principalOf(c)
	if p.User != nil && !p.IsAdmin() && !perms.Allows(p.User.Name, access.Own) {
		return eddy.Errorf(eddy.EINVALID, "these permissions would leave you (%s) no longer an owner: keep yourself among the owners", p.User.Name)
	}
	if err := s.access.SetNotePermissions(ctx, noteID, perms); err != nil {
		return err
	}
	c.Set(auditDetailKey, "owners="+strings.Join(perms.Owners, ",")+" writers="+strings.Join(perms.Writers, ",")+
		" runners="+strings.Join(perms.Runners, ",")+" readers="+strings.Join(perms.Readers, ","))
	s.hub.closeWhere("your access to the note was changed", func(c *conn) bool {
		u := c.principal.User
		return u != nil && !u.IsAdmin() && !perms.Allows(u.Name, access.Read) && c.follows(noteID)
	})
	return c.JSON(http.StatusOK, zeppelinOK(perms))
}

func (s *Server) handleGetFolderPermissions(c echo.Context) error {
	perms, found, err := s.access.FolderPermissions(c.Request().Context(), c.QueryParam("path"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"path": c.QueryParam("path"), "set": found, "permissions": perms})
}

func (s *Server) handleSetFolderPermissions(c echo.Context) error {
	var perms access.Permissions
	if err := decodeStrict(c, &perms); err != nil {
		return err
	}
	if err := s.access.SetFolderPermissions(c.Request().Context(), c.QueryParam("path"), perms); err != nil {
		return err
	}
	c.Set(auditDetailKey, "folder="+c.QueryParam("path"))
	return c.JSON(http.StatusOK, map[string]any{"path": c.QueryParam("path"), "set": true, "permissions": perms.Normalize()})
}

func (s *Server) handleAudit(c echo.Context) error {
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	events, err := s.access.Events(c.Request().Context(), before, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"events": events})
}
