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
	kpus     int
}

// NewLedger returns a ledger of the given capacity in KPUs.
func NewLedger(capacity int) *Ledger {
	return &Ledger{capacity: capacity, holders: map[string]*holding{}}
}

// Capacity returns the ledger's capacity in KPUs.
func (l *Ledger) Capacity() int { return l.capacity }

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

// Reserve adds n KPUs to a session's holding, or refuses with an
// EUNAVAILABLE error that says how many are needed, how many are free and
// which notes hold the rest. what names the request in that message.
func (l *Ledger) Reserve(sessionID, noteID, noteName string, n int, what string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	free := l.capacity - l.inUse()
	if n > free {
		return eddy.Errorf(eddy.EUNAVAILABLE, "not enough KPUs to %s: it needs %d KPU%s, %d of %d %s free; %s",
			what, n, plural(n), max(free, 0), l.capacity, isAre(free), l.describeHolders())
	}
	h := l.holders[sessionID]
	if h == nil {
		h = &holding{noteID: noteID, noteName: noteName}
		l.holders[sessionID] = h
	}
	h.kpus += n
	return nil
}

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

// describeHolders names what holds capacity, largest first. Caller holds mu.
func (l *Ledger) describeHolders() string {
	if len(l.holders) == 0 {
		return "nothing holds any"
	}
	type entry struct {
		name string
		kpus int
	}
	var es []entry
	for _, h := range l.holders {
		name := h.noteName
		if name == "" {
			name = h.noteID
		}
		es = append(es, entry{fmt.Sprintf("note %q (%s)", name, h.noteID), h.kpus})
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].kpus != es[j].kpus {
			return es[i].kpus > es[j].kpus
		}
		return es[i].name < es[j].name
	})
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = fmt.Sprintf("%s holds %d", e.name, e.kpus)
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
