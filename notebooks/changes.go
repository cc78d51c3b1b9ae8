package notebooks

import (
	"context"
	"errors"
	"sync"
)

// ChangeKind says what a committed change did.
type ChangeKind string

// Kinds of change.
const (
	ChangeNoteCreated      ChangeKind = "note-created"      // created, imported or cloned
	ChangeNoteMoved        ChangeKind = "note-moved"        // renamed, or moved to the trash
	ChangeNoteUpdated      ChangeKind = "note-updated"      // note-level fields (config, forms, interpreter group)
	ChangeNoteRestored     ChangeKind = "note-restored"     // content replaced by a revision
	ChangeNoteDeleted      ChangeKind = "note-deleted"      // deleted for good
	ChangeParagraphAdded   ChangeKind = "paragraph-added"   //
	ChangeParagraphUpdated ChangeKind = "paragraph-updated" // text, title, config or form values edited
	ChangeParagraphRun     ChangeKind = "paragraph-run"     // run state (status, results, progress…) changed
	ChangeParagraphMoved   ChangeKind = "paragraph-moved"   //
	ChangeParagraphDeleted ChangeKind = "paragraph-deleted" //
	ChangeRevisionCreated  ChangeKind = "revision-created"  //

	// ChangeResync replaces changes a subscriber was too slow to take: the
	// subscriber should reload whatever it shows.
	ChangeResync ChangeKind = "resync"
)

// Change is one committed change. ParagraphID is empty for note-level kinds.
type Change struct {
	Seq         uint64     // increases by one per published change, per Broker
	Kind        ChangeKind //
	NoteID      string     //
	ParagraphID string     //
}

// DefaultSubscriptionBuffer is the number of changes a subscription holds
// before it drops them for one ChangeResync.
const DefaultSubscriptionBuffer = 1024

// ErrSubscriptionClosed is returned by Subscription.Next once the
// subscription or its broker is closed.
var ErrSubscriptionClosed = errors.New("notebooks: subscription closed")

// Broker fans committed changes out to subscriptions. Publish never blocks
// on a subscriber: each subscription has a bounded queue and, when it is
// full, drops its queue for a single ChangeResync.
//
// A Broker is safe for concurrent use.
type Broker struct {
	buffer int

	mu     sync.Mutex
	seq    uint64                     // guarded by mu
	notes  map[string]uint64          // guarded by mu: the Seq of each note's latest change
	subs   map[*Subscription]struct{} // guarded by mu
	closed bool                       // guarded by mu
}

// ChangeSequencer is implemented by stores that can say, without a read,
// whether a note may have changed: NoteChangeSeq returns the sequence of
// the latest change published for the note (0: none since the store
// opened). Changes are published after they commit, so when the value is
// the same before and after a read of the note, the read is still current
// except for changes committed but not yet published, which every
// subscriber receives next.
type ChangeSequencer interface {
	NoteChangeSeq(noteID string) uint64
}

// NoteSeq returns the Seq of the latest change published for the note, 0
// for none.
func (b *Broker) NoteSeq(noteID string) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.notes[noteID]
}

// NewBroker returns a broker whose subscriptions hold up to buffer changes
// (DefaultSubscriptionBuffer when buffer < 1).
func NewBroker(buffer int) *Broker {
	if buffer < 1 {
		buffer = DefaultSubscriptionBuffer
	}
	return &Broker{buffer: buffer, subs: make(map[*Subscription]struct{})}
}

// Subscribe returns a subscription to changes published from now on. On a
// closed broker the subscription is closed already.
func (b *Broker) Subscribe() *Subscription {
	s := &Subscription{broker: b, max: b.buffer, ready: make(chan struct{}, 1)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		s.closed = true
		return s
	}
	b.subs[s] = struct{}{}
	return s
}

// Publish numbers the changes and hands them to every subscription. Stores
// call it only after the transaction that made the changes has committed.
func (b *Broker) Publish(changes ...Change) {
	if len(changes) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	if b.notes == nil {
		b.notes = make(map[string]uint64)
	}
	for i := range changes {
		b.seq++
		changes[i].Seq = b.seq
		if changes[i].NoteID != "" {
			b.notes[changes[i].NoteID] = b.seq
		}
	}
	for s := range b.subs {
		s.push(changes)
	}
}

// Close closes every subscription; later Publish calls do nothing.
func (b *Broker) Close() {
	b.mu.Lock()
	subs := b.subs
	b.subs = nil
	b.closed = true
	b.mu.Unlock()
	for s := range subs {
		s.shut()
	}
}

func (b *Broker) remove(s *Subscription) {
	b.mu.Lock()
	delete(b.subs, s)
	b.mu.Unlock()
}

// Subscription receives committed changes in order. One goroutine should
// call Next; Close may be called from any goroutine.
type Subscription struct {
	broker *Broker
	max    int
	ready  chan struct{} // one token when the queue changed; never closed

	mu       sync.Mutex
	queue    []Change // guarded by mu; at most max entries
	overflow bool     // guarded by mu; changes were dropped, deliver ChangeResync next
	closed   bool     // guarded by mu
}

func (s *Subscription) push(changes []Change) {
	s.mu.Lock()
	if !s.closed {
		if s.overflow || len(s.queue)+len(changes) > s.max {
			s.queue, s.overflow = nil, true
		} else {
			s.queue = append(s.queue, changes...)
		}
	}
	s.mu.Unlock()
	s.signal()
}

func (s *Subscription) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

func (s *Subscription) shut() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.signal()
}

// Next returns the next change, waiting for one until ctx ends. After an
// overflow it returns one Change of kind ChangeResync (with Seq 0). Once the
// subscription is closed and drained it returns ErrSubscriptionClosed.
func (s *Subscription) Next(ctx context.Context) (Change, error) {
	for {
		s.mu.Lock()
		switch {
		case s.overflow:
			s.overflow = false
			s.mu.Unlock()
			return Change{Kind: ChangeResync}, nil
		case len(s.queue) > 0:
			c := s.queue[0]
			s.queue = s.queue[1:]
			if len(s.queue) == 0 {
				s.queue = nil // let the backing array go
			}
			s.mu.Unlock()
			return c, nil
		case s.closed:
			s.mu.Unlock()
			return Change{}, ErrSubscriptionClosed
		}
		s.mu.Unlock()
		select {
		case <-s.ready:
		case <-ctx.Done():
			return Change{}, ctx.Err()
		}
	}
}

// Close ends the subscription: Next returns ErrSubscriptionClosed once the
// changes already queued are taken.
func (s *Subscription) Close() {
	s.broker.remove(s)
	s.shut()
}
