package localflink_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
)

// TestNotReadyError: a cluster that did not come up is told in words, with
// the cause of the wait and no Go error text, from the real error of a
// JobManager client asking a port nothing listens on.
func TestNotReadyError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, dialErr := flink.NewJobManager("http://"+addr, nil).Overview(context.Background())
	if dialErr == nil {
		t.Fatal("a closed port answered")
	}
	if got := localflink.NetCause(dialErr); got != "connection refused" {
		t.Errorf("NetCause(%v) = %q, want connection refused", dialErr, got)
	}
	tests := []struct {
		waiting error
		want    string
	}{
		{fmt.Errorf("the JobManager does not answer (%s): %w", localflink.NetCause(dialErr), dialErr),
			"Flink did not start: the JobManager does not answer (connection refused). Its logs are in data/flink/log."},
		{errors.New("no TaskManager has registered with the JobManager"),
			"Flink did not start: no TaskManager has registered with the JobManager. Its logs are in data/flink/log."},
	}
	for _, tt := range tests {
		e := &localflink.NotReadyError{Waiting: tt.waiting, LogDir: "data/flink/log"}
		if e.Error() != tt.want {
			t.Errorf("Error() = %q, want %q", e.Error(), tt.want)
		}
		if strings.Contains(e.Error(), "dial tcp") || !errors.Is(e, tt.waiting) {
			t.Errorf("%q: raw Go error shown, or the cause not wrapped", e.Error())
		}
	}
}
