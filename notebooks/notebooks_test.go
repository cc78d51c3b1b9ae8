package notebooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/notebooks"
)

func TestNormalizePath(t *testing.T) {
	tests := []struct {
		in, want string
		code     string
	}{
		{in: "", want: notebooks.UntitledPath},
		{in: "   ", want: notebooks.UntitledPath},
		{in: "My note", want: "/My note"},
		{in: "/My note", want: "/My note"},
		{in: "a/b/c", want: "/a/b/c"},
		{in: "//a///b", want: "/a/b"},
		{in: "line\nbreak", want: "/line break"},
		{in: "a/", code: eddy.EINVALID},
		{in: "/", code: eddy.EINVALID},
		{in: "a/../b", code: eddy.EINVALID},
		{in: "tab\there", code: eddy.EINVALID},
		{in: strings.Repeat("x", notebooks.MaxNameLen+1), code: eddy.EINVALID},
		{in: "\xff", code: eddy.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := notebooks.NormalizePath(tt.in)
			if code := eddy.ErrorCode(err); code != tt.code || got != tt.want {
				t.Errorf("NormalizePath(%q) = %q, %v; want %q, code %q", tt.in, got, err, tt.want, tt.code)
			}
		})
	}
}

func TestTrash(t *testing.T) {
	p := notebooks.TrashPath("/a/b")
	if p != "/~Trash/a/b" || !notebooks.InTrash(p) || notebooks.InTrash("/a/b") || notebooks.InTrash("/~Trashy") {
		t.Errorf("TrashPath/InTrash disagree: %q", p)
	}
	if notebooks.NameOf("/a/b") != "b" || notebooks.NameOf("/b") != "b" {
		t.Error("NameOf")
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2021-07-26 05:46:51.500", "2021-07-26 05:46:51.500"},
		{"2021-07-26 05:46:51", "2021-07-26 05:46:51.000"},
		{"Sep 27, 2016 4:31:15 AM", "2016-09-27 04:31:15.000"},
		{"Sep 27, 2016 4:31:15\u202fPM", "2016-09-27 16:31:15.000"},
		{"Sep 27, 2016 16:31:15", "2016-09-27 16:31:15.000"},
		{"2016-09-27T16:31:15+0200", "2016-09-27 14:31:15.000"},
		{"2016-09-27T16:31:15Z", "2016-09-27 16:31:15.000"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := notebooks.ParseDate(tt.in)
			if err != nil || d.String() != tt.want {
				t.Errorf("ParseDate(%q) = %q, %v; want %q", tt.in, d.String(), err, tt.want)
			}
		})
	}
	if _, err := notebooks.ParseDate("yesterday"); err == nil {
		t.Error("ParseDate accepted nonsense")
	}
}

func TestIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := notebooks.NewNoteID()
		if !notebooks.ValidNoteID(id) || seen[id] {
			t.Fatalf("bad or repeated note id %q", id)
		}
		seen[id] = true
	}
	for _, id := range []string{"2F2YS7PCE", "2EYDJKFFY"} {
		if !notebooks.ValidNoteID(id) {
			t.Errorf("Zeppelin id %q rejected", id)
		}
	}
	for _, id := range []string{"", "2F2YS7PC", "2F2YS7PCEE", "2F2YS7PCI", "2f2ys7pce", "2F2YS7PC0"} {
		if notebooks.ValidNoteID(id) {
			t.Errorf("ValidNoteID(%q) = true", id)
		}
	}
	pid := notebooks.NewParagraphID(time.UnixMilli(1579053946947))
	if !strings.HasPrefix(pid, "paragraph_1579053946947_") || !notebooks.ValidParagraphID(pid) {
		t.Errorf("paragraph id %q", pid)
	}
}

func TestParagraph_ApplyRun(t *testing.T) {
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	p := notebooks.NewParagraph(now, "")
	p.Config["colWidth"] = json.Number("12.0")
	status, progress, msg := notebooks.StatusError, 70, "boom"
	started := notebooks.NewDate(now.Add(time.Second))
	p.ApplyRun(notebooks.RunUpdate{
		Status:       &status,
		Results:      &notebooks.Result{Code: notebooks.ResultError, Msg: []notebooks.ResultMessage{{Type: notebooks.MessageText, Data: "boom"}}},
		DateStarted:  &started,
		ErrorMessage: &msg,
		Progress:     &progress,
		RuntimeInfos: map[string]any{"jobUrl": map[string]any{"label": "FLINK JOB"}},
		Config:       map[string]any{"editorHide": true},
	})
	if p.Status != status || p.Progress != 70 || p.ErrorMessage != "boom" || p.Results.Msg[0].Data != "boom" ||
		p.DateStarted != started || p.RuntimeInfos["jobUrl"] == nil {
		t.Errorf("run state not applied: %+v", p)
	}
	if p.Config["colWidth"] != json.Number("12.0") || p.Config["editorHide"] != true {
		t.Errorf("config not merged: %v", p.Config)
	}
	p.ApplyRun(notebooks.RunUpdate{ClearResults: true})
	if p.Results != nil {
		t.Error("results not cleared")
	}
	if p.User != notebooks.DefaultUser || p.JobName != p.ID || p.Status == "" {
		t.Errorf("new paragraph defaults: %+v", p)
	}
}

func TestBroker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	t.Run("OK", func(t *testing.T) {
		b := notebooks.NewBroker(10)
		sub := b.Subscribe()
		defer sub.Close()
		b.Publish(notebooks.Change{Kind: notebooks.ChangeNoteCreated, NoteID: "A"},
			notebooks.Change{Kind: notebooks.ChangeParagraphAdded, NoteID: "A", ParagraphID: "p"})
		for i, want := range []notebooks.ChangeKind{notebooks.ChangeNoteCreated, notebooks.ChangeParagraphAdded} {
			c, err := sub.Next(ctx)
			if err != nil || c.Kind != want || c.Seq != uint64(i+1) {
				t.Fatalf("change %d = %+v, %v; want %s seq %d", i, c, err, want, i+1)
			}
		}
	})
	t.Run("OverflowBecomesResync", func(t *testing.T) {
		b := notebooks.NewBroker(3)
		sub := b.Subscribe()
		defer sub.Close()
		for range 10 { // never blocks although nobody reads
			b.Publish(notebooks.Change{Kind: notebooks.ChangeParagraphRun, NoteID: "A"})
		}
		c, err := sub.Next(ctx)
		if err != nil || c.Kind != notebooks.ChangeResync {
			t.Fatalf("got %+v, %v; want a resync", c, err)
		}
		b.Publish(notebooks.Change{Kind: notebooks.ChangeNoteDeleted, NoteID: "A"})
		if c, err := sub.Next(ctx); err != nil || c.Kind != notebooks.ChangeNoteDeleted || c.Seq != 11 {
			t.Fatalf("after resync got %+v, %v", c, err)
		}
	})
	t.Run("Close", func(t *testing.T) {
		b := notebooks.NewBroker(3)
		sub := b.Subscribe()
		done := make(chan error, 1)
		go func() { _, err := sub.Next(ctx); done <- err }()
		b.Close()
		if err := <-done; !errors.Is(err, notebooks.ErrSubscriptionClosed) {
			t.Fatalf("Next after Close = %v", err)
		}
		if _, err := b.Subscribe().Next(ctx); !errors.Is(err, notebooks.ErrSubscriptionClosed) {
			t.Fatalf("Subscribe on a closed broker: %v", err)
		}
	})
	t.Run("ContextEnds", func(t *testing.T) {
		sub := notebooks.NewBroker(3).Subscribe()
		defer sub.Close()
		short, stop := context.WithTimeout(ctx, 10*time.Millisecond)
		defer stop()
		if _, err := sub.Next(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Next = %v, want deadline exceeded", err)
		}
	})
}
