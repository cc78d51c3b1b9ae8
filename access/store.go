package access

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eddy-notebooks/eddy"
	nbsqlite "github.com/eddy-notebooks/eddy/notebooks/sqlite"
)

// Store keeps access data in Eddy's SQLite database; the notebook store
// owns the file and its schema (migration 0004_access).
type Store struct {
	db  *nbsqlite.Store
	now func() time.Time
}

// NewStore returns a store on db. Closing db is its owner's job.
func NewStore(db *nbsqlite.Store) *Store { return &Store{db: db, now: time.Now} }

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func timeOf(v int64) time.Time { return time.UnixMilli(v).UTC() }

func optTime(v int64) *time.Time {
	if v == 0 {
		return nil
	}
	t := timeOf(v)
	return &t
}

// StartupAdmin is the name of the admin whose credential is the token
// printed at start.
const StartupAdmin = "admin"

// EnsureStartupAdmin returns the start-up admin, creating it (without a
// password: it signs in with the start-up token) on first start.
func (s *Store) EnsureStartupAdmin(ctx context.Context) (*User, error) {
	u, err := s.userByName(ctx, StartupAdmin)
	if err == nil {
		return u, nil
	}
	if eddy.ErrorCode(err) != eddy.ENOTFOUND {
		return nil, err
	}
	u = &User{ID: newID(), Name: StartupAdmin, Role: RoleAdmin, Created: s.now().UTC()}
	err = s.db.WriteTx(ctx, "create start-up admin", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, name, role, password_hash, created_ms) VALUES (?, ?, ?, '', ?)`,
			u.ID, u.Name, u.Role, ms(u.Created))
		return err
	})
	if nbsqlite.IsUniqueViolation(err) { // created at the same moment elsewhere
		return s.userByName(ctx, StartupAdmin)
	}
	return u, err
}

// validateName refuses user names that could not be listed in
// permissions or shown plainly.
func validateName(name string) error {
	if name == "" || len(name) > 64 || !utf8.ValidString(name) || strings.TrimSpace(name) != name {
		return eddy.Errorf(eddy.EINVALID, "a user name has 1 to 64 characters, without spaces around it")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == ',' {
			return eddy.Errorf(eddy.EINVALID, "a user name may not contain control characters or commas")
		}
	}
	return nil
}

// CreateUser adds a local account.
func (s *Store) CreateUser(ctx context.Context, name, password, role string) (*User, error) {
	if err := validateName(name); err != nil {
		return nil, err
	}
	if role != RoleAdmin && role != RoleMember {
		return nil, eddy.Errorf(eddy.EINVALID, "role must be %q or %q", RoleAdmin, RoleMember)
	}
	if err := validatePassword(password); err != nil {
		return nil, err
	}
	u := &User{ID: newID(), Name: name, Role: role, Created: s.now().UTC()}
	hash := hashPassword(password)
	err := s.db.WriteTx(ctx, "create user", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, name, role, password_hash, created_ms) VALUES (?, ?, ?, ?, ?)`,
			u.ID, u.Name, u.Role, hash, ms(u.Created))
		if nbsqlite.IsUniqueViolation(err) {
			return eddy.Errorf(eddy.ECONFLICT, "the name %q is taken (names of deleted users are not reused: notes may still name them)", name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

const userColumns = `id, name, role, created_ms`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var created int64
	if err := row.Scan(&u.ID, &u.Name, &u.Role, &created); err != nil {
		return nil, err
	}
	u.Created = timeOf(created)
	return &u, nil
}

// Users lists the accounts by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	out := []User{}
	err := s.db.ReadTx(ctx, "list users", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE deleted_ms = 0 ORDER BY name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				return err
			}
			out = append(out, *u)
		}
		return rows.Err()
	})
	return out, err
}

func (s *Store) userByName(ctx context.Context, name string) (*User, error) {
	var u *User
	err := s.db.ReadTx(ctx, "find user", func(tx *sql.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ? AND deleted_ms = 0`, name))
		if errors.Is(err, sql.ErrNoRows) {
			return eddy.Errorf(eddy.ENOTFOUND, "no user named %q", name)
		}
		return err
	})
	return u, err
}

// User returns an account by id.
func (s *Store) User(ctx context.Context, id string) (*User, error) {
	var u *User
	err := s.db.ReadTx(ctx, "find user", func(tx *sql.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ? AND deleted_ms = 0`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return eddy.Errorf(eddy.ENOTFOUND, "no user %s", id)
		}
		return err
	})
	return u, err
}

// DeleteUser ends an account: its sessions and tokens go, and its name
// stays taken. The start-up admin stays: the start-up token signs in as it.
func (s *Store) DeleteUser(ctx context.Context, id string) (*User, error) {
	u, err := s.User(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.Name == StartupAdmin {
		return nil, eddy.Errorf(eddy.ECONFLICT, "the start-up admin %q cannot be deleted: the start-up token signs in as it", StartupAdmin)
	}
	return u, s.db.WriteTx(ctx, "delete user", func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM browser_sessions WHERE user_id = ?`,
			`DELETE FROM api_tokens WHERE user_id = ?`,
			`UPDATE users SET deleted_ms = ?2, password_hash = '' WHERE id = ?1`,
		} {
			if _, err := tx.ExecContext(ctx, q, id, ms(s.now())); err != nil {
				return err
			}
		}
		return nil
	})
}

// Exists reports whether name is an account's (a deleted one's too).
func (s *Store) Exists(ctx context.Context, name string) bool {
	n := 0
	_ = s.db.ReadTx(ctx, "find user", func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE name = ?`, name).Scan(&n)
	})
	return n > 0
}

// errWrongLogin is the one answer to a failed login, whatever failed.
var errWrongLogin = eddy.Errorf(eddy.EUNAUTHORIZED, "wrong name or password")

// CheckLogin returns the user a name and password sign in as. A wrong name
// and a wrong password are refused alike, in about the same time.
func (s *Store) CheckLogin(ctx context.Context, name, password string) (*User, error) {
	var u *User
	var hash string
	err := s.db.ReadTx(ctx, "login", func(tx *sql.Tx) error {
		var created int64
		var x User
		err := tx.QueryRowContext(ctx, `SELECT id, name, role, created_ms, password_hash FROM users WHERE name = ? AND deleted_ms = 0`, name).
			Scan(&x.ID, &x.Name, &x.Role, &created, &hash)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		x.Created = timeOf(created)
		u = &x
		return err
	})
	if err != nil {
		return nil, err
	}
	if u == nil || hash == "" {
		checkPassword(dummyHash(), password)
		return nil, errWrongLogin
	}
	if !checkPassword(hash, password) {
		return nil, errWrongLogin
	}
	return u, nil
}

// SessionTTL is how long a browser session lasts.
const SessionTTL = 14 * 24 * time.Hour

// NewSession starts a browser session for a user and returns the cookie
// value. tokenTag names the start-up token that made it (for via
// ViaStartupToken), so a new token ends those sessions.
func (s *Store) NewSession(ctx context.Context, userID, via, tokenTag string) (string, error) {
	id := newSecret("")
	now := s.now()
	err := s.db.WriteTx(ctx, "new session", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM browser_sessions WHERE expires_ms < ?`, ms(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO browser_sessions (id_hash, user_id, via, token_tag, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)`,
			secretHash(id), userID, via, tokenTag, ms(now), ms(now.Add(SessionTTL)))
		return err
	})
	return id, err
}

// SessionUser returns the user of a browser session and how it signed in;
// an unknown, expired or stale session is an EUNAUTHORIZED error.
func (s *Store) SessionUser(ctx context.Context, cookie, tokenTag string) (*User, string, error) {
	var u *User
	var via string
	err := s.db.ReadTx(ctx, "find session", func(tx *sql.Tx) error {
		var tag string
		var expires, created int64
		var x User
		err := tx.QueryRowContext(ctx, `SELECT u.id, u.name, u.role, u.created_ms, s.via, s.token_tag, s.expires_ms
			FROM browser_sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`, secretHash(cookie)).
			Scan(&x.ID, &x.Name, &x.Role, &created, &via, &tag, &expires)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (expires < ms(s.now()) || (via == ViaStartupToken && tag != tokenTag))) {
			return eddy.Errorf(eddy.EUNAUTHORIZED, "the session has ended: sign in again")
		}
		x.Created = timeOf(created)
		u = &x
		return err
	})
	return u, via, err
}

// EndSession ends a browser session (logout).
func (s *Store) EndSession(ctx context.Context, cookie string) error {
	return s.db.WriteTx(ctx, "end session", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM browser_sessions WHERE id_hash = ?`, secretHash(cookie))
		return err
	})
}

// Token is a personal API token as listed (its secret is shown once, at
// creation).
type Token struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Created  time.Time  `json:"created"`
	LastUsed *time.Time `json:"lastUsed"`
}

// CreateToken makes a personal API token for a user and returns its secret.
func (s *Store) CreateToken(ctx context.Context, userID, name string) (string, *Token, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", nil, eddy.Errorf(eddy.EINVALID, "a token needs a name of 1 to 100 characters")
	}
	secret := newSecret(TokenPrefix)
	t := &Token{ID: newID(), Name: name, Created: s.now().UTC()}
	err := s.db.WriteTx(ctx, "create token", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, user_id, name, hash, created_ms) VALUES (?, ?, ?, ?, ?)`,
			t.ID, userID, t.Name, secretHash(secret), ms(t.Created))
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// Tokens lists a user's API tokens.
func (s *Store) Tokens(ctx context.Context, userID string) ([]Token, error) {
	out := []Token{}
	err := s.db.ReadTx(ctx, "list tokens", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, name, created_ms, last_used_ms FROM api_tokens WHERE user_id = ? ORDER BY created_ms, id`, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t Token
			var created, used int64
			if err := rows.Scan(&t.ID, &t.Name, &created, &used); err != nil {
				return err
			}
			t.Created, t.LastUsed = timeOf(created), optTime(used)
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

// RevokeToken deletes one of a user's API tokens.
func (s *Store) RevokeToken(ctx context.Context, userID, id string) error {
	return s.db.WriteTx(ctx, "revoke token", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ? AND user_id = ?`, id, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return eddy.Errorf(eddy.ENOTFOUND, "no token %s", id)
		}
		return nil
	})
}

// UsedEvery bounds how often last-used times are written: a busy client
// does not turn every request into a write.
const UsedEvery = time.Minute

// TokenUser returns the user of a personal API token, noting its use.
func (s *Store) TokenUser(ctx context.Context, secret string) (*User, error) {
	var u *User
	var id string
	var used int64
	err := s.db.ReadTx(ctx, "find token", func(tx *sql.Tx) error {
		var created int64
		var x User
		err := tx.QueryRowContext(ctx, `SELECT u.id, u.name, u.role, u.created_ms, t.id, t.last_used_ms
			FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?`, secretHash(secret)).
			Scan(&x.ID, &x.Name, &x.Role, &created, &id, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return eddy.Errorf(eddy.EUNAUTHORIZED, "invalid or revoked API token")
		}
		x.Created = timeOf(created)
		u = &x
		return err
	})
	if err != nil {
		return nil, err
	}
	if now := s.now(); now.Sub(timeOf(used)) >= UsedEvery {
		// Noting the use is bookkeeping: failing to, the request still
		// goes on with a valid token.
		_ = s.db.WriteTx(ctx, "token used", func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_ms = ? WHERE id = ?`, ms(now), id)
			return err
		})
	}
	return u, nil
}

// ShareRequest is what a new share link is made of.
type ShareRequest struct {
	NoteID      string
	ParagraphID string
	Scope       string
	ExpiresAt   *time.Time
	CreatedBy   string
}

// CreateShare makes a share link and returns its token.
func (s *Store) CreateShare(ctx context.Context, r ShareRequest) (string, *Share, error) {
	if ScopeLevel(r.Scope) == 0 {
		return "", nil, eddy.Errorf(eddy.EINVALID, "scope must be %q, %q or %q", ScopeView, ScopeRun, ScopeEdit)
	}
	now := s.now().UTC()
	if r.ExpiresAt != nil && !r.ExpiresAt.After(now) {
		return "", nil, eddy.Errorf(eddy.EINVALID, "expiresAt %s is not in the future", r.ExpiresAt.Format(time.RFC3339))
	}
	secret := newSecret(SharePrefix)
	sh := &Share{ID: newID(), NoteID: r.NoteID, ParagraphID: r.ParagraphID, Scope: r.Scope, CreatedBy: r.CreatedBy, Created: now}
	var expires int64
	if r.ExpiresAt != nil {
		t := r.ExpiresAt.UTC()
		sh.ExpiresAt, expires = &t, ms(t)
	}
	err := s.db.WriteTx(ctx, "create share", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO shares (id, note_id, paragraph_id, scope, hash, created_by, created_ms, expires_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, sh.ID, sh.NoteID, sh.ParagraphID, sh.Scope, secretHash(secret), sh.CreatedBy, ms(now), expires)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return secret, sh, nil
}

const shareColumns = `id, note_id, paragraph_id, scope, created_by, created_ms, expires_ms, last_used_ms, revoked_ms`

func scanShare(row interface{ Scan(...any) error }) (*Share, error) {
	var sh Share
	var created, expires, used, revoked int64
	if err := row.Scan(&sh.ID, &sh.NoteID, &sh.ParagraphID, &sh.Scope, &sh.CreatedBy, &created, &expires, &used, &revoked); err != nil {
		return nil, err
	}
	sh.Created, sh.ExpiresAt, sh.LastUsed, sh.Revoked = timeOf(created), optTime(expires), optTime(used), revoked != 0
	return &sh, nil
}

// Shares lists a note's links, newest first, revoked ones too.
func (s *Store) Shares(ctx context.Context, noteID string) ([]Share, error) {
	out := []Share{}
	err := s.db.ReadTx(ctx, "list shares", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+shareColumns+` FROM shares WHERE note_id = ? ORDER BY created_ms DESC, id`, noteID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			sh, err := scanShare(rows)
			if err != nil {
				return err
			}
			out = append(out, *sh)
		}
		return rows.Err()
	})
	return out, err
}

// FindShare returns a link by id.
func (s *Store) FindShare(ctx context.Context, id string) (*Share, error) {
	var sh *Share
	err := s.db.ReadTx(ctx, "find share", func(tx *sql.Tx) error {
		var err error
		sh, err = scanShare(tx.QueryRowContext(ctx, `SELECT `+shareColumns+` FROM shares WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return eddy.Errorf(eddy.ENOTFOUND, "no share link %s", id)
		}
		return err
	})
	return sh, err
}

// RevokeShare ends a link at once.
func (s *Store) RevokeShare(ctx context.Context, id string) error {
	return s.db.WriteTx(ctx, "revoke share", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE shares SET revoked_ms = ? WHERE id = ? AND revoked_ms = 0`, ms(s.now()), id)
		return err
	})
}

// ShareByToken returns the usable link a token opens; a wrong, revoked or
// expired one is an EUNAUTHORIZED error. It notes the link's use, at most
// once per UsedEvery; noted says whether this call did (of requests that
// arrive together, exactly one).
func (s *Store) ShareByToken(ctx context.Context, secret string) (sh *Share, noted bool, err error) {
	err = s.db.ReadTx(ctx, "find share", func(tx *sql.Tx) error {
		var err error
		sh, err = scanShare(tx.QueryRowContext(ctx, `SELECT `+shareColumns+` FROM shares WHERE hash = ?`, secretHash(secret)))
		if errors.Is(err, sql.ErrNoRows) {
			return eddy.Errorf(eddy.EUNAUTHORIZED, "invalid share link")
		}
		return err
	})
	if err != nil {
		return nil, false, err
	}
	now := s.now()
	switch {
	case sh.Revoked:
		return nil, false, eddy.Errorf(eddy.EUNAUTHORIZED, "this share link was revoked")
	case !sh.Usable(now):
		return nil, false, eddy.Errorf(eddy.EUNAUTHORIZED, "this share link expired at %s", sh.ExpiresAt.Format(time.RFC3339))
	}
	if sh.LastUsed == nil || now.Sub(*sh.LastUsed) >= UsedEvery {
		// Conditional, so that of two requests that both read an old
		// time, one writes it. A failure to note the use does not refuse
		// a valid link: noted stays false.
		_ = s.db.WriteTx(ctx, "share used", func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE shares SET last_used_ms = ? WHERE id = ? AND last_used_ms <= ?`,
				ms(now), sh.ID, ms(now.Add(-UsedEvery)))
			if err == nil {
				n, _ := res.RowsAffected()
				noted = n == 1
			}
			return err
		})
	}
	return sh, noted, nil
}

// NotePermissions returns a note's permissions and whether it has any. A
// note without (one being created, before its creator's permissions are
// stored) is the admins' alone: nothing is open by accident. Notes that
// existed before permissions were stored got empty lists (0004_access).
func (s *Store) NotePermissions(ctx context.Context, noteID string) (Permissions, bool, error) {
	var p Permissions
	found := false
	err := s.db.ReadTx(ctx, "read permissions", func(tx *sql.Tx) error {
		var err error
		found, err = readPermissions(ctx, tx, `SELECT body FROM note_permissions WHERE note_id = ?`, noteID, &p)
		return err
	})
	return p.Normalize(), found, err
}

// AllNotePermissions returns the permissions of every note that has them,
// by note id, in one read: for lists.
func (s *Store) AllNotePermissions(ctx context.Context) (map[string]Permissions, error) {
	out := map[string]Permissions{}
	err := s.db.ReadTx(ctx, "read permissions", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT note_id, body FROM note_permissions`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, body string
			var p Permissions
			if err := rows.Scan(&id, &body); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(body), &p); err != nil {
				return err
			}
			out[id] = p.Normalize()
		}
		return rows.Err()
	})
	return out, err
}

// readPermissions reads the permissions query finds for key, if any.
func readPermissions(ctx context.Context, tx *sql.Tx, query, key string, p *Permissions) (bool, error) {
	var body string
	err := tx.QueryRowContext(ctx, query, key).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal([]byte(body), p)
}

// SetNotePermissions replaces a note's permissions.
func (s *Store) SetNotePermissions(ctx context.Context, noteID string, p Permissions) error {
	body, _ := json.Marshal(p.Normalize())
	return s.db.WriteTx(ctx, "set permissions", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO note_permissions (note_id, body) VALUES (?, ?)
			ON CONFLICT (note_id) DO UPDATE SET body = excluded.body`, noteID, string(body))
		if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
			return eddy.Errorf(eddy.ENOTFOUND, "Note %s not found", noteID)
		}
		return err
	})
}

// cleanFolder normalises a folder path: "/team/x".
func cleanFolder(p string) (string, error) {
	p = path.Clean("/" + strings.Trim(p, "/"))
	if p == "/" || len(p) > 1024 {
		return "", eddy.Errorf(eddy.EINVALID, "a folder path such as /team/x is needed")
	}
	return p, nil
}

// FolderPermissions returns the defaults stored for exactly folder.
func (s *Store) FolderPermissions(ctx context.Context, folder string) (Permissions, bool, error) {
	folder, err := cleanFolder(folder)
	if err != nil {
		return Permissions{}, false, err
	}
	var p Permissions
	found := false
	err = s.db.ReadTx(ctx, "read folder permissions", func(tx *sql.Tx) error {
		p = Permissions{}
		var err error
		found, err = readPermissions(ctx, tx, `SELECT body FROM folder_permissions WHERE path = ?`, folder, &p)
		return err
	})
	return p.Normalize(), found, err
}

// SetFolderPermissions stores folder's defaults for notes created in it or
// below.
func (s *Store) SetFolderPermissions(ctx context.Context, folder string, p Permissions) error {
	folder, err := cleanFolder(folder)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(p.Normalize())
	return s.db.WriteTx(ctx, "set folder permissions", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO folder_permissions (path, body) VALUES (?, ?)
			ON CONFLICT (path) DO UPDATE SET body = excluded.body`, folder, string(body))
		return err
	})
}

// NewNotePermissions returns the permissions of a note created at
// notePath by creator: the nearest folder's defaults with the creator as
// an owner, or the creator alone.
func (s *Store) NewNotePermissions(ctx context.Context, notePath, creator string) (Permissions, error) {
	for dir := path.Dir(path.Clean("/" + strings.Trim(notePath, "/"))); dir != "/" && dir != "."; dir = path.Dir(dir) {
		p, found, err := s.FolderPermissions(ctx, dir)
		if err != nil {
			return Permissions{}, err
		}
		if found {
			p.Owners = append([]string{creator}, p.Owners...)
			return p.Normalize(), nil
		}
	}
	return Private(creator), nil
}

// Record appends an event to the audit log. Its time is now when unset.
func (s *Store) Record(ctx context.Context, e Event) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	if len(e.Detail) > 2000 {
		e.Detail = e.Detail[:2000]
	}
	return s.db.WriteTx(ctx, "audit", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit (at_ms, actor, via, action, note_id, detail) VALUES (?, ?, ?, ?, ?, ?)`,
			ms(e.At), e.Actor, e.Via, e.Action, e.NoteID, e.Detail)
		return err
	})
}

// Events returns up to limit audit events older than id before (0: the
// newest), newest first.
func (s *Store) Events(ctx context.Context, before int64, limit int) ([]Event, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	if before <= 0 {
		before = 1<<62 - 1
	}
	out := []Event{}
	err := s.db.ReadTx(ctx, "read audit", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, at_ms, actor, via, action, note_id, detail FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?`, before, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e Event
			var at int64
			if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Via, &e.Action, &e.NoteID, &e.Detail); err != nil {
				return err
			}
			e.At = timeOf(at)
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}
