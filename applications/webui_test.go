package applications_test

import (
	"context"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/applications"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
)

// TestManager_JobManagerURL: the JobManager of an application's run is
// known while it runs (Eddy's Flink web UI proxy asks for it at every
// request), and its link is the notebook cluster's web UI.
func TestManager_JobManagerURL(t *testing.T) {
	f := newFixture(t, 8, applications.Quotas{})
	ctx := context.Background()
	if _, err := f.m.JobManagerURL("nope"); code(err) != eddy.ENOTFOUND {
		t.Fatalf("an unknown application: %v", err)
	}
	a, err := f.m.Create(ctx, applications.CreateRequest{NoteID: f.note(t, "jobmanager-url", true), Name: "jm-url"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.JobManagerURL(a.ID); code(err) != eddy.EUNAVAILABLE {
		t.Fatalf("an application that never ran: %v", err)
	}
	if _, err := f.m.Start(ctx, a.ID, applications.StartRequest{Restore: applications.RestoreNone}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusRunning)
	jm := flinktest.Cluster(t).JobManager
	if got, err := f.m.JobManagerURL(a.ID); err != nil || got != jm.URL() {
		t.Fatalf("a running application's JobManager: %q %v, want %q", got, err, jm.URL())
	}
	if got, _ := f.m.Get(ctx, a.ID); !strings.HasPrefix(got.FlinkURL, jm.WebUIURL()+"/#/job/running/"+got.JobID) {
		t.Fatalf("flinkUrl %q", got.FlinkURL)
	}
	if _, err := f.m.Stop(ctx, a.ID, false); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusReady)
	if _, err := f.m.JobManagerURL(a.ID); code(err) != eddy.EUNAVAILABLE {
		t.Fatalf("a stopped application: %v", err)
	}
}
