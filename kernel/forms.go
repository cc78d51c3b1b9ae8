package kernel

import (
	"regexp"
	"strings"

	"github.com/eddy-notebooks/eddy"
)

// FormType is the kind of a dynamic form, spelled as Zeppelin writes it in
// a note's `settings.forms`.
type FormType string

// Form types.
const (
	FormTextBox  FormType = "TextBox"
	FormSelect   FormType = "Select"
	FormCheckBox FormType = "CheckBox"
	FormPassword FormType = "Password"
)

// FormOption is one choice of a Select or CheckBox form.
type FormOption struct {
	Value       string `json:"value"`
	DisplayName string `json:"displayName,omitempty"`
}

// Form is a dynamic form definition in Zeppelin's `settings.forms` shape
// (the JSON of one map value), derived from the script on every run.
type Form struct {
	Type        FormType `json:"type"`
	Name        string   `json:"name"`
	DisplayName string   `json:"displayName"`
	// DefaultValue is a string for TextBox and Select, a []string for
	// CheckBox and nil when the script gives none.
	DefaultValue any  `json:"defaultValue,omitempty"`
	Hidden       bool `json:"hidden"`
	// Argument is the CheckBox delimiter written as `${checkbox(delim):...}`.
	Argument string       `json:"argument,omitempty"`
	Options  []FormOption `json:"options,omitempty"`
}

// FormResult is a script with its dynamic forms substituted.
type FormResult struct {
	// Text is the script to execute.
	Text string
	// Forms are the paragraph forms (`${...}`) in order of first
	// appearance; a name defined twice keeps its first position and its last
	// definition, as Zeppelin's LinkedHashMap does. The note's
	// `settings.forms` is the map from Name to Form.
	Forms []Form
	// NoteForms are the note-scoped forms (`$${...}`), in the same order.
	// Zeppelin adds those whose name the note does not know yet to the
	// note's `noteForms` and keeps existing ones.
	NoteForms []Form
}

// DefaultCheckboxDelimiter joins the checked values of a CheckBox form that
// names no delimiter of its own.
const DefaultCheckboxDelimiter = ","

// SubstituteForms finds Zeppelin "simple" dynamic forms in script and replaces
// each with its value: the paragraph's params (settings.params) for `${...}`
// and the note's params (noteParams) for `$${...}`, or the form's default
// when the name has no param. Either map may be nil.
//
// Syntax, as Zeppelin's Input class defines it:
//
//	${name}                          text box, empty default
//	${name=default}                  text box with a default
//	${name(Label)=default}           text box with a display name
//	${name=default,a|b(Bee)|c}       select; an option may carry a label
//	${checkbox:name=a|b,a|b|c}       checkbox, checked values joined by ","
//	${checkbox( or ):name=a,a|b}     checkbox joined by " or "
//	${password:name}                 password box
//	_${...}                          the same form, hidden
//	$${...}                          note-scoped form
//
// A form runs to the first '}'. Options are split on '|' outside quotes,
// parentheses and angle brackets; a backslash before one of "',;${} stands
// for that character and before any other character is kept with it. A list
// value (checkbox) keeps the checked values that are still options, or all
// of them when none is; a nil value becomes "".
//
// Deliberate differences from Zeppelin: every form is substituted in one pass,
// so a value is inserted literally and never expanded again (Zeppelin
// re-scans, so a value containing `${x}` would be substituted in turn, and
// `$` or `\` in values are mangled by Java's replaceFirst); a '_' is read as
// the hidden marker only at the start of a word, so `t_${n}` yields `t_` and
// the value (Zeppelin's pattern swallows the underscore); option values and
// names are trimmed. An unknown form type (`${foo:name}`) is an eddy.EINVALID
// error, as in Zeppelin.
func SubstituteForms(script string, params, noteParams map[string]any) (FormResult, error) {
	var (
		out       strings.Builder
		forms     formSet
		noteForms formSet
	)
	out.Grow(len(script))
	last := 0 // script[last:i] is not yet copied to out
	for i := 0; i < len(script); i++ {
		start := i
		hidden := false
		if script[i] == '_' && (i == 0 || !isWordByte(script[i-1])) && strings.HasPrefix(script[i+1:], "$") {
			hidden = true
			i++
		}
		note := false
		switch {
		case strings.HasPrefix(script[i:], "$${"):
			note = true
		case strings.HasPrefix(script[i:], "${"):
		default:
			i = start
			continue
		}
		open := i + 2
		if note {
			open = i + 3
		}
		end := strings.IndexByte(script[open:], '}')
		if end < 0 {
			break // an unclosed form is plain text, and so is the rest
		}
		end += open
		form, err := parseForm(script[open:end], hidden)
		if err != nil {
			return FormResult{}, err
		}
		values := params
		set := &forms
		if note {
			values, set = noteParams, &noteForms
		}
		set.put(form)
		out.WriteString(script[last:start])
		out.WriteString(FormValue(form, values))
		i = end
		last = end + 1
	}
	out.WriteString(script[last:])
	return FormResult{Text: out.String(), Forms: forms.list, NoteForms: noteForms.list}, nil
}

// FormValue returns the text SubstituteForms writes in place of form f,
// given the values it was called with (the paragraph's params for a `${...}`
// form, the note's for a `$${...}` one): the value of f's name, or f's
// default when values has none. A form with neither, or with a nil value,
// yields "".
func FormValue(f Form, values map[string]any) string {
	v, ok := values[f.Name]
	if !ok {
		v = f.DefaultValue
	}
	return expandForm(f, v)
}

// formSet keeps forms by name in order of first appearance.
type formSet struct {
	list []Form
}

func (s *formSet) put(f Form) {
	for i := range s.list {
		if s.list[i].Name == f.Name {
			s.list[i] = f
			return
		}
	}
	s.list = append(s.list, f)
}

// expandForm returns the text that replaces form given its value v.
func expandForm(form Form, v any) string {
	var checked []string
	switch x := v.(type) {
	case nil:
		return ""
	case []string:
		checked = x
	case []any:
		checked = make([]string, len(x))
		for i, e := range x {
			checked[i] = FormatValue(e)
		}
	default:
		return FormatValue(v)
	}
	delim := form.Argument
	if delim == "" {
		delim = DefaultCheckboxDelimiter
	}
	var valid []string
	for _, c := range checked {
		for _, o := range form.Options {
			if o.Value == c {
				valid = append(valid, c)
				break
			}
		}
	}
	if len(valid) == 0 {
		valid = checked
	}
	return strings.Join(valid, delim)
}

var (
	// formTypePattern matches "type(arg):name" at the start of a form's
	// name part.
	formTypePattern = regexp.MustCompile(`(?s)^([^:()]*)\s*(\([^()]*\))?\s*:(.*)$`)
	// formLabelPattern matches "name(Display Name)".
	formLabelPattern = regexp.MustCompile(`(?s)^([^(]*)\s*\(([^)]*)\)`)
)

// parseForm parses the text between the braces of one form.
func parseForm(content string, hidden bool) (Form, error) {
	namePart, valuePart, hasValue := content, "", false
	if p := strings.IndexByte(content, '='); p > 0 {
		namePart, valuePart, hasValue = content[:p], content[p+1:], true
	}
	var typ, arg string
	varPart := strings.TrimSpace(namePart)
	if m := formTypePattern.FindStringSubmatch(varPart); m != nil {
		typ = strings.TrimSpace(m[1])
		arg = strings.NewReplacer("(", "", ")", "").Replace(strings.TrimSpace(m[2]))
		varPart = strings.TrimSpace(m[3])
	}
	f := Form{Hidden: hidden, Argument: arg}
	f.Name, f.DisplayName = splitLabel(varPart)
	if f.DisplayName == "" {
		f.DisplayName = f.Name
	}
	isCheckbox := strings.EqualFold(typ, "checkbox")
	if hasValue {
		if comma := strings.IndexByte(valuePart, ','); comma >= 0 {
			f.DefaultValue = valuePart[:comma]
			for _, o := range splitFormOptions(valuePart[comma+1:]) {
				value, label := splitLabel(o)
				f.Options = append(f.Options, FormOption{Value: value, DisplayName: label})
			}
		} else {
			f.DefaultValue = valuePart
		}
		if isCheckbox {
			checked := splitFormOptions(f.DefaultValue.(string))
			if checked == nil {
				checked = []string{}
			}
			f.DefaultValue = checked
		}
	}
	switch {
	case typ == "" && f.Options == nil:
		f.Type = FormTextBox
	case typ == "":
		f.Type = FormSelect
	case isCheckbox:
		f.Type = FormCheckBox
		if f.DefaultValue == nil {
			f.DefaultValue = []string{}
		}
	case strings.EqualFold(typ, "password"):
		f.Type, f.DefaultValue, f.Options = FormPassword, nil, nil
	default:
		return Form{}, eddy.Errorf(eddy.EINVALID, "could not recognize dynamic form with type %q in ${%s}", typ, content)
	}
	return f, nil
}

// splitLabel splits "value(Label)" into its trimmed value and label.
func splitLabel(s string) (value, label string) {
	s = strings.TrimSpace(s)
	if m := formLabelPattern.FindStringSubmatch(s); m != nil {
		return strings.TrimSpace(m[1]), strings.TrimSpace(m[2])
	}
	return s, ""
}

// splitFormOptions splits a '|'-separated option list the way Zeppelin's
// Input.split does: not inside "..." or '...' or ${...}, nor inside
// (possibly nested) (...) or <...>; a backslash before one of "',;${} yields
// that character and before any other character is kept. Pieces are
// trimmed; an empty last piece is dropped.
func splitFormOptions(s string) []string {
	const escapable = "\"',;${}"
	var (
		pieces []string
		cur    strings.Builder
		// stack holds the closing delimiters of the open blocks.
		stack []byte
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			if strings.IndexByte(escapable, s[i]) < 0 {
				cur.WriteByte('\\')
			}
			cur.WriteByte(s[i])
			continue
		}
		if len(stack) > 0 {
			cur.WriteByte(c)
			top := stack[len(stack)-1]
			switch {
			case c == top:
				stack = stack[:len(stack)-1]
			case top == ')' && c == '(', top == '>' && c == '<':
				stack = append(stack, top) // these blocks nest
			}
			continue
		}
		switch c {
		case '|':
			pieces = append(pieces, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		case '"', '\'':
			stack = append(stack, c)
		case '(':
			stack = append(stack, ')')
		case '<':
			stack = append(stack, '>')
		case '{':
			if i > 0 && s[i-1] == '$' {
				stack = append(stack, '}')
			}
		}
		cur.WriteByte(c)
	}
	if last := strings.TrimSpace(cur.String()); last != "" {
		pieces = append(pieces, last)
	}
	return pieces
}

// ChosenParams returns the form values of params that the user chose, given
// the forms recorded beside them (a paragraph's settings.forms, a note's
// noteForms): a value equal to the default its form had when recorded is
// not a choice but the default of that time, and is left out so that the
// default the script gives now applies. Zeppelin records every form's value
// in params on each run, defaults included; without this rule a default once
// run would override every later edit of the default in the text.
//
// Eddy records a form beside its value whenever a value is set (see
// RecordForms) and on every run, so a value stays a choice exactly while it
// differs from the default of the last run or setting. params is not
// modified; the result is params itself when every value is a choice.
func ChosenParams(params, recorded map[string]any) map[string]any {
	var out map[string]any
	for name, v := range params {
		def, ok := recordedDefault(recorded[name])
		if !ok || !sameFormValue(v, def) {
			continue
		}
		if out == nil {
			out = make(map[string]any, len(params))
			for k, x := range params {
				out[k] = x
			}
		}
		delete(out, name)
	}
	if out == nil {
		return params
	}
	return out
}

// RecordForms returns the forms of script named in names, keyed by name, as
// they go in settings.forms (note: true for the note-scoped forms, noteForms):
// what is recorded beside a value when it is set, so that ChosenParams can
// tell the value from the default it was chosen against.
func RecordForms(script string, names []string, note bool) (map[string]any, error) {
	fr, err := SubstituteForms(script, nil, nil)
	if err != nil {
		return nil, err
	}
	list := fr.Forms
	if note {
		list = fr.NoteForms
	}
	out := map[string]any{}
	for _, f := range list {
		for _, n := range names {
			if f.Name == n {
				out[n] = f
			}
		}
	}
	return out, nil
}

// recordedDefault returns the default value of a recorded form: a Form, or
// its JSON decoded into a map. ok is false when f is no form.
func recordedDefault(f any) (def any, ok bool) {
	switch x := f.(type) {
	case Form:
		return x.DefaultValue, true
	case *Form:
		return x.DefaultValue, x != nil
	case map[string]any:
		return x["defaultValue"], true
	}
	return nil, false
}

// sameFormValue reports whether two form values are the same text or the
// same list of texts; nil counts as "".
func sameFormValue(a, b any) bool {
	al, aList := formList(a)
	bl, bList := formList(b)
	if aList != bList {
		return false
	}
	if !aList {
		return formText(a) == formText(b)
	}
	if len(al) != len(bl) {
		return false
	}
	for i := range al {
		if al[i] != bl[i] {
			return false
		}
	}
	return true
}

func formList(v any) ([]string, bool) {
	switch x := v.(type) {
	case []string:
		return x, true
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = formText(e)
		}
		return out, true
	}
	return nil, false
}

func formText(v any) string {
	if v == nil {
		return ""
	}
	return FormatValue(v)
}
