package kernel

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy/kernel/flink"
)

func TestWithHint(t *testing.T) {
	got := withHint("This server does not host this topic-partition.")
	if !strings.HasPrefix(got, "This server") || !strings.Contains(got, "'topic-pattern'") {
		t.Fatalf("hint for a missing topic: %q", got)
	}
	got = withHint("Could not find any factory for identifier 'kinesis' that implements 'org.apache.flink.table.factories.DynamicTableFactory' in the classpath.")
	if !strings.Contains(got, "There is no connector 'kinesis' on this cluster") || !strings.Contains(got, "--connectors-dir") {
		t.Fatalf("hint for a missing connector: %q", got)
	}
	got = withHint("Could not find any format factory for identifier 'protobuf' in the classpath.")
	if !strings.Contains(got, "There is no format 'protobuf'") {
		t.Fatalf("hint for a missing format: %q", got)
	}
	if got := withHint("Object 'nope' not found"); got != "Object 'nope' not found" {
		t.Fatalf("a message without a hint changed: %q", got)
	}
}

// TestErrorText_Faults: a service that stops answering, or a gateway that
// lost the query, is said in words, with the raw error behind them.
func TestErrorText_Faults(t *testing.T) {
	gone := &flink.UnreachableError{Service: flink.ServiceGateway, URL: "http://127.0.0.1:8083", Op: "fetch results",
		Err: errors.New(`Get "http://127.0.0.1:8083/v1/sessions/x": dial tcp 127.0.0.1:8083: connect: connection refused`)}
	msg, trace := errorText(fmt.Errorf("wrapped: %w", gone))
	if !strings.HasPrefix(msg, "The Flink SQL Gateway (http://127.0.0.1:8083) stopped answering") || strings.Contains(msg, "dial tcp") || !strings.Contains(trace, "connection refused") {
		t.Fatalf("msg %q trace %q", msg, trace)
	}
	got := withHint("Can not find the submitted operation in the OperationManager with the 1b2c.")
	if !strings.Contains(got, "The SQL Gateway no longer knows this query") {
		t.Fatalf("hint for a lost operation: %q", got)
	}
}
