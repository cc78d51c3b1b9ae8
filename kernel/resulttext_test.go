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
	if got := withHint("Object 'nope' not found"); got != "Object 'nope' not found" {
		t.Fatalf("a message without a hint changed: %q", got)
	}
}
