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
// it anything older than reading alone would. Safe for concurrent use.
type sharedReads[T any] struct {
	ctx  context.Context // a read outlives the caller that began it, not this
	read func(ctx context.Context, key string) (T, error)

	mu       sync.Mutex
	inflight map[string]*sharedRead[T] // by key, the newest read
}

// sharedRead is one read; done is closed when v and err are set.
type sharedRead[T any] struct {
	began time.Time
	done  chan struct{}
	v     T
	err   error
}

func newSharedReads[T any](ctx context.Context, read func(ctx context.Context, key string) (T, error)) *sharedReads[T] {
	return &sharedReads[T]{ctx: ctx, read: read}
}

// get returns key's value as read by a read that began after since,
// joining one in flight or starting one. The value is shared: callers must
// not modify it.
func (sr *sharedReads[T]) get(ctx context.Context, key string, since time.Time) (T, error) {
	sr.mu.Lock()
	r := sr.inflight[key]
	if r == nil || !r.began.After(since) {
		r = &sharedRead[T]{began: time.Now(), done: make(chan struct{})}
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
