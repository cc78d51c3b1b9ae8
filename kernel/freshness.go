package kernel

import "time"

// pacer decides when a live result is next published: at once when rows
// come after a quiet spell, otherwise interval after the previous publish.
// It is owned by one goroutine (the publisher).
type pacer struct {
	interval time.Duration
	last     time.Time // when the last publish happened; zero: never
}

// wait returns how long, at now, rows just applied wait for their publish.
func (p *pacer) wait(now time.Time) time.Duration {
	if p.last.IsZero() {
		return 0
	}
	return max(0, p.last.Add(p.interval).Sub(now))
}

// published records a publish at now.
func (p *pacer) published(now time.Time) { p.last = now }
