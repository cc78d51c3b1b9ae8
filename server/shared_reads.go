package server

import (
	"context"
	"sync"
	"time"
)

// sharedReads shares the store reads of callers that arrive together: a
// thousand viewers opening one note cost a few reads, not a thousand queued
// on the database. A caller only joins a read that began after since (the
// moment from which it must see every committed change: when it started
// following the note, or when its request arrived), so sharing never shows
// it anything older than reading alone would.
//
// With a version function (a note's change sequence, see
// notebooks.ChangeSequencer), a finished read is also kept and reused
// while the key's version is what it was when that read began: nothing has
// been published for the key since, so it differs from a fresh read only by
// changes not yet published, which a caller that follows the key's changes
// receives next. Safe for concurrent use.
type sharedReads[T any] struct {
	ctx     context.Context // a read outlives the caller that began it, not this
	read    func(ctx context.Context, key string) (T, error)
	version func(key string) uint64 // nil: finished reads are not kept

	mu       sync.Mutex
	inflight map[string]*sharedRead[T] // by key, the newest read
	kept     map[string]*sharedRead[T] // by key, the newest successful read (with version)
}

// keptReads bounds the finished reads kept; past it they start afresh.
const keptReads = 256

// sharedRead is one read; done is closed when v and err are set.
type sharedRead[T any] struct {
	began   time.Time
	version uint64 // the key's version when the read began
	done    chan struct{}
	v       T
	err     error
}

func newSharedReads[T any](ctx context.Context, read func(ctx context.Context, key string) (T, error)) *sharedReads[T] {
	return &sharedReads[T]{ctx: ctx, read: read}
}

// get returns key's value as read by a read that began after since,
// joining one in flight or starting one. The value is shared: callers must
// not modify it.
func (sr *sharedReads[T]) get(ctx context.Context, key string, since time.Time) (T, error) {
	sr.mu.Lock()
	var version uint64
	if sr.version != nil {
		version = sr.version(key)
		if k := sr.kept[key]; k != nil && k.version == version {
			sr.mu.Unlock()
			return k.v, nil
		}
	}
	r := sr.inflight[key]
	if r == nil || !r.began.After(since) {
		r = &sharedRead[T]{began: time.Now(), version: version, done: make(chan struct{})}
		if sr.inflight == nil {
			sr.inflight = map[string]*sharedRead[T]{}
		}
		sr.inflight[key] = r
		go func() {
			rctx, cancel := context.WithTimeout(sr.ctx, requestTimeout)
			defer cancel()
			r.v, r.err = sr.read(rctx, key)
			close(r.done)
			sr.mu.Lock()
			if sr.inflight[key] == r {
				delete(sr.inflight, key)
			}
			if sr.version != nil && r.err == nil {
				if k := sr.kept[key]; k == nil || !k.began.After(r.began) {
					if sr.kept == nil || len(sr.kept) >= keptReads {
						sr.kept = map[string]*sharedRead[T]{}
					}
					sr.kept[key] = r
				}
			}
			sr.mu.Unlock()
		}()
	}
	sr.mu.Unlock()
	select {
	case <-r.done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
