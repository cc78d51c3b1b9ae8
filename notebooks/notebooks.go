// Package notebooks is Eddy's notebook domain: notes, paragraphs, results and
// revisions, Zeppelin's note file format (.zpln import and export), and the
// Service interface that stores implement and that the HTTP server, the
// websocket hub and the kernel use.
//
// The types carry Zeppelin's JSON field names so that a note read from a
// .zpln file, served over Zeppelin's REST API and written back keeps every
// field, including those Eddy does not use. The package knows nothing of SQL
// or HTTP; notebooks/sqlite is the store.
package notebooks

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy"
)

// Limits that every Service enforces. Past each the operation is refused
// with an error and nothing changes.
const (
	// MaxParagraphsPerNote bounds the paragraphs of one note (EINVALID past it).
	MaxParagraphsPerNote = 10_000
	// MaxRevisionsPerNote bounds the checkpoints kept for one note (ECONFLICT past it).
	MaxRevisionsPerNote = 1_000
	// MaxRevisionMessage bounds a checkpoint message, in bytes (EINVALID past it).
	MaxRevisionMessage = 4_096
)

// DefaultInterpreterGroup is the group a new note gets when none is named:
// Eddy is a Flink notebook.
const DefaultInterpreterGroup = "flink"

// DefaultUser is the user recorded on edits when the caller has no identity,
// as Zeppelin records it without authentication.
const DefaultUser = "anonymous"

// NoteInfo is one entry of the note list, as Zeppelin's GET /api/notebook
// returns it.
type NoteInfo struct {
	ID   string `json:"id"`
	Path string `json:"path"` // "/folder/name"
	// Name is the path without its leading slash: what Zeppelin ≤ 0.8 listed
	// as a note's name, kept so old scripts that look notes up by name work.
	Name string `json:"name"`
}

// NoteCreate describes a new note.
type NoteCreate struct {
	// Path is the note's path; a name without a leading slash is put in the
	// root folder, and slashes make folders ("a/b/c" → folder /a/b, name c).
	Path                    string
	DefaultInterpreterGroup string // DefaultInterpreterGroup when empty
	Paragraphs              []ParagraphCreate
	User                    string // DefaultUser when empty
}

// NoteUpdate changes note-level fields; nil fields are left as they are.
type NoteUpdate struct {
	DefaultInterpreterGroup *string
	Config                  map[string]any // merged key by key into the note's config
	NoteParams              map[string]any // replaces noteParams
	NoteForms               map[string]any // replaces noteForms
	AngularObjects          map[string]any // replaces angularObjects
	// NoteParamsPatch is merged key by key into noteParams (a nil value
	// removes the key), NoteFormsPatch into noteForms: the values set in
	// note form widgets and the forms they were set against.
	NoteParamsPatch map[string]any
	NoteFormsPatch  map[string]any
}

// NoteClone describes a clone of a note.
type NoteClone struct {
	Path       string // the clone's path; "/Cloned Note_<id>" when empty, as Zeppelin does
	RevisionID string // clone the note as it was at this revision; the current note when empty
}

// ParagraphCreate describes a new paragraph.
type ParagraphCreate struct {
	Title  string
	Text   string
	Config map[string]any // merged into the default config
	Index  *int           // position in the note (0 = first); nil appends
	User   string         // DefaultUser when empty
}

// ParagraphUpdate is an edit of a paragraph; nil fields are left as they are.
// Every update sets dateUpdated.
type ParagraphUpdate struct {
	Text   *string
	Title  *string
	Config map[string]any // merged key by key into config, as Zeppelin's mergeConfig
	Params map[string]any // replaces settings.params (dynamic form values)
	// ParamsPatch is merged key by key into settings.params (a nil value
	// removes the key), FormsPatch into settings.forms: the values set in
	// form widgets and the forms they were set against. Both apply after
	// Params.
	ParamsPatch map[string]any
	FormsPatch  map[string]any
	User        string // recorded as the paragraph's user when not empty
}

// RunUpdate is a change of a paragraph's run state, made by the kernel in one
// call; nil fields are left as they are.
type RunUpdate struct {
	Status       *Status
	Results      *Result // replaces results
	ClearResults bool    // removes results (applied before Results)
	DateStarted  *Date
	DateFinished *Date
	ErrorMessage *string // "" removes it
	Progress     *int
	RuntimeInfos map[string]any // replaces runtimeInfos
	Config       map[string]any // merged key by key into config
	Forms        map[string]any // replaces settings.forms (forms derived from the text at run)
	Params       map[string]any // replaces settings.params
}

// Revision is a checkpoint of a note, as Zeppelin lists it.
type Revision struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Time    int64  `json:"time"` // seconds since the Unix epoch
}

// Service stores notes. Every method is one transaction: it either commits
// durably before returning nil or changes nothing. Errors carry eddy codes:
// ENOTFOUND for an unknown note, paragraph or revision, EINVALID for bad
// input, ECONFLICT for a collision with current state.
//
// Implementations are safe for concurrent use.
type Service interface {
	// ListNotes returns every note, including those in the trash, ordered by path.
	ListNotes(ctx context.Context) ([]NoteInfo, error)
	// FindNoteByID returns a note with its paragraphs in order.
	FindNoteByID(ctx context.Context, id string) (*Note, error)
	// CreateNote creates a note with a new id.
	CreateNote(ctx context.Context, create NoteCreate) (*Note, error)
	// ImportNote stores a note read by ImportZeppelin. It keeps the note's id
	// unless the id is malformed or taken, in which case the note gets a new one.
	ImportNote(ctx context.Context, note *Note) (*Note, error)
	// CloneNote copies a note (or one of its revisions) to a new note.
	CloneNote(ctx context.Context, id string, clone NoteClone) (*Note, error)
	// MoveNote renames a note: it sets its path (folder and name).
	MoveNote(ctx context.Context, id, path string) (*Note, error)
	// UpdateNote changes note-level fields.
	UpdateNote(ctx context.Context, id string, upd NoteUpdate) (*Note, error)
	// DeleteNote moves a note to the trash, or deletes it for good (with its
	// revisions) when it is in the trash already; permanent says which.
	DeleteNote(ctx context.Context, id string) (permanent bool, err error)

	// ListParagraphs returns a note's paragraphs in order.
	ListParagraphs(ctx context.Context, noteID string) ([]*Paragraph, error)
	// FindParagraph returns one paragraph of a note.
	FindParagraph(ctx context.Context, noteID, paragraphID string) (*Paragraph, error)
	// AddParagraph inserts a new paragraph; an index outside 0..len is EINVALID.
	AddParagraph(ctx context.Context, noteID string, create ParagraphCreate) (*Paragraph, error)
	// UpdateParagraph edits a paragraph's text, title, config or form values.
	UpdateParagraph(ctx context.Context, noteID, paragraphID string, upd ParagraphUpdate) (*Paragraph, error)
	// UpdateParagraphRun changes a paragraph's run state (status, results,
	// dates, progress, error, runtime infos, config) in one transaction.
	UpdateParagraphRun(ctx context.Context, noteID, paragraphID string, run RunUpdate) (*Paragraph, error)
	// MoveParagraph moves a paragraph to index; an index outside 0..len-1 is EINVALID.
	MoveParagraph(ctx context.Context, noteID, paragraphID string, index int) error
	// DeleteParagraph removes a paragraph.
	DeleteParagraph(ctx context.Context, noteID, paragraphID string) error

	// CheckpointNote records the note as it is now as a revision. When nothing
	// changed since the latest revision it returns that revision and an error
	// for which errors.Is(err, ErrNoChanges) holds.
	CheckpointNote(ctx context.Context, noteID, message string) (*Revision, error)
	// ListRevisions returns a note's revisions, newest first.
	ListRevisions(ctx context.Context, noteID string) ([]*Revision, error)
	// FindRevision returns the note as it was at a revision.
	FindRevision(ctx context.Context, noteID, revisionID string) (*Note, error)
	// RestoreRevision makes a revision the current content of the note (its
	// path stays) and returns the note.
	RestoreRevision(ctx context.Context, noteID, revisionID string) (*Note, error)

	// Subscribe returns a subscription to changes committed from now on. The
	// caller must Close it.
	Subscribe() *Subscription
}

// NoteJSONFinder is implemented by stores that can return a note's JSON,
// byte for byte what Note.MarshalJSON writes, without decoding the note: the
// fast path for serving large notes. Callers fall back to FindNoteByID.
type NoteJSONFinder interface {
	FindNoteJSON(ctx context.Context, id string) ([]byte, error)
}

// ErrNoChanges is returned (wrapped) by CheckpointNote when the note equals
// its latest revision. Its code is ECONFLICT.
var ErrNoChanges = eddy.Errorf(eddy.ECONFLICT, "no changes since the latest revision")

// NoteNotFound returns the ENOTFOUND error for an unknown note id.
func NoteNotFound(id string) error {
	return eddy.Errorf(eddy.ENOTFOUND, "No such note: %s", id)
}

// ParagraphNotFound returns the ENOTFOUND error for an unknown paragraph id.
func ParagraphNotFound(id string) error {
	return eddy.Errorf(eddy.ENOTFOUND, "No such paragraph: %s", id)
}

// RevisionNotFound returns the ENOTFOUND error for an unknown revision id.
func RevisionNotFound(id string) error {
	return eddy.Errorf(eddy.ENOTFOUND, "No such revision: %s", id)
}

// NewParagraph returns a paragraph as Zeppelin creates one: a new id, status
// READY, empty settings and the given creation time.
func NewParagraph(now time.Time, user string) *Paragraph {
	if user == "" {
		user = DefaultUser
	}
	id := NewParagraphID(now)
	d := NewDate(now)
	return &Paragraph{
		User:                     user,
		DateUpdated:              d,
		Config:                   map[string]any{},
		Settings:                 Settings{Params: map[string]any{}, Forms: map[string]any{}},
		Apps:                     []any{},
		RuntimeInfos:             map[string]any{},
		ProgressUpdateIntervalMs: 500,
		JobName:                  id,
		ID:                       id,
		DateCreated:              d,
		Status:                   StatusReady,
	}
}

// ApplyUpdate applies an edit to p at time now.
func (p *Paragraph) ApplyUpdate(upd ParagraphUpdate, now time.Time) {
	if upd.Text != nil {
		p.Text = *upd.Text
	}
	if upd.Title != nil {
		p.Title = *upd.Title
	}
	if upd.Config != nil {
		p.Config = MergeConfig(p.Config, upd.Config)
	}
	if upd.Params != nil {
		p.Settings.Params = upd.Params
	}
	p.Settings.Params = mergeValues(p.Settings.Params, upd.ParamsPatch)
	p.Settings.Forms = mergeValues(p.Settings.Forms, upd.FormsPatch)
	if upd.User != "" {
		p.User = upd.User
	}
	p.DateUpdated = NewDate(now)
	delete(p.Extra, "dateUpdated")
}

// ApplyRun applies a run-state change to p.
func (p *Paragraph) ApplyRun(run RunUpdate) {
	if run.Status != nil {
		p.Status = *run.Status
	}
	if run.ClearResults {
		p.Results = nil
	}
	if run.Results != nil {
		r := *run.Results
		p.Results = &r
	}
	if run.DateStarted != nil {
		p.DateStarted = *run.DateStarted
		delete(p.Extra, "dateStarted")
	}
	if run.DateFinished != nil {
		p.DateFinished = *run.DateFinished
		delete(p.Extra, "dateFinished")
	}
	if run.ErrorMessage != nil {
		p.ErrorMessage = *run.ErrorMessage
	}
	if run.Progress != nil {
		p.Progress = *run.Progress
	}
	if run.RuntimeInfos != nil {
		p.RuntimeInfos = run.RuntimeInfos
	}
	if run.Config != nil {
		p.Config = MergeConfig(p.Config, run.Config)
	}
	if run.Forms != nil {
		p.Settings.Forms = run.Forms
	}
	if run.Params != nil {
		p.Settings.Params = run.Params
	}
}

// ApplyUpdate applies a note-level change to n.
func (n *Note) ApplyUpdate(upd NoteUpdate) {
	if upd.DefaultInterpreterGroup != nil {
		n.DefaultInterpreterGroup = *upd.DefaultInterpreterGroup
	}
	if upd.Config != nil {
		n.Config = MergeConfig(n.Config, upd.Config)
	}
	if upd.NoteParams != nil {
		n.NoteParams = upd.NoteParams
	}
	if upd.NoteForms != nil {
		n.NoteForms = upd.NoteForms
	}
	n.NoteParams = mergeValues(n.NoteParams, upd.NoteParamsPatch)
	n.NoteForms = mergeValues(n.NoteForms, upd.NoteFormsPatch)
	if upd.AngularObjects != nil {
		n.AngularObjects = upd.AngularObjects
	}
}

// MergeConfig returns dst with every key of src set in it, as Zeppelin merges
// a paragraph config (top-level keys replace; nothing is deep-merged).
func MergeConfig(dst, src map[string]any) map[string]any {
	if dst == nil {
		dst = make(map[string]any, len(src))
	}
	for k, v := range src {
		dst[k] = v
	}
	return dst
}

// mergeValues sets every key of patch in dst, removing those whose value is
// nil, and returns dst (a new map when dst is nil and patch sets a key).
func mergeValues(dst, patch map[string]any) map[string]any {
	for k, v := range patch {
		if v == nil {
			delete(dst, k)
			continue
		}
		if dst == nil {
			dst = make(map[string]any, len(patch))
		}
		dst[k] = v
	}
	return dst
}

// MaxParams bounds the form values one patch may set.
const MaxParams = 256

// ValidateParamsPatch checks the form values a widget sets (what
// ParagraphUpdate.ParamsPatch and NoteUpdate.NoteParamsPatch take): at most
// MaxParams non-empty names, each value a string, a list of strings (a
// checkbox) or null (back to the default). It returns an EINVALID error
// naming the first bad entry. what names the field in the message.
func ValidateParamsPatch(what string, patch map[string]any) error {
	if len(patch) == 0 {
		return eddy.Errorf(eddy.EINVALID, "%s must be an object with at least one form value", what)
	}
	if len(patch) > MaxParams {
		return eddy.Errorf(eddy.EINVALID, "%s sets %d form values; at most %d at a time", what, len(patch), MaxParams)
	}
	for name, v := range patch {
		if strings.TrimSpace(name) == "" {
			return eddy.Errorf(eddy.EINVALID, "%s has an empty form name", what)
		}
		switch x := v.(type) {
		case nil, string, []string:
		case []any:
			for _, e := range x {
				if _, ok := e.(string); !ok {
					return eddy.Errorf(eddy.EINVALID, "%s.%s must be a string or a list of strings, not a list holding %s", what, name, valueKind(e))
				}
			}
		default:
			return eddy.Errorf(eddy.EINVALID, "%s.%s must be a string, a list of strings or null, not %s", what, name, valueKind(v))
		}
	}
	return nil
}

// valueKind names the JSON type of a decoded value.
func valueKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64, json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "a value of another kind"
}
