package server

import (
	"context"
	"slices"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// paramsUpdate checks the form values a widget sets on a paragraph and
// returns the update that stores them with the forms they were set against
// (the forms of text when the same update sets it, else of the stored
// text), so that kernel.ChosenParams tells them from defaults.
func paramsUpdate(ctx context.Context, notes notebooks.Service, noteID, paragraphID string, text *string, params map[string]any) (notebooks.ParagraphUpdate, error) {
	if err := notebooks.ValidateParamsPatch("params", params); err != nil {
		return notebooks.ParagraphUpdate{}, err
	}
	if text == nil {
		p, err := notes.FindParagraph(ctx, noteID, paragraphID)
		if err != nil {
			return notebooks.ParagraphUpdate{}, err
		}
		text = &p.Text
	}
	if kernel.IsPython(*text) {
		// A Python paragraph's forms come from its runs (z.input, z.select…),
		// not from its text: they stay as the last run recorded them.
		return notebooks.ParagraphUpdate{ParamsPatch: params}, nil
	}
	return notebooks.ParagraphUpdate{ParamsPatch: params, FormsPatch: recordForms([]string{*text}, params, false)}, nil
}

// noteParamsUpdate checks the values set in a note's form widgets and
// returns the update that stores them with the note forms ($${...}) they
// were set against: for each name, its first definition in paragraph order.
func noteParamsUpdate(ctx context.Context, notes notebooks.Service, noteID string, params map[string]any) (notebooks.NoteUpdate, error) {
	if err := notebooks.ValidateParamsPatch("noteParams", params); err != nil {
		return notebooks.NoteUpdate{}, err
	}
	ps, err := notes.ListParagraphs(ctx, noteID)
	if err != nil {
		return notebooks.NoteUpdate{}, err
	}
	texts := make([]string, len(ps))
	for i, p := range ps {
		texts[i] = p.Text
	}
	return notebooks.NoteUpdate{NoteParamsPatch: params, NoteFormsPatch: recordForms(texts, params, true)}, nil
}

// recordForms returns, for each name in params, the first form of that name
// in texts (paragraph texts; note: the note-scoped forms), or nil (remove
// what was recorded) when no text has one: a value set for no form is a
// choice. A text whose header or forms do not parse (it may be mid-edit)
// has no forms; the value is stored all the same.
func recordForms(texts []string, params map[string]any, note bool) map[string]any {
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make(map[string]any, len(names))
	for _, text := range texts {
		h, err := kernel.ParseParagraph(text)
		if err != nil {
			continue
		}
		forms, err := kernel.RecordForms(h.Body, names, note)
		if err != nil {
			continue
		}
		for n, f := range forms {
			if _, ok := out[n]; !ok {
				out[n] = f
			}
		}
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			out[n] = nil
		}
	}
	return out
}
