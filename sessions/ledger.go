package sessions

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/eddy-notebooks/eddy"
)

// SessionKPUs is what every notebook session reserves while it lives: one
// KPU of orchestration and one of interactive environment, as in Studio.
const SessionKPUs = 2

// FirstJobKPUs must be free beside a new session's own KPUs for it to
// start: a session admitted without room for a job of parallelism 1 could
// run nothing, and sessions filling the capacity that way would leave
// every note, theirs included, unable to run a query.
const FirstJobKPUs = 1

// JobKPUs is the capacity a job of the given parallelism reserves:
// ceil(parallelism / parallelismPerKPU), at least 1.
func JobKPUs(parallelism, parallelismPerKPU int) int {
	if parallelism < 1 {
		parallelism = 1
	}
	if parallelismPerKPU < 1 {
		parallelismPerKPU = 1
	}
	return (parallelism + parallelismPerKPU - 1) / parallelismPerKPU
}

// Ledger is the KPU capacity and who holds it. Every reservation is
// checked and made under one lock, so of two requests for the last KPUs
// exactly one wins. Safe for concurrent use.
type Ledger struct {
	mu       sync.Mutex
	capacity int
	holders  map[string]*holding // by session id
}

type holding struct {
	noteID   string
	noteName string
	appID    string // an application's holding, instead of a note's
	appName  string
	kpus     int
}

// appHolder is the ledger key of an application's holding.
func appHolder(appID string) string { return "app:" + appID }

// NewLedger returns a ledger of the given capacity in KPUs.
func NewLedger(capacity int) *Ledger {
	return &Ledger{capacity: capacity, holders: map[string]*holding{}}
}

// Capacity returns the ledger's capacity in KPUs.
func (l *Ledger) Capacity() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.capacity
}

// SetCapacity changes the capacity, as a remote cluster gains or loses
// task slots. KPUs already reserved stay reserved even past a smaller
// capacity; new reservations are refused until enough are given back.
func (l *Ledger) SetCapacity(capacity int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.capacity = capacity
}

// InUse returns the KPUs reserved now.
func (l *Ledger) InUse() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inUse()
}

func (l *Ledger) inUse() int {
	n := 0
	for _, h := range l.holders {
		n += h.kpus
	}
	return n
}

// Held returns the KPUs a session holds.
func (l *Ledger) Held(sessionID string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.holders[sessionID]; h != nil {
		return h.kpus
	}
	return 0
}

// Refusal says why the ledger refused a reservation: what was asked, the
// KPUs it needed, how many were free, the capacity and the notes holding
// KPUs, largest holding first. It is the Details of the ECAPACITY error.
type Refusal struct {
	What     string   `json:"what"`
	Needed   int      `json:"needed"`
	Free     int      `json:"free"`
	Capacity int      `json:"capacity"`
	Holders  []Holder `json:"holders"`
	// Never is set when the request cannot be met even with every other
	// session and application stopped: a job of Parallelism needs more
	// KPUs than the capacity less its own session's SessionKPUs. Holders
	// is then empty (stopping them would not help) and MaxParallelism is
	// the most a job of that session can have (0: none fits).
	Never          bool `json:"never,omitempty"`
	Parallelism    int  `json:"parallelism,omitempty"`
	MaxParallelism int  `json:"maxParallelism,omitempty"`
}

// Holder is a note whose session holds KPUs, or an application.
type Holder struct {
	NoteID          string `json:"noteId"`
	NoteName        string `json:"noteName"`
	SessionID       string `json:"sessionId"`
	ApplicationID   string `json:"applicationId,omitempty"`
	ApplicationName string `json:"applicationName,omitempty"`
	KPUs            int    `json:"kpus"`
}

// Err returns the refusal as an ECAPACITY error with the refusal as its
// details and a message that says the same in words.
func (r *Refusal) Err() *eddy.Error {
	if r.Never {
		e := eddy.Errorf(eddy.ECAPACITY, "parallelism %d needs %d KPU%s, the cluster offers %d in all (%d of them kept by this note's session); %s",
			r.Parallelism, r.Needed, plural(r.Needed), r.Capacity, SessionKPUs, lowerTo(r.MaxParallelism))
		e.Details = r
		return e
	}
	e := eddy.Errorf(eddy.ECAPACITY, "not enough KPUs to %s: it needs %d KPU%s, %d of %d %s free; %s",
		r.What, r.Needed, plural(r.Needed), r.Free, r.Capacity, isAre(r.Free), describeHolders(r.Holders))
	e.Details = r
	return e
}

// JobNeverFits returns the refusal of a job of this parallelism, needing
// n KPUs, that no stopping of other sessions or applications could admit:
// n exceeds the capacity less the SessionKPUs its own session keeps. It
// returns nil when the job could fit once enough KPUs are free.
func (l *Ledger) JobNeverFits(what string, parallelism, n, parallelismPerKPU int) error {
	l.mu.Lock()
	capacity := l.capacity
	free := max(capacity-l.inUse(), 0)
	l.mu.Unlock()
	room := capacity - SessionKPUs
	if n <= room {
		return nil
	}
	r := &Refusal{What: what, Needed: n, Free: free, Capacity: capacity, Holders: []Holder{},
		Never: true, Parallelism: parallelism, MaxParallelism: max(room, 0) * max(parallelismPerKPU, 1)}
	return r.Err()
}

// lowerTo says what to do about a parallelism that never fits.
func lowerTo(maxParallelism int) string {
	if maxParallelism < 1 {
		return "no job fits: raise the cluster's KPU capacity"
	}
	return fmt.Sprintf("lower the parallelism to %d or less", maxParallelism)
}

// Free returns the KPUs not reserved.
func (l *Ledger) Free() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return max(l.capacity-l.inUse(), 0)
}

// Reserve adds n KPUs to a session's holding, or refuses with an
// ECAPACITY error whose details are a *Refusal. what names the request.
func (l *Ledger) Reserve(sessionID, noteID, noteName string, n int, what string) error {
	return l.ReserveWithRoom(sessionID, noteID, noteName, n, 0, what)
}

// ReserveWithRoom is Reserve that also requires room more KPUs to stay
// free after the n it reserves (they are not reserved).
func (l *Ledger) ReserveWithRoom(sessionID, noteID, noteName string, n, room int, what string) error {
	return l.reserve(sessionID, holding{noteID: noteID, noteName: noteName}, n, room, what)
}

// reserve adds n KPUs to the holding under key (created as who), keeping
// room more free, or refuses.
func (l *Ledger) reserve(key string, who holding, n, room int, what string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	free := l.capacity - l.inUse()
	if n+room > free {
		r := &Refusal{What: what, Needed: n + room, Free: max(free, 0), Capacity: l.capacity, Holders: l.holdersLocked()}
		return r.Err()
	}
	h := l.holders[key]
	if h == nil {
		h = &who
		l.holders[key] = h
	}
	h.kpus += n
	return nil
}

// ReserveApplication reserves n KPUs for a running application, or
// refuses as Reserve does.
func (l *Ledger) ReserveApplication(appID, appName string, n int, what string) error {
	return l.reserve(appHolder(appID), holding{appID: appID, appName: appName}, n, 0, what)
}

// ReleaseApplication gives n KPUs of an application back.
func (l *Ledger) ReleaseApplication(appID string, n int) { l.Release(appHolder(appID), n) }

// Release gives n KPUs of a session back; a session with none left is
// forgotten.
func (l *Ledger) Release(sessionID string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.holders[sessionID]
	if h == nil {
		return
	}
	h.kpus -= n
	if h.kpus <= 0 {
		delete(l.holders, sessionID)
	}
}

// holdersLocked lists the notes holding KPUs, largest holding first.
// Caller holds mu.
func (l *Ledger) holdersLocked() []Holder {
	out := make([]Holder, 0, len(l.holders))
	for id, h := range l.holders {
		if h.appID != "" {
			out = append(out, Holder{ApplicationID: h.appID, ApplicationName: h.appName, KPUs: h.kpus})
			continue
		}
		out = append(out, Holder{NoteID: h.noteID, NoteName: h.noteName, SessionID: id, KPUs: h.kpus})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].KPUs != out[j].KPUs {
			return out[i].KPUs > out[j].KPUs
		}
		return out[i].NoteName+out[i].NoteID+out[i].ApplicationName < out[j].NoteName+out[j].NoteID+out[j].ApplicationName
	})
	return out
}

// describeHolders names what holds capacity, in the order given.
func describeHolders(hs []Holder) string {
	if len(hs) == 0 {
		return "nothing holds any"
	}
	parts := make([]string, len(hs))
	apps := false
	for i, h := range hs {
		if h.ApplicationID != "" {
			parts[i] = fmt.Sprintf("application %q (%s) holds %d", h.ApplicationName, h.ApplicationID, h.KPUs)
			apps = true
			continue
		}
		name := h.NoteName
		if name == "" {
			name = h.NoteID
		}
		parts[i] = fmt.Sprintf("note %q (%s) holds %d", name, h.NoteID, h.KPUs)
	}
	if apps {
		return strings.Join(parts, ", ") + ". Stop a session or an application to free its KPUs."
	}
	return strings.Join(parts, ", ") + ". Stop a session to free its KPUs."
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
