package kernel

import (
	"context"
	"testing"

	"github.com/eddy-notebooks/eddy/notebooks"
)

// TestRun_StatusHash: a run's live state carries the fingerprint of its
// status, equal to StatusHash of that state, kept while nothing changes and
// different once the status, notice or messages change.
func TestRun_StatusHash(t *testing.T) {
	k := &Kernel{ctx: context.Background(), cfg: Config{OnChange: func() {}}}
	r := newRun(k, "p1")
	check := func(what string) uint64 {
		t.Helper()
		pl := r.since(-1)
		if pl.StatusHash == 0 || pl.StatusHash != StatusHash(pl) {
			t.Fatalf("%s: StatusHash %x, recomputed %x", what, pl.StatusHash, StatusHash(pl))
		}
		if again := r.since(-1).StatusHash; again != pl.StatusHash {
			t.Fatalf("%s: hash moved without a change: %x then %x", what, pl.StatusHash, again)
		}
		return pl.StatusHash
	}
	seen := map[uint64]string{}
	for _, step := range []struct {
		what   string
		change func()
	}{
		{"pending", func() {}},
		{"running", func() { r.status = notebooks.StatusRunning }},
		{"notice", func() { r.notice = &Notice{Level: NoticeInfo, Text: "waiting for slots"} }},
		{"message", func() { r.messages = append(r.messages, notebooks.ResultMessage{Type: "TEXT", Data: "ok"}) }},
		{"producing", func() { r.producing = true }},
	} {
		r.update(step.change)
		h := check(step.what)
		if prev, ok := seen[h]; ok {
			t.Fatalf("%s has the hash of %s", step.what, prev)
		}
		seen[h] = step.what
	}
}
