package sessions

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
)

func TestJobKPUs(t *testing.T) {
	tests := []struct{ parallelism, perKPU, want int }{
		{1, 1, 1}, {2, 1, 2}, {4, 1, 4}, {0, 1, 1},
		{1, 2, 1}, {2, 2, 1}, {3, 2, 2}, {4, 2, 2}, {5, 4, 2}, {64, 4, 16},
		{3, 0, 3},
	}
	for _, tt := range tests {
		if got := JobKPUs(tt.parallelism, tt.perKPU); got != tt.want {
			t.Errorf("JobKPUs(%d, %d) = %d, want %d", tt.parallelism, tt.perKPU, got, tt.want)
		}
	}
}

func TestLedger_Reserve(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		l := NewLedger(5)
		if err := l.Reserve("s1", "N1", "alpha", 2, "start"); err != nil {
			t.Fatal(err)
		}
		if err := l.Reserve("s1", "N1", "alpha", 3, "job"); err != nil {
			t.Fatal(err)
		}
		if l.InUse() != 5 || l.Held("s1") != 5 {
			t.Fatalf("in use %d, held %d", l.InUse(), l.Held("s1"))
		}
		l.Release("s1", 5)
		if l.InUse() != 0 || l.Held("s1") != 0 {
			t.Fatalf("after release: in use %d", l.InUse())
		}
	})
	t.Run("ErrRefusedNamesHolders", func(t *testing.T) {
		l := NewLedger(3)
		_ = l.Reserve("s1", "N1", "alpha", 3, "start")
		err := l.Reserve("s2", "N2", "beta", 2, "start a notebook session")
		if eddy.ErrorCode(err) != eddy.ECAPACITY {
			t.Fatalf("err = %v, want capacity_exceeded", err)
		}
		want := &Refusal{What: "start a notebook session", Needed: 2, Free: 0, Capacity: 3,
			Holders: []Holder{{NoteID: "N1", NoteName: "alpha", SessionID: "s1", KPUs: 3}}}
		if got, _ := eddy.ErrorDetails(err).(*Refusal); !reflect.DeepEqual(got, want) {
			t.Errorf("details = %+v, want %+v", got, want)
		}
		msg := eddy.ErrorMessage(err)
		for _, want := range []string{"needs 2 KPUs", "0 of 3 are free", `note "alpha" (N1) holds 3`} {
			if !strings.Contains(msg, want) {
				t.Errorf("message %q lacks %q", msg, want)
			}
		}
		if l.Held("s2") != 0 || l.InUse() != 3 {
			t.Fatal("a refused reservation changed the ledger")
		}
	})
}

// TestLedger_RaceForLastKPUs: many requests for the last KPUs at once,
// exactly one wins.
func TestLedger_RaceForLastKPUs(t *testing.T) {
	for round := 0; round < 50; round++ {
		l := NewLedger(4)
		_ = l.Reserve("base", "N0", "base", 2, "start")
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if l.Reserve("s"+strconv.Itoa(i), "N"+strconv.Itoa(i), "", 2, "start") == nil {
					wins.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 || l.InUse() != 4 {
			t.Fatalf("round %d: %d winners, %d in use; want 1 and 4", round, wins.Load(), l.InUse())
		}
	}
}

func TestMeter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		steps func(m *meter)
		at    time.Duration
		want  float64
	}{
		{"SessionOnly", func(m *meter) {}, time.Hour, 2 * 3600},
		{"JobForHalfAnHour", func(m *meter) {
			m.change(t0.Add(15*time.Minute), 1)
			m.change(t0.Add(45*time.Minute), -1)
		}, time.Hour, 2*3600 + 1800},
		{"TwoJobsOverlapping", func(m *meter) {
			m.change(t0.Add(10*time.Second), 2)
			m.change(t0.Add(20*time.Second), 3)
			m.change(t0.Add(30*time.Second), -2)
		}, 40 * time.Second, 2*40 + 2*10 + 5*10 + 3*10},
		{"Stopped", func(m *meter) { m.change(t0.Add(time.Minute), -2) }, time.Hour, 2 * 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m meter
			m.start(t0, SessionKPUs)
			tt.steps(&m)
			if got := m.kpuSeconds(t0.Add(tt.at)); got != tt.want {
				t.Fatalf("kpuSeconds = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCost(t *testing.T) {
	tests := []struct{ hours, price, want float64 }{
		{1, 0.11, 0.11}, {2.5, 0.11, 0.275}, {0, 0.11, 0}, {10, 0.2, 2},
	}
	for _, tt := range tests {
		if got := Cost(tt.hours, tt.price); got != tt.want {
			t.Errorf("Cost(%v, %v) = %v, want %v", tt.hours, tt.price, got, tt.want)
		}
	}
}
