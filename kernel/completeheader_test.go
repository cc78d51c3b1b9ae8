package kernel

import (
	"reflect"
	"slices"
	"testing"
)

func TestCompleteHeader(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		pos  int
		ok   bool
	}{
		{"Percent", "%", 1, true},
		{"PartOfAName", "%flink.ss\nSELECT 1", 9, true},
		{"AfterLeadingBlankLines", "\n  %md", 5, true},
		{"MidName", "%flink.ssql", 3, true},
		{"InLocalProperties", "%flink.ssql(type=", 17, false},
		{"InTheBody", "%flink.ssql\nSEL", 15, false},
		{"NoHeader", "SELECT 1", 3, false},
		{"BeforePercent", "  %md", 1, false},
		{"PositionOutside", "%md", 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := CompleteHeader(tc.text, tc.pos)
			if ok != tc.ok || ok && !reflect.DeepEqual(got, SupportedHeaders()) {
				t.Fatalf("CompleteHeader(%q, %d) = %v, %v", tc.text, tc.pos, got, ok)
			}
		})
	}
}

// TestSupportedHeaders: every header offered runs in Eddy, %flink.conf is
// among them, and no interpreter Eddy refuses is.
func TestSupportedHeaders(t *testing.T) {
	got := SupportedHeaders()
	for _, want := range []string{"%flink.ssql", "%flink.bsql", "%flink.conf", "%md", "%flink.ssql(type=append)"} {
		if !slices.Contains(got, want) {
			t.Errorf("%s is not offered: %v", want, got)
		}
	}
	for _, h := range got {
		head, err := ParseParagraph(h + "\nx")
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		if _, err := ResolveInterpreter(head.Interpreter, GroupFlink); err != nil {
			t.Errorf("%s is offered but does not run: %v", h, err)
		}
		if _, err := head.LocalProperties(); err != nil {
			t.Errorf("%s is offered with invalid local properties: %v", h, err)
		}
	}
	for _, refused := range []string{"%flink"} {
		if slices.Contains(got, refused) {
			t.Errorf("%s is offered, but Eddy does not run it", refused)
		}
	}
}
