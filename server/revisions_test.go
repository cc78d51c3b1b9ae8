package server

import (
	"net/http"
	"testing"
)

// TestWS_RestoreReachesEveryViewer: a revision restored through the REST
// API is sent to every viewer of the note as the whole restored note, as
// other edits are, so no open page keeps showing the text it replaced.
func TestWS_RestoreReachesEveryViewer(t *testing.T) {
	ts := MustOpenServer(t)
	noteID := ts.mustCreateNote(t, "/ws/restore", "%md version one", "%md kept")
	var revID string
	ts.do(t, http.MethodPost, "/api/notebook/"+noteID+"/revision", map[string]any{"commitMessage": "v1"}).mustOK(t, &revID)
	p0 := ts.mustGetNote(t, noteID).Paragraphs[0].ID
	ts.do(t, http.MethodPut, "/api/notebook/"+noteID+"/paragraph/"+p0, map[string]any{"text": "%md version two"}).mustOK(t, nil)

	a, b := ts.mustDialWS(t), ts.mustDialWS(t)
	for _, c := range []*wsClient{a, b} {
		c.send(map[string]any{"op": "subscribe", "noteId": noteID})
		c.expect("note")
	}
	ts.do(t, http.MethodPut, "/api/notebook/"+noteID+"/revision/"+revID, nil).mustOK(t, nil)
	for _, c := range []*wsClient{a, b} {
		m := c.expectWhere("note", func(m map[string]any) bool { return m["reason"] == "changed" })
		paras := m["note"].(map[string]any)["paragraphs"].([]any)
		if len(paras) != 2 || paras[0].(map[string]any)["text"] != "%md version one" || paras[0].(map[string]any)["id"] != p0 {
			t.Fatalf("viewer got %v", m)
		}
	}
}
