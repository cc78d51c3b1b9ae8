package kernel

import (
	"strconv"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy"
)

// Header is a paragraph's text split the way Zeppelin's ParagraphTextParser
// splits it: `%interpreter(key=value, ...)` followed by the body.
type Header struct {
	// Interpreter is the name as written after '%', without the '%'
	// ("flink.ssql", "ssql", "md"), or "" when the text has no prefix.
	Interpreter string
	// Properties are the local properties between the parentheses. Unknown
	// keys are kept. Never nil.
	Properties map[string]string
	// Body is the script after the header with surrounding white space
	// removed, as Zeppelin passes it to the interpreter.
	Body string
	// BodyOffset is the byte offset of Body in the paragraph text, so that
	// positions in Body (statement offsets, errors) map back to the editor.
	BodyOffset int
}

// ParseParagraph splits a paragraph's text into its header and body with
// Zeppelin's grammar: optional leading white space, '%' and a name made of
// word characters with optional '.'-separated parts, then optionally and
// immediately a parenthesised, comma-separated list of local properties.
//
// Inside the property list a bare key means key=key, double quotes protect
// ',', '=' and ')' (the quotes themselves are dropped), and a backslash
// escapes the next character (`\n` and `\t` become newline and tab).
// Unquoted white space around keys and values is trimmed; quoted white space
// is kept (Zeppelin trims it too, which makes a padded template impossible).
// A later duplicate key replaces an earlier one; an empty last pair, as in
// "()" or "(a=1,)", is ignored. A bare key is accepted in any position
// (Zeppelin rejects it before a comma, a parser quirk).
//
// Text without a '%' prefix has no interpreter and the whole trimmed text as
// body. The errors, all of code eddy.EINVALID, are an unterminated property
// list, a dangling backslash, a second '=' in one pair and an empty key.
func ParseParagraph(text string) (Header, error) {
	h := Header{Properties: map[string]string{}}
	pos := 0
	for pos < len(text) && isSpace(text[pos]) {
		pos++
	}
	nameEnd := scanInterpreterName(text, pos)
	if nameEnd < 0 {
		h.Body, h.BodyOffset = trimWithOffset(text, 0)
		return h, nil
	}
	h.Interpreter = text[pos+1 : nameEnd]
	pos = nameEnd
	if pos < len(text) && text[pos] == '(' {
		end, err := parseLocalProperties(text, pos, h.Properties)
		if err != nil {
			return Header{}, err
		}
		pos = end
	}
	h.Body, h.BodyOffset = trimWithOffset(text, pos)
	return h, nil
}

// scanInterpreterName returns the end of `%name(.name)*` starting at pos, or
// -1 when text[pos:] does not start with one. A name part is one or more
// word characters ([A-Za-z0-9_]), as in Zeppelin's `%(\w+(?:\.\w+)*)`.
func scanInterpreterName(text string, pos int) int {
	if pos >= len(text) || text[pos] != '%' {
		return -1
	}
	i := pos + 1
	start := i
	for i < len(text) && isWordByte(text[i]) {
		i++
	}
	if i == start {
		return -1
	}
	for i+1 < len(text) && text[i] == '.' && isWordByte(text[i+1]) {
		i++
		for i < len(text) && isWordByte(text[i]) {
			i++
		}
	}
	return i
}

// parseLocalProperties parses the list that opens at text[open] == '(' into
// props and returns the offset just after the closing ')'.
func parseLocalProperties(text string, open int, props map[string]string) (int, error) {
	var (
		sb       strings.Builder
		key      string
		inQuotes bool
		inValue  bool
		// lastQuoted is the length of sb at the end of the last quoted or
		// escaped run: trimming never cuts into it.
		lastQuoted = -1
		// firstQuoted is the length of sb where the first quoted or
		// escaped run of the current token began.
		firstQuoted = -1
	)
	token := func() string {
		s := sb.String()
		end := len(s)
		for end > 0 && end > lastQuoted && isSpace(s[end-1]) {
			end--
		}
		start := 0
		for start < end && (firstQuoted < 0 || start < firstQuoted) && isSpace(s[start]) {
			start++
		}
		return s[start:end]
	}
	reset := func() {
		sb.Reset()
		lastQuoted, firstQuoted = -1, -1
	}
	markQuoted := func() {
		if firstQuoted < 0 {
			firstQuoted = sb.Len()
		}
	}
	finish := func() error {
		t := token()
		if !inValue {
			if t == "" {
				return eddy.Errorf(eddy.EINVALID, "invalid paragraph header: a local property has an empty key")
			}
			props[t] = t
			return nil
		}
		if key == "" {
			return eddy.Errorf(eddy.EINVALID, "invalid paragraph header: a local property has an empty key")
		}
		props[key] = t
		return nil
	}
	for i := open + 1; i < len(text); i++ {
		ch := text[i]
		switch {
		case ch == '\\':
			if i+1 == len(text) {
				return 0, eddy.Errorf(eddy.EINVALID, "invalid paragraph header: unfinished escape sequence")
			}
			i++
			markQuoted()
			switch text[i] {
			case 'n':
				sb.WriteByte('\n')
			case 't':
				sb.WriteByte('\t')
			default:
				sb.WriteByte(text[i])
			}
			lastQuoted = sb.Len()
		case ch == '"':
			if !inQuotes {
				markQuoted()
			}
			inQuotes = !inQuotes
			lastQuoted = sb.Len()
		case inQuotes:
			sb.WriteByte(ch)
			lastQuoted = sb.Len()
		case ch == ')':
			// "()" and a trailing comma "(a=1,)" leave an empty last pair,
			// which Zeppelin ignores.
			if inValue || token() != "" || firstQuoted >= 0 {
				if err := finish(); err != nil {
					return 0, err
				}
			}
			return i + 1, nil
		case ch == '=':
			if inValue {
				return 0, eddy.Errorf(eddy.EINVALID,
					"invalid paragraph header: local property %q has a second '=' (quote the value)", key)
			}
			key = token()
			inValue = true
			reset()
		case ch == ',':
			if err := finish(); err != nil {
				return 0, err
			}
			key, inValue = "", false
			reset()
		default:
			sb.WriteByte(ch)
		}
	}
	return 0, eddy.Errorf(eddy.EINVALID, "invalid paragraph header: the local property list is not closed with ')'")
}

// trimWithOffset returns text[from:] without surrounding white space and the
// offset of its first byte in text.
func trimWithOffset(text string, from int) (string, int) {
	start, end := from, len(text)
	for start < end && isSpace(text[start]) {
		start++
	}
	for end > start && isSpace(text[end-1]) {
		end--
	}
	return text[start:end], start
}

// isSpace reports whether c is white space as Java's String.trim sees the
// characters that occur in practice (space, tab, CR, LF, FF, VT).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// DisplayMode is how a streaming SELECT's changelog is shown: the `type`
// local property of %flink.ssql.
type DisplayMode string

// Display modes, as Zeppelin's Flink interpreter names them.
const (
	// DisplayUpdate shows the current table: retractions remove rows.
	DisplayUpdate DisplayMode = "update"
	// DisplayAppend shows the newest rows of an insert-only stream.
	DisplayAppend DisplayMode = "append"
	// DisplaySingle shows the latest row rendered through a template.
	DisplaySingle DisplayMode = "single"
)

// ParseDisplayMode parses a `type` value case-insensitively; "" is update,
// Zeppelin's default since 0.9.
func ParseDisplayMode(s string) (DisplayMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "update":
		return DisplayUpdate, nil
	case "append":
		return DisplayAppend, nil
	case "single":
		return DisplaySingle, nil
	}
	return "", eddy.Errorf(eddy.EINVALID, "invalid local property type=%q: must be update, append or single", s)
}

// Defaults and bounds of the local properties.
const (
	// DefaultTemplate is Zeppelin's template for type=single.
	DefaultTemplate = "{0}"
	// DefaultRefreshInterval is how often, at most, a live result is pushed
	// when refreshInterval is not set (Zeppelin pushes every 3 s; Eddy is
	// faster). Rows after a quiet spell are pushed at once, so it bounds
	// freshness only for streams that change more often than this; a
	// smaller default would multiply the updates every viewer receives
	// (docs/freshness.md).
	DefaultRefreshInterval = 500 * time.Millisecond
	// MinRefreshInterval is the smallest refreshInterval honoured; smaller
	// values are raised to it so a paragraph cannot flood its viewers.
	MinRefreshInterval = 100 * time.Millisecond
	// DefaultThreshold is Zeppelin's window for type=append: rows whose
	// first-column timestamp is this much older than the newest are dropped.
	DefaultThreshold = time.Hour
	// MaxParallelismLimit is Flink's upper bound for (max) parallelism.
	MaxParallelismLimit = 32768
)

// LocalProperties are the local properties Eddy understands, typed and
// validated, with Zeppelin's defaults filled in. Properties Eddy does not
// know stay in Header.Properties.
type LocalProperties struct {
	// Type is the display mode of a streaming SELECT (default update).
	Type DisplayMode
	// Template is the HTML template of type=single, with {0}, {1}, ...
	// standing for the columns (default "{0}").
	Template string
	// RefreshInterval is how often the live result is pushed (default
	// 500 ms, never below MinRefreshInterval).
	RefreshInterval time.Duration
	// Threshold is the time window of type=append (default 1 h).
	Threshold time.Duration
	// Parallelism of the paragraph's jobs; 0 means the gateway session's default.
	Parallelism int
	// MaxParallelism of the paragraph's jobs; 0 means Flink's default.
	MaxParallelism int
	// JobName becomes the job's pipeline.name; "" means Flink's default.
	JobName string
	// SavepointDir makes cancel stop the job with a savepoint into it.
	SavepointDir string
	// SavepointPath (execution.savepoint.path) is an explicit savepoint
	// or checkpoint to start from.
	SavepointPath string
	// ResumeFromSavepoint starts from the savepoint recorded by the last
	// cancel of this paragraph.
	ResumeFromSavepoint bool
	// ResumeFromLatestCheckpoint starts from the latest retained checkpoint
	// recorded for this paragraph.
	ResumeFromLatestCheckpoint bool
	// RunAsOne submits all INSERTs of the paragraph as one job.
	RunAsOne bool
}

// LocalProperties returns the typed local properties of h. Values are
// validated: type must be update|append|single (any case), refreshInterval
// and threshold positive integers of milliseconds, parallelism and
// maxParallelism integers in 1..32768 with parallelism <= maxParallelism,
// and the flags true or false (any case; a bare flag such as `runAsOne`
// means true). Zeppelin silently reads a malformed flag as false; Eddy
// reports it. The first invalid property gives an eddy.EINVALID error.
func (h Header) LocalProperties() (LocalProperties, error) {
	p := LocalProperties{
		Type:            DisplayUpdate,
		Template:        DefaultTemplate,
		RefreshInterval: DefaultRefreshInterval,
		Threshold:       DefaultThreshold,
	}
	var err error
	get := func(key string) (string, bool) {
		v, ok := h.Properties[key]
		return v, ok
	}
	if v, ok := get("type"); ok {
		if p.Type, err = ParseDisplayMode(v); err != nil {
			return LocalProperties{}, err
		}
	}
	if v, ok := get("template"); ok {
		p.Template = v
	}
	if v, ok := get("refreshInterval"); ok {
		ms, err := positiveInt("refreshInterval", v, 1<<40)
		if err != nil {
			return LocalProperties{}, err
		}
		p.RefreshInterval = max(time.Duration(ms)*time.Millisecond, MinRefreshInterval)
	}
	if v, ok := get("threshold"); ok {
		ms, err := positiveInt("threshold", v, 1<<40)
		if err != nil {
			return LocalProperties{}, err
		}
		p.Threshold = time.Duration(ms) * time.Millisecond
	}
	if v, ok := get("parallelism"); ok {
		if p.Parallelism, err = positiveInt("parallelism", v, MaxParallelismLimit); err != nil {
			return LocalProperties{}, err
		}
	}
	if v, ok := get("maxParallelism"); ok {
		if p.MaxParallelism, err = positiveInt("maxParallelism", v, MaxParallelismLimit); err != nil {
			return LocalProperties{}, err
		}
	}
	if p.Parallelism > 0 && p.MaxParallelism > 0 && p.Parallelism > p.MaxParallelism {
		return LocalProperties{}, eddy.Errorf(eddy.EINVALID,
			"invalid local properties: parallelism=%d is larger than maxParallelism=%d", p.Parallelism, p.MaxParallelism)
	}
	p.JobName = h.Properties["jobName"]
	p.SavepointDir = h.Properties["savepointDir"]
	p.SavepointPath = h.Properties["execution.savepoint.path"]
	for _, f := range []struct {
		key string
		dst *bool
	}{
		{"resumeFromSavepoint", &p.ResumeFromSavepoint},
		{"resumeFromLatestCheckpoint", &p.ResumeFromLatestCheckpoint},
		{"runAsOne", &p.RunAsOne},
	} {
		v, ok := get(f.key)
		if !ok {
			continue
		}
		switch {
		case v == f.key || strings.EqualFold(v, "true"):
			*f.dst = true
		case strings.EqualFold(v, "false"):
			*f.dst = false
		default:
			return LocalProperties{}, eddy.Errorf(eddy.EINVALID,
				"invalid local property %s=%q: must be true or false", f.key, v)
		}
	}
	return p, nil
}

// positiveInt parses v as an integer in 1..limit.
func positiveInt(key, v string, limit int64) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 1 || n > limit {
		return 0, eddy.Errorf(eddy.EINVALID,
			"invalid local property %s=%q: must be an integer from 1 to %d", key, v, limit)
	}
	return int(n), nil
}
