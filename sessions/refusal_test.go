package sessions_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/sessions"
)

// TestManagerUnit_ParallelismNeverFits: a job whose parallelism needs more
// KPUs than the cluster could ever give it (its capacity less the note's
// own session) is refused as such, with nothing to stop, and without
// ending anyone's idle session for it.
func TestManagerUnit_ParallelismNeverFits(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrNeverFits", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 6})
		other := u.note("Other", "finish")
		if _, err := u.m.Run(ctx, other.ID, other.Paragraphs[0].ID); err != nil {
			t.Fatal(err)
		}
		n := u.note("A", "job 8")
		_, err := u.m.Run(ctx, n.ID, n.Paragraphs[0].ID)
		if eddy.ErrorCode(err) != eddy.ECAPACITY {
			t.Fatalf("err %v, want a capacity refusal", err)
		}
		want := &sessions.Refusal{What: "start a job of parallelism 8", Needed: 8, Free: 2, Capacity: 6, Holders: []sessions.Holder{},
			Never: true, Parallelism: 8, MaxParallelism: 4}
		if got, _ := eddy.ErrorDetails(err).(*sessions.Refusal); !reflect.DeepEqual(got, want) {
			t.Fatalf("details %+v, want %+v", got, want)
		}
		msg := eddy.ErrorMessage(err)
		if want := "parallelism 8 needs 8 KPUs, the cluster offers 6 in all (2 of them kept by this note's session); lower the parallelism to 4 or less"; msg != want {
			t.Errorf("message %q, want %q", msg, want)
		}
		if strings.Contains(strings.ToLower(msg), "stop") {
			t.Errorf("message %q suggests stopping something", msg)
		}
		if c := u.m.Capacity(); c.InUse != 4 {
			t.Fatalf("%d KPUs in use, want the two sessions' 4", c.InUse)
		}
	})
	t.Run("ParallelismPerKPU", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 4, ParallelismPerKPU: 2})
		n := u.note("A", "job 5")
		_, err := u.m.Run(ctx, n.ID, n.Paragraphs[0].ID)
		r, _ := eddy.ErrorDetails(err).(*sessions.Refusal)
		if r == nil || !r.Never || r.Needed != 3 || r.MaxParallelism != 4 {
			t.Fatalf("refusal %+v (%v)", r, err)
		}
	})
	t.Run("FitsOnceFreeIsNotNever", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 6})
		busy := u.note("Busy", "job 3")
		if _, err := u.m.Run(ctx, busy.ID, busy.Paragraphs[0].ID); err != nil {
			t.Fatal(err)
		}
		n := u.note("A", "job 4")
		_, err := u.m.Run(ctx, n.ID, n.Paragraphs[0].ID)
		r, _ := eddy.ErrorDetails(err).(*sessions.Refusal)
		if r == nil || r.Never || len(r.Holders) == 0 {
			t.Fatalf("refusal %+v (%v), want one naming the holders", r, err)
		}
		if !strings.Contains(eddy.ErrorMessage(err), "Stop a session") {
			t.Errorf("message %q does not say to stop a session", eddy.ErrorMessage(err))
		}
	})
}
