package sessions_test

import (
	"context"
	"testing"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/sessions"
)

// Changelog gives a paragraph that has run one +I row naming it.
func (k *fakeKernel) Changelog(pid string) (kernel.ChangelogView, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.runs[pid] == nil {
		return kernel.ChangelogView{}, false
	}
	return kernel.ChangelogView{FirstSeq: 1, LastSeq: 1, BaseComplete: true,
		Entries: []kernel.ChangelogEntry{{Seq: 1, Kind: "+I", Fields: []any{pid}}}}, true
}

func TestManagerUnit_Changelog(t *testing.T) {
	ctx := context.Background()
	u := newUnit(t, sessions.Config{KPUCapacity: 8})
	n := u.note("A", "finish", "finish")
	if _, ok := u.m.Changelog(n.ID, n.Paragraphs[0].ID); ok {
		t.Fatal("a changelog without a session")
	}
	if _, err := u.m.Run(ctx, n.ID, n.Paragraphs[0].ID); err != nil {
		t.Fatal(err)
	}
	v, ok := u.m.Changelog(n.ID, n.Paragraphs[0].ID)
	if !ok || len(v.Entries) != 1 || v.Entries[0].Fields[0] != n.Paragraphs[0].ID {
		t.Fatalf("changelog %+v, %v", v, ok)
	}
	if _, ok := u.m.Changelog(n.ID, n.Paragraphs[1].ID); ok {
		t.Fatal("a changelog for a paragraph that did not run")
	}
}
