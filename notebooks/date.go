package notebooks

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DateLayout is how Zeppelin writes dates in note files: wall-clock time
// with milliseconds and no zone. Eddy writes UTC.
const DateLayout = "2006-01-02 15:04:05.000"

// Date is a paragraph timestamp. The zero Date means "not set" and is not
// written.
type Date struct{ time.Time }

// NewDate returns t as a Date in UTC, to the millisecond.
func NewDate(t time.Time) Date { return Date{t.UTC().Truncate(time.Millisecond)} }

// ParseDate reads a date in any form Zeppelin writes or accepts.
func ParseDate(s string) (Date, error) {
	// The forms Zeppelin accepts on read, in the order tried.
	layouts := [...]string{
		DateLayout,
		"2006-01-02 15:04:05",
		"Jan 2, 2006 3:04:05 PM",
		"Jan 2, 2006 15:04:05",
		time.RFC3339Nano,
		"2006-01-02T15:04:05Z0700",
		"2006-01-02T15:04:05.000Z0700",
	}
	// Java 20+ writes a narrow no-break space before AM/PM.
	s = strings.NewReplacer("\u202f", " ", "\u00a0", " ").Replace(strings.TrimSpace(s))
	for _, layout := range layouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return NewDate(t), nil
		}
	}
	return Date{}, fmt.Errorf("unrecognised date %q", s)
}

// String returns the date in DateLayout, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.UTC().Format(DateLayout)
}

// MarshalJSON writes the date in DateLayout, or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON reads a date string in any accepted form, epoch
// milliseconds, or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		ms, nerr := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if nerr != nil {
			return fmt.Errorf("date: %w", err)
		}
		*d = NewDate(time.UnixMilli(ms))
		return nil
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
