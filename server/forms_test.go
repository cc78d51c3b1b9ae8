package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// TestFormValues_SetByWidgets: form values set over the websocket and REST
// are merged into settings.params (noteParams), recorded with the forms they
// were set against, reach the note's other viewers, and bad values are
// refused with a clear message and change nothing.
func TestFormValues_SetByWidgets(t *testing.T) {
	ts := MustOpenServer(t)
	noteID := ts.mustCreateNote(t, "/forms", "%md\n${n=10} ${c=red,red|green} ${checkbox:k=a,a|b} $${g=x}", "%md\n$${g=z} $${h}")
	pid := ts.mustGetNote(t, noteID).Paragraphs[0].ID
	a, b := ts.mustDialWS(t), ts.mustDialWS(t)
	for _, c := range []*wsClient{a, b} {
		c.send(map[string]any{"op": "subscribe", "noteId": noteID})
		c.expect("note")
	}

	t.Run("ParagraphByWebsocket", func(t *testing.T) {
		mustAck(t, a.request(map[string]any{"op": "edit-paragraph", "noteId": noteID, "paragraphId": pid,
			"params": map[string]any{"c": "green", "k": []string{"a", "b"}}}))
		p := ts.mustGetNote(t, noteID).Paragraphs[0]
		if p.Settings.Params["c"] != "green" || len(p.Settings.Params["k"].([]any)) != 2 {
			t.Fatalf("params %v", p.Settings.Params)
		}
		if f, _ := p.Settings.Forms["c"].(map[string]any); f["defaultValue"] != "red" || f["type"] != "Select" {
			t.Fatalf("recorded forms %v", p.Settings.Forms)
		}
		m := b.expect("paragraph")
		settings := m["paragraph"].(map[string]any)["settings"].(map[string]any)
		if settings["params"].(map[string]any)["c"] != "green" {
			t.Fatalf("other viewer got %v", m)
		}
	})
	t.Run("ParagraphByRESTMergesAndNullResets", func(t *testing.T) {
		ts.do(t, http.MethodPut, "/api/notebook/"+noteID+"/paragraph/"+pid, map[string]any{"params": map[string]any{"n": "7", "c": nil}}).mustOK(t, nil)
		p := ts.mustGetNote(t, noteID).Paragraphs[0]
		if _, has := p.Settings.Params["c"]; has || p.Settings.Params["n"] != "7" || p.Settings.Params["k"] == nil {
			t.Fatalf("params %v", p.Settings.Params)
		}
		b.expectWhere("paragraph", func(m map[string]any) bool {
			return m["paragraph"].(map[string]any)["settings"].(map[string]any)["params"].(map[string]any)["n"] == "7"
		})
	})
	t.Run("NoteByWebsocketAndREST", func(t *testing.T) {
		mustAck(t, a.request(map[string]any{"op": "edit-note", "noteId": noteID, "noteParams": map[string]any{"g": "y"}}))
		m := b.expectWhere("note", func(m map[string]any) bool { return m["reason"] == "changed" })
		if m["note"].(map[string]any)["noteParams"].(map[string]any)["g"] != "y" {
			t.Fatalf("other viewer got %v", m)
		}
		ts.do(t, http.MethodPut, "/api/notebook/"+noteID+"/params", map[string]any{"params": map[string]any{"h": "1"}}).mustOK(t, nil)
		n := ts.mustGetNote(t, noteID)
		if n.NoteParams["g"] != "y" || n.NoteParams["h"] != "1" {
			t.Fatalf("noteParams %v", n.NoteParams)
		}
		// g is defined in both paragraphs: the first definition is recorded.
		if f, _ := n.NoteForms["g"].(map[string]any); f["defaultValue"] != "x" {
			t.Fatalf("noteForms %v", n.NoteForms)
		}
	})
	t.Run("TextAndParamsTogether", func(t *testing.T) {
		// The forms are recorded from the text sent with the values.
		mustAck(t, a.request(map[string]any{"op": "edit-paragraph", "noteId": noteID, "paragraphId": pid,
			"text": "%md\n${n=20}", "params": map[string]any{"n": "8"}}))
		p := ts.mustGetNote(t, noteID).Paragraphs[0]
		if f, _ := p.Settings.Forms["n"].(map[string]any); f["defaultValue"] != "20" || p.Settings.Params["n"] != "8" {
			t.Fatalf("settings %+v", p.Settings)
		}
	})
	t.Run("ErrBadValues", func(t *testing.T) {
		before := ts.mustGetNote(t, noteID)
		for _, tt := range []struct {
			name   string
			params any
			want   string
		}{
			{"Number", map[string]any{"n": 5}, "params.n must be a string, a list of strings or null, not a number"},
			{"Object", map[string]any{"n": map[string]any{}}, "not an object"},
			{"ListOfNumbers", map[string]any{"k": []any{"a", 1}}, "params.k must be a string or a list of strings"},
			{"Empty", map[string]any{}, "at least one form value"},
			{"EmptyName", map[string]any{" ": "x"}, "empty form name"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				ts.do(t, http.MethodPut, "/api/notebook/"+noteID+"/paragraph/"+pid, map[string]any{"text": "changed", "params": tt.params}).
					mustFail(t, http.StatusBadRequest, tt.want)
				r := a.request(map[string]any{"op": "edit-paragraph", "noteId": noteID, "paragraphId": pid, "text": "changed", "params": tt.params})
				mustErrCode(t, r, eddy.EINVALID)
			})
		}
		ts.do(t, http.MethodPut, "/api/notebook/"+noteID+"/paragraph/"+pid, map[string]any{"params": "x"}).mustFail(t, http.StatusBadRequest, "params")
		ts.do(t, http.MethodPut, "/api/notebook/"+noteID+"/params", map[string]any{"params": map[string]any{"g": true}}).
			mustFail(t, http.StatusBadRequest, "noteParams.g must be a string, a list of strings or null, not a boolean")
		mustErrCode(t, a.request(map[string]any{"op": "edit-note", "noteId": noteID}), eddy.EINVALID)
		after := ts.mustGetNote(t, noteID)
		if after.Paragraphs[0].Text != before.Paragraphs[0].Text || len(after.Paragraphs[0].Settings.Params) != len(before.Paragraphs[0].Settings.Params) ||
			len(after.NoteParams) != len(before.NoteParams) {
			t.Fatalf("a refused edit changed the note: %+v", after.Paragraphs[0])
		}
	})
}

// TestFormValues_RunWithParams: values sent with Zeppelin's run request
// replace the stored ones and are recorded with the forms they were sent
// for, so a value equal to a default recorded at an earlier run still runs
// as sent when the text's default has changed since.
func TestFormValues_RunWithParams(t *testing.T) {
	ts, _ := mustOpenFakeRunServer(t)
	noteID := ts.mustCreateNote(t, "/forms/run", "%flink.bsql\nSELECT ${n=10}")
	pid := ts.mustGetNote(t, noteID).Paragraphs[0].ID
	// As after a run when the default was 5.
	if _, err := ts.store.UpdateParagraph(context.Background(), noteID, pid, notebooks.ParagraphUpdate{
		FormsPatch: map[string]any{"n": map[string]any{"type": "TextBox", "name": "n", "defaultValue": "5"}}}); err != nil {
		t.Fatal(err)
	}
	ts.do(t, http.MethodPost, "/api/notebook/job/"+noteID+"/"+pid, map[string]any{"params": map[string]any{"n": "5"}}).mustOK(t, nil)
	p := ts.mustGetNote(t, noteID).Paragraphs[0]
	if got := kernel.ChosenParams(p.Settings.Params, p.Settings.Forms); got["n"] != "5" {
		t.Fatalf("runs with %v (params %v, forms %v), want n=5 as sent", got, p.Settings.Params, p.Settings.Forms)
	}
}

// TestFormValues_PythonFormsStay: a Python paragraph's forms come from its
// runs (z.input…), not from its text, so setting a value keeps the form
// its last run recorded.
func TestFormValues_PythonFormsStay(t *testing.T) {
	ts := MustOpenServer(t)
	noteID := ts.mustCreateNote(t, "/forms/python", "%flink.pyflink\nprint(z.input('who', 'world'))")
	pid := ts.mustGetNote(t, noteID).Paragraphs[0].ID
	form := map[string]any{"type": "TextBox", "name": "who", "displayName": "who", "defaultValue": "world"}
	if _, err := ts.store.UpdateParagraph(context.Background(), noteID, pid, notebooks.ParagraphUpdate{
		FormsPatch: map[string]any{"who": form}}); err != nil {
		t.Fatal(err)
	}
	ts.do(t, http.MethodPut, "/api/notebook/"+noteID+"/paragraph/"+pid, map[string]any{"params": map[string]any{"who": "Eddy"}}).mustOK(t, nil)
	p := ts.mustGetNote(t, noteID).Paragraphs[0]
	if f, _ := p.Settings.Forms["who"].(map[string]any); f["defaultValue"] != "world" || p.Settings.Params["who"] != "Eddy" {
		t.Fatalf("forms %v, params %v", p.Settings.Forms, p.Settings.Params)
	}
	if got := kernel.ChosenParams(p.Settings.Params, p.Settings.Forms); got["who"] != "Eddy" {
		t.Fatalf("runs with %v", got)
	}
}
