package notebooks

import (
	"encoding/json"
	"fmt"
)

// Status is a paragraph's run status, as Zeppelin names it.
type Status string

// Paragraph statuses.
const (
	StatusReady    Status = "READY"    // never run, or reset
	StatusPending  Status = "PENDING"  // queued
	StatusRunning  Status = "RUNNING"  // running
	StatusFinished Status = "FINISHED" // ran to success
	StatusError    Status = "ERROR"    // failed
	StatusAbort    Status = "ABORT"    // cancelled
)

// Active reports whether a run with status s has not ended: it is queued
// (PENDING) or running.
func (s Status) Active() bool { return s == StatusRunning || s == StatusPending }

// Result codes of Result.Code.
const (
	ResultSuccess    = "SUCCESS"
	ResultError      = "ERROR"
	ResultIncomplete = "INCOMPLETE"
	ResultKeep       = "KEEP_PREVIOUS_RESULT"
)

// Result message types of ResultMessage.Type.
const (
	MessageText    = "TEXT"
	MessageHTML    = "HTML"
	MessageTable   = "TABLE"
	MessageAngular = "ANGULAR"
	MessageImg     = "IMG"
	MessageSVG     = "SVG"
	MessageNetwork = "NETWORK"
	MessageNull    = "NULL"
)

// Result is a paragraph's last output: a code and a list of messages.
type Result struct {
	Code string          `json:"code"`
	Msg  []ResultMessage `json:"msg"`
}

// ResultMessage is one output message. TABLE data is Zeppelin's encoding:
// a header line and rows, cells separated by tabs, lines by newlines.
type ResultMessage struct {
	Type string `json:"type"`
	Data string `json:"data"`
	// Table is, for a TABLE message Eddy produced, the same table exactly:
	// Zeppelin's text keeps neither the column types, nor nulls apart from
	// the string "null", nor tabs and line breaks inside values.
	Table *TableData `json:"table,omitempty"`
}

// TableData is a result table as Eddy keeps it with a note.
type TableData struct {
	Columns []TableColumn `json:"columns"`
	// Rows hold each value as the string Flink prints for it, or nil for
	// NULL.
	Rows [][]*string `json:"rows"`
}

// TableColumn is a column of TableData: its name, Flink SQL type and, for
// an instant (TIMESTAMP_LTZ), the time zone its values are printed in.
type TableColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Zone string `json:"zone,omitempty"`
}

// MarshalJSON writes msg as [] rather than null when it is empty.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	if r.Msg == nil {
		r.Msg = []ResultMessage{}
	}
	return json.Marshal(plain(r))
}

// Settings are a paragraph's dynamic forms: definitions (forms) and current
// values (params).
type Settings struct {
	Params map[string]any `json:"params"`
	Forms  map[string]any `json:"forms"`
}

// IsZero reports whether s holds nothing at all (the field was absent).
func (s Settings) IsZero() bool { return s.Params == nil && s.Forms == nil }

// MarshalJSON writes absent params or forms as {} as Zeppelin expects.
func (s Settings) MarshalJSON() ([]byte, error) {
	type plain Settings
	if s.Params == nil {
		s.Params = map[string]any{}
	}
	if s.Forms == nil {
		s.Forms = map[string]any{}
	}
	return json.Marshal(plain(s))
}

// Paragraph is one cell of a note, with Zeppelin's fields. Config, settings
// and runtime infos are kept as decoded JSON (numbers as json.Number, so
// 12.0 stays 12.0); fields Eddy does not know are kept in Extra and written
// back.
type Paragraph struct {
	Title                    string         `json:"title,omitempty"`
	Text                     string         `json:"text"`
	User                     string         `json:"user,omitempty"`
	DateUpdated              Date           `json:"dateUpdated,omitzero"`
	Progress                 int            `json:"progress"`
	Config                   map[string]any `json:"config,omitempty"`
	Settings                 Settings       `json:"settings,omitzero"`
	Results                  *Result        `json:"results,omitempty"`
	Apps                     []any          `json:"apps,omitempty"`
	RuntimeInfos             map[string]any `json:"runtimeInfos,omitempty"`
	ProgressUpdateIntervalMs int            `json:"progressUpdateIntervalMs,omitempty"`
	JobName                  string         `json:"jobName,omitempty"`
	ID                       string         `json:"id"`
	DateCreated              Date           `json:"dateCreated,omitzero"`
	DateStarted              Date           `json:"dateStarted,omitzero"`
	DateFinished             Date           `json:"dateFinished,omitzero"`
	Status                   Status         `json:"status"`
	ErrorMessage             string         `json:"errorMessage,omitempty"`

	// Extra holds fields this type does not model, and known fields whose
	// value could not be read (a date in an unknown format), verbatim.
	Extra map[string]json.RawMessage `json:"-"`
}

// MarshalJSON writes the paragraph in Zeppelin's field order, then Extra.
func (p *Paragraph) MarshalJSON() ([]byte, error) {
	w := newObjectWriter(len(p.Extra) > 0)
	if p.Title != "" {
		w.value("title", p.Title)
	}
	w.value("text", p.Text)
	if p.User != "" {
		w.value("user", p.User)
	}
	if !p.DateUpdated.IsZero() {
		w.value("dateUpdated", p.DateUpdated)
	}
	w.value("progress", p.Progress)
	if p.Config != nil {
		w.value("config", p.Config)
	}
	if !p.Settings.IsZero() {
		w.value("settings", p.Settings)
	}
	if p.Results != nil {
		w.value("results", p.Results)
	}
	if p.Apps != nil {
		w.value("apps", p.Apps)
	}
	if p.RuntimeInfos != nil {
		w.value("runtimeInfos", p.RuntimeInfos)
	}
	if p.ProgressUpdateIntervalMs != 0 {
		w.value("progressUpdateIntervalMs", p.ProgressUpdateIntervalMs)
	}
	if p.JobName != "" {
		w.value("jobName", p.JobName)
	}
	w.value("id", p.ID)
	if !p.DateCreated.IsZero() {
		w.value("dateCreated", p.DateCreated)
	}
	if !p.DateStarted.IsZero() {
		w.value("dateStarted", p.DateStarted)
	}
	if !p.DateFinished.IsZero() {
		w.value("dateFinished", p.DateFinished)
	}
	w.value("status", p.Status)
	if p.ErrorMessage != "" {
		w.value("errorMessage", p.ErrorMessage)
	}
	w.extras(p.Extra)
	return w.finish()
}

// UnmarshalJSON reads a paragraph leniently: missing fields get zero values,
// numbers written as doubles are accepted where Zeppelin means ints, a value
// of the wrong shape is kept verbatim in Extra, and the pre-0.7 single
// "result" is converted to results.
func (p *Paragraph) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("paragraph: %w", err)
	}
	*p = Paragraph{}
	var legacy json.RawMessage
	for k, v := range raw {
		var err error
		switch k {
		case "title":
			err = decodeString(v, &p.Title)
		case "text":
			// The text is what the paragraph is: never dropped. A number or
			// boolean is kept as written (as Zeppelin's Gson reads it);
			// anything else refuses the paragraph.
			if err := decodeText(v, &p.Text); err != nil {
				return err
			}
			continue
		case "user":
			err = decodeString(v, &p.User)
		case "dateUpdated":
			err = p.DateUpdated.UnmarshalJSON(v)
		case "progress":
			err = decodeInt(v, &p.Progress)
		case "config":
			err = decodeObject(v, &p.Config)
		case "settings":
			err = decodeSettings(v, &p.Settings)
		case "results":
			err = decodeResult(v, &p.Results)
		case "apps":
			err = decodeArray(v, &p.Apps)
		case "runtimeInfos":
			err = decodeObject(v, &p.RuntimeInfos)
		case "progressUpdateIntervalMs":
			err = decodeInt(v, &p.ProgressUpdateIntervalMs)
		case "jobName":
			err = decodeString(v, &p.JobName)
		case "id":
			err = decodeString(v, &p.ID)
		case "dateCreated":
			err = p.DateCreated.UnmarshalJSON(v)
		case "dateStarted":
			err = p.DateStarted.UnmarshalJSON(v)
		case "dateFinished":
			err = p.DateFinished.UnmarshalJSON(v)
		case "status":
			var s string
			err = decodeString(v, &s)
			p.Status = Status(s)
		case "errorMessage":
			err = decodeString(v, &p.ErrorMessage)
		case "result":
			legacy = v
			continue
		default:
			err = errUnknownField
		}
		if err != nil || (optionalField(k) && isEmptyValue(v)) {
			// Kept verbatim: a value of the wrong shape, or an optional
			// field written empty ("title": ""), which would otherwise not
			// be written back.
			p.keep(k, v)
		}
	}
	if legacy != nil && !p.convertLegacyResult(legacy) {
		p.keep("result", legacy)
	}
	return nil
}

// optionalField reports whether a paragraph field is left out when empty.
func optionalField(key string) bool {
	switch key {
	case "title", "user", "dateUpdated", "config", "settings", "results", "apps", "runtimeInfos",
		"progressUpdateIntervalMs", "jobName", "dateCreated", "dateStarted", "dateFinished", "errorMessage":
		return true
	}
	return false
}

func (p *Paragraph) keep(key string, v json.RawMessage) {
	if p.Extra == nil {
		p.Extra = make(map[string]json.RawMessage)
	}
	p.Extra[key] = v
}

// convertLegacyResult turns Zeppelin ≤ 0.6's {code, type, msg} into
// results and moves config.graph to config.results["0"].graph, as Zeppelin
// does on load. It reports whether it understood the value.
func (p *Paragraph) convertLegacyResult(v json.RawMessage) bool {
	var old struct {
		Code string `json:"code"`
		Type string `json:"type"`
		Msg  any    `json:"msg"`
	}
	if err := json.Unmarshal(v, &old); err != nil {
		return string(v) == "null"
	}
	if p.Results == nil {
		r := &Result{Code: old.Code, Msg: []ResultMessage{}}
		if s, isString := old.Msg.(string); isString && s != "" {
			typ := old.Type
			if typ == "" {
				typ = MessageText
			}
			r.Msg = append(r.Msg, ResultMessage{Type: typ, Data: s})
		}
		p.Results = r
	}
	if g, found := p.Config["graph"]; found {
		if _, has := p.Config["results"]; !has {
			p.Config["results"] = map[string]any{"0": map[string]any{"graph": g}}
			delete(p.Config, "graph")
		}
	}
	return true
}

// Enabled reports whether the paragraph may run: Zeppelin's
// config.enabled, true when absent.
func (p *Paragraph) Enabled() bool {
	v, ok := p.Config["enabled"].(bool)
	return !ok || v
}

// Clone returns a deep copy of p.
func (p *Paragraph) Clone() *Paragraph {
	b, err := p.MarshalJSON()
	if err != nil {
		// A paragraph that was decoded or built from JSON values always
		// encodes; a copy of the shallow fields is the best left.
		c := *p
		return &c
	}
	var c Paragraph
	if err := c.UnmarshalJSON(b); err != nil {
		c := *p
		return &c
	}
	return &c
}
