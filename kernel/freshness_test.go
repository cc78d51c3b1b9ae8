package kernel

import (
	"testing"
	"time"
)

func TestPacer_Wait(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	const interval = 500 * time.Millisecond
	t.Run("FirstPublishAtOnce", func(t *testing.T) {
		p := pacer{interval: interval}
		if got := p.wait(t0); got != 0 {
			t.Fatalf("wait before any publish = %v, want 0", got)
		}
	})
	t.Run("WithinIntervalWaitsForItsEnd", func(t *testing.T) {
		p := pacer{interval: interval}
		p.published(t0)
		if got := p.wait(t0.Add(200 * time.Millisecond)); got != 300*time.Millisecond {
			t.Fatalf("wait 200ms after a publish = %v, want 300ms", got)
		}
	})
	t.Run("AfterQuietSpellAtOnce", func(t *testing.T) {
		p := pacer{interval: interval}
		p.published(t0)
		for _, after := range []time.Duration{interval, 2 * time.Second} {
			if got := p.wait(t0.Add(after)); got != 0 {
				t.Fatalf("wait %v after a publish = %v, want 0", after, got)
			}
		}
	})
	t.Run("LatestPublishCounts", func(t *testing.T) {
		p := pacer{interval: interval}
		p.published(t0)
		p.published(t0.Add(time.Second))
		if got := p.wait(t0.Add(1100 * time.Millisecond)); got != 400*time.Millisecond {
			t.Fatalf("wait = %v, want 400ms", got)
		}
	})
}
