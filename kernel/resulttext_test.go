package kernel

import (
	"strings"
	"testing"
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
