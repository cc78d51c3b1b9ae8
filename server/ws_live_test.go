package server

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// groupByDeltas returns deltas of the table bench/wsload watches: SELECT k,
// COUNT(*), SUM(v) GROUP BY k over 1000 keys with a random INT v, each delta
// after perDelta events, as the gateway's text row format prints values.
func groupByDeltas(tb testing.TB, deltas, perDelta int) []kernel.Delta {
	tb.Helper()
	m, err := kernel.NewMaterializer(kernel.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	m.SetColumns([]kernel.Column{{Name: "k", Type: "INT"}, {Name: "n", Type: "BIGINT"}, {Name: "s", Type: "INT"}})
	rng := rand.New(rand.NewPCG(1, 2))
	const keys = 1000
	n := make([]int64, keys)
	s := make([]int32, keys)
	row := func(k int) []any {
		return []any{fmt.Sprint(k + 1), fmt.Sprint(n[k]), fmt.Sprint(s[k])}
	}
	var out []kernel.Delta
	for i := range deltas + 1 {
		var changes []kernel.Change
		events := perDelta
		if i == 0 {
			events = 20 * keys // every key has a row before the first delta measured
		}
		for range events {
			k := rng.IntN(keys)
			if n[k] > 0 {
				changes = append(changes, kernel.Change{Kind: kernel.RowUpdateBefore, Fields: row(k)})
			}
			n[k]++
			s[k] += int32(rng.Uint32())
			kind := kernel.RowUpdateAfter
			if n[k] == 1 {
				kind = kernel.RowInsert
			}
			changes = append(changes, kernel.Change{Kind: kind, Fields: row(k)})
		}
		if err := m.Apply(changes); err != nil {
			tb.Fatal(err)
		}
		if d := m.Delta(); i > 0 {
			out = append(out, d)
		}
	}
	return out
}

// wholeRows is d as the old format sent it: every touched row whole.
func wholeRows(d kernel.Delta, rows map[int64][]any) kernel.Delta {
	old := d
	old.Changed = nil
	for _, c := range d.Changed {
		old.Upserts = append(old.Upserts, kernel.DeltaRow{ID: c.ID, Index: int(c.ID - 1), Fields: rows[c.ID]})
	}
	return old
}

// BenchmarkLiveFrameCompression measures the bytes of one live delta of
// bench/wsload's table per compression level (wire-B/op), against the old
// whole-row uncompressed form (old-B/op), and the time to compress it once.
// It is how liveCompressionLevel was chosen:
//
//	go test ./server -run '^$' -bench LiveFrameCompression -benchtime 20x
func BenchmarkLiveFrameCompression(b *testing.B) {
	for _, perDelta := range []int{1000, 250} {
		deltas := groupByDeltas(b, 8, perDelta)
		rows := map[int64][]any{}
		for id := int64(1); id <= 1000; id++ {
			rows[id] = []any{"1", "12", "-1234567890"}
		}
		var newB, oldB [][]byte
		for _, d := range deltas {
			nb, _ := json.Marshal(d)
			ob, _ := json.Marshal(wholeRows(d, rows))
			newB, oldB = append(newB, nb), append(oldB, ob)
		}
		for _, level := range []int{flate.HuffmanOnly, 1, 3, 6, 9} {
			b.Run(fmt.Sprintf("events=%d/level=%d", perDelta, level), func(b *testing.B) {
				var wire, raw, old int
				var buf bytes.Buffer
				w, _ := flate.NewWriter(&buf, level)
				b.ResetTimer()
				for i := range b.N {
					j := i % len(newB)
					buf.Reset()
					w.Reset(&buf)
					_, _ = w.Write(newB[j])
					_ = w.Flush()
					wire += buf.Len() - 4 // permessage-deflate drops the flush's 4-byte tail
					raw += len(newB[j])
					old += len(oldB[j])
				}
				b.ReportMetric(float64(wire)/float64(b.N), "wire-B/op")
				b.ReportMetric(float64(raw)/float64(b.N), "json-B/op")
				b.ReportMetric(float64(old)/float64(b.N), "old-B/op")
				b.ReportMetric(float64(old)/float64(wire), "old/wire")
			})
		}
	}
}

// countingNotes counts FindNoteByID calls and holds each until release is
// closed.
type countingNotes struct {
	notebooks.Service
	calls   atomic.Int32
	release chan struct{}
}

func (s *countingNotes) FindNoteByID(ctx context.Context, id string) (*notebooks.Note, error) {
	s.calls.Add(1)
	<-s.release
	return s.Service.FindNoteByID(ctx, id)
}

func TestNoteReads(t *testing.T) {
	ts := MustOpenServer(t)
	noteID := ts.mustCreateNote(t, "/ws/reads", "%flink.ssql select 1")
	store := &countingNotes{Service: ts.store, release: make(chan struct{})}
	nr := newSharedReads(context.Background(), store.FindNoteByID)

	// Subscribers that followed before a read began share it.
	since := time.Now()
	time.Sleep(time.Millisecond) // the read begins strictly after since
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := nr.get(context.Background(), noteID, since)
			if err == nil && n.ID != noteID {
				err = fmt.Errorf("note %s", n.ID)
			}
			errs <- err
		}()
	}
	waitFor(t, func() bool { return store.calls.Load() >= 1 })
	// One that followed after the read began does not join it.
	late := make(chan error, 1)
	go func() {
		_, err := nr.get(context.Background(), noteID, time.Now())
		late <- err
	}()
	waitFor(t, func() bool { return store.calls.Load() == 2 })
	close(store.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := <-late; err != nil {
		t.Fatal(err)
	}
	if n := store.calls.Load(); n != 2 {
		t.Errorf("%d reads for 21 subscribers, want 2", n)
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := nr.get(context.Background(), "nope", time.Now()); eddy.ErrorCode(err) != eddy.ENOTFOUND {
			t.Fatalf("err = %v", err)
		}
	})

	// With the store's change sequence, a finished read serves later
	// subscribers until the note changes, and a change is read afresh.
	t.Run("KeptUntilTheNoteChanges", func(t *testing.T) {
		ctx := context.Background()
		store := &countingNotes{Service: ts.store, release: make(chan struct{})}
		close(store.release)
		kept := newSharedReads(ctx, store.FindNoteByID)
		kept.version = ts.store.NoteChangeSeq
		for range 3 {
			if _, err := kept.get(ctx, noteID, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if n := store.calls.Load(); n != 1 {
			t.Fatalf("%d reads for 3 subscribers of an unchanged note, want 1", n)
		}
		n, err := ts.store.FindNoteByID(ctx, noteID)
		if err != nil {
			t.Fatal(err)
		}
		text := "%md changed"
		if _, err := ts.store.UpdateParagraph(ctx, noteID, n.Paragraphs[0].ID, notebooks.ParagraphUpdate{Text: &text}); err != nil {
			t.Fatal(err)
		}
		got, err := kept.get(ctx, noteID, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if got.Paragraphs[0].Text != text || store.calls.Load() != 2 {
			t.Fatalf("after an edit: text %q after %d reads, want %q after 2", got.Paragraphs[0].Text, store.calls.Load(), text)
		}
		// A failed read is not kept.
		for range 2 {
			if _, err := kept.get(ctx, "nope", time.Now()); eddy.ErrorCode(err) != eddy.ENOTFOUND {
				t.Fatalf("err = %v", err)
			}
		}
		if n := store.calls.Load(); n != 4 {
			t.Fatalf("%d reads after two of a missing note, want 4", n)
		}
	})
}

// TestLiveCache_SessionFollowsSignals checks that a note's session state is
// read once for all viewers between signals, and read again after each
// signalled change (a session that stopped must not be shown running).
func TestLiveCache_SessionFollowsSignals(t *testing.T) {
	var lc liveCache
	state := "RUNNING"
	reads := 0
	get := func() any { reads++; return map[string]string{"state": state} }
	for range 5 {
		if b := lc.session("n1", get); !bytes.Contains(b, []byte("RUNNING")) {
			t.Fatalf("session %s", b)
		}
	}
	if reads != 1 {
		t.Fatalf("%d reads for five viewers between signals, want 1", reads)
	}
	state = "STOPPED"
	lc.signalled("n1")
	for range 5 {
		if b := lc.session("n1", get); !bytes.Contains(b, []byte("STOPPED")) {
			t.Fatalf("after the signal the session is still %s", b)
		}
	}
	if reads != 2 {
		t.Fatalf("%d reads, want one more after the signal", reads)
	}
	lc.signalled("n2") // another note's signal changes nothing here
	lc.session("n1", get)
	if reads != 2 {
		t.Fatalf("%d reads after another note's signal, want 2", reads)
	}
}
