package kernel

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/eddy-notebooks/eddy/notebooks"
)

func TestViewOf(t *testing.T) {
	stored := &notebooks.Paragraph{
		ID:     "p1",
		Text:   "%flink.ssql\nSELECT k, n FROM t",
		Status: notebooks.StatusFinished,
		Results: &notebooks.Result{Code: notebooks.ResultSuccess, Msg: []notebooks.ResultMessage{
			{Type: notebooks.MessageTable, Data: "k\tn\nold\t1\n"},
		}},
		Progress: 100,
	}
	table := &Table{
		Mode:    DisplayUpdate,
		Columns: []Column{{Name: "k", Type: "STRING"}, {Name: "n", Type: "BIGINT"}},
		Rows:    []Row{{ID: 1, Fields: []any{"a", json.Number("2")}}, {ID: 2, Fields: []any{nil, json.Number("3")}}},
	}
	single := &Table{Mode: DisplaySingle, Columns: []Column{{Name: "c", Type: "BIGINT"}}, Rows: []Row{{ID: 1, Fields: []any{json.Number("7")}}}}
	created := notebooks.ResultMessage{Type: notebooks.MessageText, Data: "Table has been created."}
	// viewed is the stored paragraph with a live status and result.
	viewed := func(status notebooks.Status, progress int, msgs ...notebooks.ResultMessage) *notebooks.Paragraph {
		cp := *stored
		cp.Status, cp.Progress = status, progress
		cp.Results = &notebooks.Result{Code: notebooks.ResultSuccess, Msg: msgs}
		return &cp
	}

	tests := []struct {
		name    string
		live    ParagraphLive
		hasLive bool
		want    *notebooks.Paragraph // nil: the stored paragraph itself
	}{
		{name: "NoLiveState"},
		{name: "Finished", hasLive: true, live: ParagraphLive{Status: notebooks.StatusFinished, Progress: 100,
			Messages: []notebooks.ResultMessage{created}, Result: &LiveResult{Snapshot: table}}},
		{name: "Error", hasLive: true, live: ParagraphLive{Status: notebooks.StatusError, ErrorMessage: "boom"}},
		{name: "Abort", hasLive: true, live: ParagraphLive{Status: notebooks.StatusAbort, Result: &LiveResult{Snapshot: table}}},
		{name: "Pending", hasLive: true, live: ParagraphLive{Status: notebooks.StatusPending},
			want: viewed(notebooks.StatusPending, 0)},
		{name: "RunningTable", hasLive: true, live: ParagraphLive{Status: notebooks.StatusRunning, Progress: 40,
			Messages: []notebooks.ResultMessage{created}, Result: &LiveResult{Seq: 5, Snapshot: table}},
			want: viewed(notebooks.StatusRunning, 40, created, table.Message())},
		{name: "RunningSingle", hasLive: true, live: ParagraphLive{Status: notebooks.StatusRunning,
			Result: &LiveResult{Snapshot: single, Rendered: "<b>7</b>"}},
			want: viewed(notebooks.StatusRunning, 0, notebooks.ResultMessage{Type: notebooks.MessageHTML, Data: "<b>7</b>"})},
		{name: "RunningDeltasOnly", hasLive: true, live: ParagraphLive{Status: notebooks.StatusRunning,
			Messages: []notebooks.ResultMessage{created}, Result: &LiveResult{Deltas: []Delta{{FromVersion: 1, Version: 2}}}},
			want: viewed(notebooks.StatusRunning, 0, created)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := *stored.Results
			got := ViewOf(stored, tt.live, tt.hasLive)
			if tt.want == nil {
				if got != stored {
					t.Fatalf("got a copy %+v, want the stored paragraph itself", got)
				}
				return
			}
			if got == stored {
				t.Fatal("got the stored paragraph, want a copy with the live state")
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nresults %+v\nwant %+v\nresults %+v", got, got.Results, tt.want, tt.want.Results)
			}
			if stored.Status != notebooks.StatusFinished || !reflect.DeepEqual(*stored.Results, before) {
				t.Errorf("the stored paragraph was modified: %+v", stored)
			}
		})
	}
}
