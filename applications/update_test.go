package applications_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/applications"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// TestManager_Update updates a running keyed count: a dry run shows the
// diff and that every stateful operator restores, without changing
// anything; a version keyed otherwise is refused before anything stops,
// naming the operator; a filter on the stateless path updates the job
// from a snapshot with its state; a new version that fails before its
// first checkpoint rolls back to the previous one from the same snapshot.
// Across it all the sink holds every id once and each key's counts 1..n.
func TestManager_Update(t *testing.T) {
	f := newFixture(t, 8, applications.Quotas{})
	ctx := context.Background()
	out := t.TempDir()
	noteID := f.countsNote(t, "update", out)
	paras, err := f.notes.ListParagraphs(ctx, noteID)
	if err != nil {
		t.Fatal(err)
	}
	ins, text := paras[1].ID, paras[1].Text
	setInsert := func(from, to string) {
		t.Helper()
		if !strings.Contains(text, from) {
			t.Fatalf("%q is not in the INSERT:\n%s", from, text)
		}
		text = strings.Replace(text, from, to, 1)
		if _, err := f.notes.UpdateParagraph(ctx, noteID, ins, notebooks.ParagraphUpdate{Text: &text}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := f.m.Create(ctx, applications.CreateRequest{NoteID: noteID, Name: "updated", CheckpointIntervalMs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Start(ctx, a.ID, applications.StartRequest{Restore: applications.RestoreNone}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusRunning)
	waitCommitted(t, out, 60)

	// The same note: nothing to change, everything restores.
	rep, err := f.m.Update(ctx, a.ID, applications.UpdateRequest{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Diff != "" || rep.Check == nil || !rep.Check.Compatible || rep.From != 1 || rep.To != 2 || rep.Application != nil {
		t.Fatalf("a dry run of the same note: %+v", rep)
	}

	// Keyed otherwise: refused per operator, before anything stops.
	setInsert("id % 5 AS k", "id % 7 AS k")
	rep, err = f.m.Update(ctx, a.ID, applications.UpdateRequest{DryRun: true})
	if err != nil || rep.Check == nil || rep.Check.Compatible || !strings.Contains(rep.Diff, "+FROM (SELECT id, id % 7 AS k, pt FROM seq)") {
		t.Fatalf("a dry run keyed otherwise: %+v, %v", rep, err)
	}
	lost := slices.IndexFunc(rep.Check.Operators, func(o applications.OperatorCheck) bool { return !o.Restorable })
	if lost < 0 || !strings.Contains(rep.Check.Operators[lost].Reason, "partition keys") {
		t.Fatalf("the check names no lost operator: %+v", rep.Check.Operators)
	}
	_, err = f.m.Update(ctx, a.ID, applications.UpdateRequest{})
	var e *eddy.Error
	if !errors.As(err, &e) || e.Code != eddy.ECONFLICT {
		t.Fatalf("an update keyed otherwise: %v, want %s", err, eddy.ECONFLICT)
	}
	if sr, ok := e.Details.(applications.StateRefusal); !ok || sr.Check == nil || sr.Diff == "" {
		t.Fatalf("the refusal's details: %+v", e.Details)
	}
	if got, _ := f.m.Get(ctx, a.ID); got.Status != applications.StatusRunning || got.Version != 1 {
		t.Fatalf("after a refused update: %s at version %d", got.Status, got.Version)
	}
	if vs, _ := f.m.Versions(ctx, a.ID); len(vs) != 1 {
		t.Fatalf("a refused update left %d versions", len(vs))
	}

	// A filter on the stateless path: updated with the state.
	setInsert("id % 7 AS k, pt FROM seq)", "id % 5 AS k, pt FROM seq WHERE id > 0)")
	rep, err = f.m.Update(ctx, a.ID, applications.UpdateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Check == nil || !rep.Check.Compatible || rep.Application == nil || rep.Application.Status != applications.StatusUpdating {
		t.Fatalf("the update: %+v", rep)
	}
	waitVersionRunning(t, f.m, a.ID, 2)
	snaps, _ := f.m.Snapshots(ctx, a.ID)
	got, _ := f.m.Get(ctx, a.ID)
	jm := flinktest.Cluster(t).JobManager
	if c, err := flinktest.Checkpoints(ctx, jm, got.JobID); err != nil || c.Restored != 1 || len(snaps) != 1 || snaps[0].Trigger != "update" {
		t.Fatalf("version 2 restored %+v (%v); snapshots %+v", c, err, snaps)
	}
	waitCommitted(t, out, committed(t, out)+60)

	// A version that fails at its first row (a cast that cannot be made,
	// no restarts) rolls back to version 2 from the update's snapshot.
	setInsert("WHERE id > 0)", "WHERE CAST(CAST(id AS STRING) || 'x' AS BIGINT) > 0)")
	restarts := "%flink.ssql\nSET 'restart-strategy.type' = 'none';"
	if _, err := f.notes.AddParagraph(ctx, noteID, notebooks.ParagraphCreate{Text: restarts}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Update(ctx, a.ID, applications.UpdateRequest{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	var evs []*applications.Event
	for {
		evs, _ = f.m.Events(ctx, a.ID)
		got, _ = f.m.Get(ctx, a.ID)
		if got.Status == applications.StatusRunning && got.Version == 2 && slices.ContainsFunc(evs, func(e *applications.Event) bool { return e.Kind == "update-failed" }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rollback: %s at version %d (%s); events %v", got.Status, got.Version, got.Failure, kinds(evs))
		}
		time.Sleep(200 * time.Millisecond)
	}
	i := slices.IndexFunc(evs, func(e *applications.Event) bool { return e.Kind == "update-failed" })
	if !strings.Contains(evs[i].Message, "version 3 failed before its first checkpoint") || !strings.Contains(evs[i].Message, "version 2 starts again from snapshot") {
		t.Fatalf("the rollback says %q", evs[i].Message)
	}
	snaps, _ = f.m.Snapshots(ctx, a.ID)
	if !strings.Contains(evs[i].Message, snaps[0].ID) || snaps[0].Trigger != "update" || snaps[0].Version != 2 {
		t.Fatalf("rolled back from %q; snapshots %+v", evs[i].Message, snaps)
	}
	waitCommitted(t, out, committed(t, out)+60)
	if _, err := f.m.Stop(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusReady)
	checkCounts(t, out)
}

// waitVersionRunning waits until the application runs the version.
func waitVersionRunning(t *testing.T, m *applications.Manager, id string, version int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		a, err := m.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status == applications.StatusRunning && a.Version == version {
			return
		}
		if time.Now().After(deadline) || a.Status == applications.StatusFailed {
			evs, _ := m.Events(context.Background(), id)
			t.Fatalf("application %s at version %d (%s), want RUNNING at %d; events %v", a.Status, a.Version, a.Failure, version, kinds(evs))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
