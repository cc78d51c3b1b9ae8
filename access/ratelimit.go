package access

import (
	"sync"
	"time"
)

// LoginLimiter slows password guessing: after Max failed logins within
// Window for one key (a client address, or a user name), that key is
// refused until the oldest failure leaves the window. Successes do not
// count; a success clears its keys.
type LoginLimiter struct {
	Max    int
	Window time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time
	now      func() time.Time
}

// NewLoginLimiter returns a limiter of max failures per window per key.
func NewLoginLimiter(max int, window time.Duration) *LoginLimiter {
	return &LoginLimiter{Max: max, Window: window, failures: map[string][]time.Time{}, now: time.Now}
}

// Wait returns how long the keys must wait before another try, 0 if none.
func (l *LoginLimiter) Wait(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, k := range keys {
		f := l.prune(k, now)
		if len(f) >= l.Max {
			wait = max(wait, f[0].Add(l.Window).Sub(now))
		}
	}
	return wait
}

// Failed records a failed try for each key.
func (l *LoginLimiter) Failed(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range keys {
		l.failures[k] = append(l.prune(k, now), now)
	}
	// A client address is refused after Max failures in a window, so it
	// adds at most Max name keys per window; the sweep below bounds what
	// many addresses can add.
	if len(l.failures) > 100_000 {
		for k := range l.failures {
			if len(l.prune(k, now)) == 0 {
				delete(l.failures, k)
			}
		}
	}
}

// Succeeded forgets the keys' failures.
func (l *LoginLimiter) Succeeded(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.failures, k)
	}
}

// prune drops failures older than the window. The caller holds l.mu.
func (l *LoginLimiter) prune(k string, now time.Time) []time.Time {
	f := l.failures[k]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= l.Window {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.failures, k)
		return nil
	}
	l.failures[k] = f
	return f
}
