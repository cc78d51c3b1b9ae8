package kernel_test

import (
	"context"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
)

// closedURL is the address of a port nothing listens on, as a process's
// port is before it is up.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestCluster_ClusterStatus(t *testing.T) {
	ctx := context.Background()
	started := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	noRawError := func(t *testing.T, msg string) {
		t.Helper()
		for _, raw := range []string{"dial tcp", "Get \"", "connect:"} {
			if strings.Contains(msg, raw) {
				t.Errorf("error %q shows a raw Go error (%q)", msg, raw)
			}
		}
	}
	t.Run("StartingNothingUp", func(t *testing.T) {
		c := kernel.NewCluster(kernel.ModeLocal, closedURL(t), closedURL(t))
		c.SetStarting(started)
		st := c.ClusterStatus(ctx)
		if st.Ready || st.State != kernel.StateStarting || st.Error != "" || !st.StartedAt.Equal(started) {
			t.Fatalf("status %+v, want starting since %s with no error", st, started)
		}
		if want := "Waiting for the JobManager, the TaskManager and the SQL Gateway"; st.Stage != want {
			t.Errorf("stage %q, want %q", st.Stage, want)
		}
		want := []kernel.ProcessStatus{{Name: "JobManager"}, {Name: "TaskManager"}, {Name: "SQL Gateway"}}
		if !reflect.DeepEqual(st.Processes, want) {
			t.Errorf("processes %+v, want %+v", st.Processes, want)
		}
	})
	t.Run("StartingGatewayNotYetUp", func(t *testing.T) {
		// A real JobManager with its TaskManager, and a gateway not up yet.
		ep := flinktest.Cluster(t)
		c := kernel.NewCluster(kernel.ModeLocal, closedURL(t), ep.JobManager.URL())
		c.SetStarting(started)
		st := c.ClusterStatus(ctx)
		if st.Ready || st.State != kernel.StateStarting || st.Error != "" {
			t.Fatalf("status %+v, want starting with no error", st)
		}
		if want := "JobManager and TaskManager up; waiting for the SQL Gateway"; st.Stage != want {
			t.Errorf("stage %q, want %q", st.Stage, want)
		}
		want := []kernel.ProcessStatus{{Name: "JobManager", Up: true}, {Name: "TaskManager", Up: true}, {Name: "SQL Gateway"}}
		if !reflect.DeepEqual(st.Processes, want) {
			t.Errorf("processes %+v, want %+v", st.Processes, want)
		}
	})
	t.Run("Ready", func(t *testing.T) {
		ep := flinktest.Cluster(t)
		c := kernel.NewCluster(kernel.ModeLocal, ep.Gateway.URL(), ep.JobManager.URL())
		c.SetStarting(started)
		st := c.ClusterStatus(ctx)
		if !st.Ready || st.State != kernel.StateReady || st.Error != "" || st.Stage != "" || !st.StartedAt.IsZero() || st.Processes != nil {
			t.Fatalf("status %+v, want ready and nothing of the start", st)
		}
	})
	t.Run("UnavailableOnceStarted", func(t *testing.T) {
		rest := closedURL(t)
		c := kernel.NewCluster(kernel.ModeLocal, closedURL(t), rest)
		c.SetStarting(started)
		c.SetReady()
		st := c.ClusterStatus(ctx)
		if st.Ready || st.State != kernel.StateUnavailable {
			t.Fatalf("status %+v, want unavailable", st)
		}
		if want := "The JobManager at " + rest + " does not answer (connection refused)."; st.Error != want {
			t.Errorf("error %q, want %q", st.Error, want)
		}
		noRawError(t, st.Error)
	})
	t.Run("Failed", func(t *testing.T) {
		c := kernel.NewCluster(kernel.ModeLocal, closedURL(t), closedURL(t))
		c.SetStarting(started)
		c.SetStartError("Flink did not start: no TaskManager has registered with the JobManager. Its logs are in flink/log.")
		st := c.ClusterStatus(ctx)
		if st.Ready || st.State != kernel.StateFailed || !strings.HasPrefix(st.Error, "Flink did not start") || st.Stage != "" {
			t.Fatalf("status %+v, want failed with the start error", st)
		}
	})
}

// TestOpen_WhileTheClusterStarts runs a paragraph's session start against
// a local cluster still coming up, then one that failed: each is refused
// in words, as unavailable, never with the connection error of a process
// not yet listening.
func TestOpen_WhileTheClusterStarts(t *testing.T) {
	ctx := context.Background()
	c := kernel.NewCluster(kernel.ModeLocal, closedURL(t), closedURL(t))
	c.SetStarting(time.Now().Add(-35 * time.Second))
	_, err := kernel.Open(ctx, kernel.Config{NoteID: "N1", Cluster: c})
	if eddy.ErrorCode(err) != eddy.EUNAVAILABLE || !strings.Contains(eddy.ErrorMessage(err), "Flink is still starting (for 35s)") || strings.Contains(err.Error(), "dial tcp") {
		t.Fatalf("while starting: %v", err)
	}
	c.SetStartError("the JobManager exited (code 1); its log is in /tmp/x")
	_, err = kernel.Open(ctx, kernel.Config{NoteID: "N1", Cluster: c})
	if eddy.ErrorCode(err) != eddy.EUNAVAILABLE || eddy.ErrorMessage(err) != "Flink did not start: the JobManager exited (code 1); its log is in /tmp/x" {
		t.Fatalf("after a failed start: %v", err)
	}
}
