// Package access is who may do what in Eddy: local users and their roles,
// browser sessions and personal API tokens, share links, note and folder
// permissions (Zeppelin's owners, writers, runners and readers) and the
// audit log. The server asks it who a request is (a Principal) and whether
// that principal may act on a note at a Level.
//
// Every secret Eddy hands out (session ids, API tokens, share tokens) is
// 256 bits from crypto/rand and stored only as its SHA-256; passwords are
// stored as argon2id hashes.
package access

import (
	"slices"
	"strings"
	"time"
)

// Roles of users.
const (
	RoleAdmin  = "admin"  // may do everything, manages users, reads the audit log
	RoleMember = "member" // sees and acts on the notes whose permissions name them
)

// User is a local account.
type User struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Created time.Time `json:"created"`
}

// IsAdmin reports whether u administers Eddy.
func (u *User) IsAdmin() bool { return u != nil && u.Role == RoleAdmin }

// Level is what a principal wants to do with a note; each level includes
// the ones below it.
type Level int

// Levels, lowest first.
const (
	Read  Level = iota + 1 // see the note, its results and live state
	Run                    // run and cancel paragraphs, set form values
	Write                  // edit paragraphs and the note
	Own                    // permissions, share links, rename, delete
)

func (l Level) String() string {
	switch l {
	case Read:
		return "read"
	case Run:
		return "run"
	case Write:
		return "write"
	case Own:
		return "own"
	}
	return "none"
}

// Share scopes and the level each grants.
const (
	ScopeView = "view"
	ScopeRun  = "run"
	ScopeEdit = "edit"
)

// ScopeLevel is the level a share scope grants; 0 for an unknown scope.
func ScopeLevel(scope string) Level {
	switch scope {
	case ScopeView:
		return Read
	case ScopeRun:
		return Run
	case ScopeEdit:
		return Write
	}
	return 0
}

// Permissions are a note's (or a folder's default) lists of user names by
// role, as Zeppelin keeps them. An empty list admits every signed-in user
// to that role; a user named in a higher role has the lower ones too.
type Permissions struct {
	Owners  []string `json:"owners"`
	Writers []string `json:"writers"`
	Runners []string `json:"runners"`
	Readers []string `json:"readers"`
}

// Private returns the permissions of a new note: its creator alone.
func Private(creator string) Permissions {
	one := func() []string { return []string{creator} }
	return Permissions{Owners: one(), Writers: one(), Runners: one(), Readers: one()}
}

// lists returns the role lists that grant l, highest first.
func (p Permissions) lists(l Level) [][]string {
	all := [][]string{p.Owners, p.Writers, p.Runners, p.Readers}
	switch l {
	case Own:
		return all[:1]
	case Write:
		return all[:2]
	case Run:
		return all[:3]
	case Read:
		return all
	}
	return nil
}

// Allows reports whether the user named name may act at level l. As in
// Zeppelin, a role whose own list is empty is open to every user.
func (p Permissions) Allows(name string, l Level) bool {
	lists := p.lists(l)
	if len(lists) == 0 {
		return false
	}
	if len(lists[len(lists)-1]) == 0 {
		return true
	}
	for _, list := range lists {
		if slices.ContainsFunc(list, func(n string) bool { return strings.EqualFold(n, name) }) {
			return true
		}
	}
	return false
}

// Normalize trims names, drops empty and repeated ones and keeps the
// lists non-nil, so stored and returned permissions read the same.
func (p Permissions) Normalize() Permissions {
	clean := func(in []string) []string {
		out := []string{}
		for _, n := range in {
			n = strings.TrimSpace(n)
			if n != "" && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, n) }) {
				out = append(out, n)
			}
		}
		return out
	}
	return Permissions{Owners: clean(p.Owners), Writers: clean(p.Writers), Runners: clean(p.Runners), Readers: clean(p.Readers)}
}

// Share is a link to a note or one of its paragraphs.
type Share struct {
	ID          string     `json:"id"`
	NoteID      string     `json:"noteId"`
	ParagraphID string     `json:"paragraphId,omitempty"`
	Scope       string     `json:"scope"`
	CreatedBy   string     `json:"createdBy"`
	Created     time.Time  `json:"created"`
	ExpiresAt   *time.Time `json:"expiresAt"`
	LastUsed    *time.Time `json:"lastUsed"`
	Revoked     bool       `json:"revoked"`
}

// Usable reports whether the link admits requests at now.
func (s *Share) Usable(now time.Time) bool {
	return !s.Revoked && (s.ExpiresAt == nil || now.Before(*s.ExpiresAt))
}

// How a principal authenticated, as the audit log records it.
const (
	ViaSession      = "session"       // a browser session after a password login
	ViaStartupToken = "startup-token" // the token printed at start
	ViaToken        = "token"         // a personal API token
	ViaLink         = "link"          // a share link's token
)

// Principal is who a request is: a user, or a share link.
type Principal struct {
	User  *User
	Share *Share
	Via   string
}

// Name is how the audit log names the principal.
func (p *Principal) Name() string {
	switch {
	case p == nil:
		return "anonymous"
	case p.User != nil:
		return p.User.Name
	case p.Share != nil:
		return "link:" + p.Share.ID
	}
	return "anonymous"
}

// IsAdmin reports whether p is an admin user.
func (p *Principal) IsAdmin() bool { return p != nil && p.User.IsAdmin() }

// CanNote reports whether p may act on note noteID, whose permissions are
// perms, at level l. A link reaches only its own note, up to its scope and
// never as owner; paragraph says which paragraph the act concerns ("" for
// the note as a whole), and a paragraph link reaches only its paragraph
// (a caller that shows it the note filtered to that paragraph asks for
// that paragraph).
func (p *Principal) CanNote(noteID, paragraph string, perms Permissions, l Level) bool {
	switch {
	case p == nil:
		return false
	case p.User != nil:
		return p.User.IsAdmin() || perms.Allows(p.User.Name, l)
	case p.Share != nil:
		s := p.Share
		if s.NoteID != noteID || l > ScopeLevel(s.Scope) || l >= Own {
			return false
		}
		return s.ParagraphID == "" || paragraph == s.ParagraphID
	}
	return false
}

// SeesParagraph reports whether p may see paragraph id of a note it may
// read: a paragraph link sees only its own.
func (p *Principal) SeesParagraph(id string) bool {
	return p == nil || p.Share == nil || p.Share.ParagraphID == "" || p.Share.ParagraphID == id
}

// Event is one line of the audit log.
type Event struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Via    string    `json:"via"`
	Action string    `json:"action"`
	NoteID string    `json:"noteId,omitempty"`
	Detail string    `json:"detail,omitempty"`
}
