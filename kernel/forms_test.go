package kernel

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy"
)

func TestSubstituteForms(t *testing.T) {
	tests := []struct {
		name       string
		script     string
		params     map[string]any
		noteParams map[string]any
		text       string
		forms      []Form
		noteForms  []Form
		err        string
	}{
		{name: "NoForms", script: "SELECT '$' || x FROM t WHERE j = '$.a'", text: "SELECT '$' || x FROM t WHERE j = '$.a'"},
		{name: "TextBoxEmpty", script: "SELECT ${col} FROM t", text: "SELECT  FROM t",
			forms: []Form{{Type: FormTextBox, Name: "col", DisplayName: "col"}}},
		{name: "TextBoxDefault", script: "SELECT * FROM t LIMIT ${n=10}", text: "SELECT * FROM t LIMIT 10",
			forms: []Form{{Type: FormTextBox, Name: "n", DisplayName: "n", DefaultValue: "10"}}},
		{name: "TextBoxParam", script: "SELECT * FROM t LIMIT ${n=10}", params: map[string]any{"n": "5"}, text: "SELECT * FROM t LIMIT 5",
			forms: []Form{{Type: FormTextBox, Name: "n", DisplayName: "n", DefaultValue: "10"}}},
		{name: "NumberParam", script: "LIMIT ${n=10}", params: map[string]any{"n": float64(3)}, text: "LIMIT 3",
			forms: []Form{{Type: FormTextBox, Name: "n", DisplayName: "n", DefaultValue: "10"}}},
		{name: "NilParam", script: "[${n=10}]", params: map[string]any{"n": nil}, text: "[]",
			forms: []Form{{Type: FormTextBox, Name: "n", DisplayName: "n", DefaultValue: "10"}}},
		{name: "DisplayName", script: "${age(Your Age)=3}", text: "3",
			forms: []Form{{Type: FormTextBox, Name: "age", DisplayName: "Your Age", DefaultValue: "3"}}},
		{name: "InsideString", script: "WHERE d = '${day=2024-01-01}'", text: "WHERE d = '2024-01-01'",
			forms: []Form{{Type: FormTextBox, Name: "day", DisplayName: "day", DefaultValue: "2024-01-01"}}},
		{name: "Select", script: "WHERE c = '${country=US,US(United States)|UK|JP}'", text: "WHERE c = 'US'",
			forms: []Form{{Type: FormSelect, Name: "country", DisplayName: "country", DefaultValue: "US",
				Options: []FormOption{{Value: "US", DisplayName: "United States"}, {Value: "UK"}, {Value: "JP"}}}}},
		{name: "SelectParam", script: "${country=US,US|UK}", params: map[string]any{"country": "UK"}, text: "UK",
			forms: []Form{{Type: FormSelect, Name: "country", DisplayName: "country", DefaultValue: "US",
				Options: []FormOption{{Value: "US"}, {Value: "UK"}}}}},
		{name: "SelectEmptyDefault", script: "${c=,a|b}", text: "",
			forms: []Form{{Type: FormSelect, Name: "c", DisplayName: "c", DefaultValue: "", Options: []FormOption{{Value: "a"}, {Value: "b"}}}}},
		{name: "SelectOptionsSplit", script: `${op=a,a(x|y)|'b|c'|d\|e| f }`, text: "a",
			forms: []Form{{Type: FormSelect, Name: "op", DisplayName: "op", DefaultValue: "a",
				Options: []FormOption{{Value: "a", DisplayName: "x|y"}, {Value: "'b|c'"}, {Value: `d\|e`}, {Value: "f"}}}}},
		{name: "SelectEscapedComma", script: `${op=a,a\,b|c}`, text: "a",
			forms: []Form{{Type: FormSelect, Name: "op", DisplayName: "op", DefaultValue: "a",
				Options: []FormOption{{Value: "a,b"}, {Value: "c"}}}}},
		{name: "Checkbox", script: "IN (${checkbox:fruit=apple|orange,apple|orange|peach})", text: "IN (apple,orange)",
			forms: []Form{{Type: FormCheckBox, Name: "fruit", DisplayName: "fruit", DefaultValue: []string{"apple", "orange"},
				Options: []FormOption{{Value: "apple"}, {Value: "orange"}, {Value: "peach"}}}}},
		{name: "CheckboxDelimiter", script: "${checkbox( or ):c(Country)=US|JP,US(United States)|UK|JP}", text: "US or JP",
			forms: []Form{{Type: FormCheckBox, Name: "c", DisplayName: "Country", DefaultValue: []string{"US", "JP"}, Argument: " or ",
				Options: []FormOption{{Value: "US", DisplayName: "United States"}, {Value: "UK"}, {Value: "JP"}}}}},
		{name: "CheckboxParamFiltersObsolete", script: "${checkbox:f=a,a|b|c}", params: map[string]any{"f": []any{"c", "gone", "a"}},
			text: "c,a",
			forms: []Form{{Type: FormCheckBox, Name: "f", DisplayName: "f", DefaultValue: []string{"a"},
				Options: []FormOption{{Value: "a"}, {Value: "b"}, {Value: "c"}}}}},
		{name: "CheckboxParamAllObsolete", script: "${checkbox:f=a,a|b}", params: map[string]any{"f": []any{"x", "y"}}, text: "x,y",
			forms: []Form{{Type: FormCheckBox, Name: "f", DisplayName: "f", DefaultValue: []string{"a"},
				Options: []FormOption{{Value: "a"}, {Value: "b"}}}}},
		{name: "CheckboxNoneChecked", script: "[${checkbox:f=,a|b}]", params: map[string]any{"f": []any{}}, text: "[]",
			forms: []Form{{Type: FormCheckBox, Name: "f", DisplayName: "f", DefaultValue: []string{},
				Options: []FormOption{{Value: "a"}, {Value: "b"}}}}},
		{name: "Password", script: "'${password:pw}'", params: map[string]any{"pw": "s3cret"}, text: "'s3cret'",
			forms: []Form{{Type: FormPassword, Name: "pw", DisplayName: "pw"}}},
		{name: "Hidden", script: "x _${h=1} y", text: "x 1 y",
			forms: []Form{{Type: FormTextBox, Name: "h", DisplayName: "h", DefaultValue: "1", Hidden: true}}},
		{name: "UnderscoreInsideWord", script: "FROM t_${suffix=a}", text: "FROM t_a",
			forms: []Form{{Type: FormTextBox, Name: "suffix", DisplayName: "suffix", DefaultValue: "a"}}},
		{name: "NoteForm", script: "LIMIT $${n=10}", noteParams: map[string]any{"n": "7"}, text: "LIMIT 7",
			noteForms: []Form{{Type: FormTextBox, Name: "n", DisplayName: "n", DefaultValue: "10"}}},
		{name: "NoteAndParagraph", script: "$${a=1} ${a=2}", params: map[string]any{"a": "p"}, noteParams: map[string]any{"a": "n"},
			text:      "n p",
			forms:     []Form{{Type: FormTextBox, Name: "a", DisplayName: "a", DefaultValue: "2"}},
			noteForms: []Form{{Type: FormTextBox, Name: "a", DisplayName: "a", DefaultValue: "1"}}},
		{name: "HiddenNoteForm", script: "_$${n=1}", text: "1",
			noteForms: []Form{{Type: FormTextBox, Name: "n", DisplayName: "n", DefaultValue: "1", Hidden: true}}},
		{name: "ValueInsertedLiterally", script: "${a} ${b=x}", params: map[string]any{"a": "${b} $1 \\n"}, text: "${b} $1 \\n x",
			forms: []Form{{Type: FormTextBox, Name: "a", DisplayName: "a"}, {Type: FormTextBox, Name: "b", DisplayName: "b", DefaultValue: "x"}}},
		{name: "RepeatedNameKeepsFirstPositionLastDefinition", script: "${a=1} ${b} ${a=2}", text: "1  2",
			forms: []Form{{Type: FormTextBox, Name: "a", DisplayName: "a", DefaultValue: "2"}, {Type: FormTextBox, Name: "b", DisplayName: "b"}}},
		{name: "Unclosed", script: "SELECT '${a' FROM t", text: "SELECT '${a' FROM t"},
		{name: "DollarBraceOnlyAtEnd", script: "x $", text: "x $"},
		{name: "ErrUnknownType", script: "${slider:n=1}", err: "slider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SubstituteForms(tt.script, tt.params, tt.noteParams)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || eddy.ErrorCode(err) != eddy.EINVALID {
					t.Fatalf("err = %v, want an invalid error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != tt.text {
				t.Errorf("Text = %q, want %q", got.Text, tt.text)
			}
			if !reflect.DeepEqual(got.Forms, tt.forms) {
				t.Errorf("Forms = %+v\nwant %+v", got.Forms, tt.forms)
			}
			if !reflect.DeepEqual(got.NoteForms, tt.noteForms) {
				t.Errorf("NoteForms = %+v\nwant %+v", got.NoteForms, tt.noteForms)
			}
		})
	}
}

// TestFormValue checks that FormValue gives, for each form SubstituteForms
// found, the text it substituted.
func TestFormValue(t *testing.T) {
	tests := []struct {
		name   string
		script string
		params map[string]any
		want   string
	}{
		{name: "Param", script: "${n=10}", params: map[string]any{"n": "5"}, want: "5"},
		{name: "Default", script: "${n=10}", want: "10"},
		{name: "NoParamNoDefault", script: "${n}", want: ""},
		{name: "NilParam", script: "${n=10}", params: map[string]any{"n": nil}, want: ""},
		{name: "Number", script: "${n=10}", params: map[string]any{"n": float64(3)}, want: "3"},
		{name: "SelectDefault", script: "${c=US,US|UK}", want: "US"},
		{name: "CheckboxParam", script: "${checkbox( or ):f=a,a|b|c}", params: map[string]any{"f": []any{"c", "a"}}, want: "c or a"},
		{name: "CheckboxDefault", script: "${checkbox:f=a|b,a|b|c}", want: "a,b"},
		{name: "Password", script: "${password:pw}", params: map[string]any{"pw": "s3cret"}, want: "s3cret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := SubstituteForms(tt.script, tt.params, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Forms) != 1 {
				t.Fatalf("forms = %+v, want one", res.Forms)
			}
			if got := FormValue(res.Forms[0], tt.params); got != tt.want || got != res.Text {
				t.Errorf("FormValue = %q, want %q (substituted %q)", got, tt.want, res.Text)
			}
		})
	}
}

// TestForm_JSON checks the shape of settings.forms entries against what
// Zeppelin writes.
func TestForm_JSON(t *testing.T) {
	res, err := SubstituteForms("${country=US,US(United States)|UK} ${checkbox( or ):c=a,a|b} ${t}", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(res.Forms)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"type":"Select","name":"country","displayName":"country","defaultValue":"US","hidden":false,` +
		`"options":[{"value":"US","displayName":"United States"},{"value":"UK"}]},` +
		`{"type":"CheckBox","name":"c","displayName":"c","defaultValue":["a"],"hidden":false,"argument":" or ",` +
		`"options":[{"value":"a"},{"value":"b"}]},` +
		`{"type":"TextBox","name":"t","displayName":"t","hidden":false}]`
	if string(got) != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
}

// FuzzSubstituteForms checks that SubstituteForms never panics, fails only
// with invalid-input errors, and leaves text without '$' unchanged.
func FuzzSubstituteForms(f *testing.F) {
	for _, s := range []string{"", "${a}", "${a=1,1|2}", "$${n=x}", "_${h}", "${checkbox( or ):c=a|b,a|b|c}",
		`${x=a,a\|b|'c|d'|(e|f)}`, "${slider:x}", "${", "$${", "${a(b)c:d=e}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		res, err := SubstituteForms(script, map[string]any{"a": "A", "c": []any{"a", "z"}}, map[string]any{"n": nil})
		if err != nil {
			if eddy.ErrorCode(err) != eddy.EINVALID {
				t.Fatalf("error %v has code %q", err, eddy.ErrorCode(err))
			}
			return
		}
		if !strings.Contains(script, "$") && (res.Text != script || res.Forms != nil || res.NoteForms != nil) {
			t.Fatalf("script without forms changed: %q -> %+v", script, res)
		}
		if _, err := json.Marshal(res.Forms); err != nil {
			t.Fatal(err)
		}
	})
}

// TestChosenParams: a stored value equal to the default recorded for its
// form is left out; values without a recorded form, or differing from its
// default, are kept.
func TestChosenParams(t *testing.T) {
	recorded := map[string]any{
		"n": map[string]any{"type": "TextBox", "defaultValue": "5"},
		"k": map[string]any{"type": "CheckBox", "defaultValue": []any{"a", "b"}},
		"e": map[string]any{"type": "TextBox"}, // ${e}: no default
		"f": Form{Type: FormSelect, Name: "f", DefaultValue: "x"},
	}
	tests := []struct {
		name   string
		params map[string]any
		want   map[string]any
	}{
		{name: "RecordedDefault", params: map[string]any{"n": "5"}, want: map[string]any{}},
		{name: "Choice", params: map[string]any{"n": "6"}, want: map[string]any{"n": "6"}},
		{name: "NoRecordedForm", params: map[string]any{"z": "5"}, want: map[string]any{"z": "5"}},
		{name: "CheckboxSameList", params: map[string]any{"k": []any{"a", "b"}}, want: map[string]any{}},
		{name: "CheckboxOtherOrder", params: map[string]any{"k": []string{"b", "a"}}, want: map[string]any{"k": []string{"b", "a"}}},
		{name: "ListIsNotText", params: map[string]any{"n": []any{"5"}}, want: map[string]any{"n": []any{"5"}}},
		{name: "EmptyIsNoDefault", params: map[string]any{"e": ""}, want: map[string]any{}},
		{name: "FormStruct", params: map[string]any{"f": "x", "n": "7"}, want: map[string]any{"n": "7"}},
		{name: "Nil", params: nil, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := map[string]any{}
			for k, v := range tt.params {
				before[k] = v
			}
			got := ChosenParams(tt.params, recorded)
			if len(got) != len(tt.want) || (len(tt.want) > 0 && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("ChosenParams = %v, want %v", got, tt.want)
			}
			if tt.params != nil && !reflect.DeepEqual(tt.params, before) {
				t.Errorf("params changed to %v", tt.params)
			}
		})
	}
}
