package main

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// The harness's clients run on the machine they measure, so they read only
// what they check: parseServerMsg walks a message once and skips every
// value it does not need (rows, cells, notes) byte by byte, without
// decoding it. A few thousand clients then cost a fraction of a core.

// parseServerMsg reads data into m.
func parseServerMsg(data []byte, m *serverMsg) error {
	s := &scanner{b: data}
	s.object(func(key string) {
		switch key {
		case "op":
			m.Op = s.str()
		case "for":
			m.For = s.str()
		case "code":
			m.Code = s.str()
		case "message":
			m.Message = s.str()
		case "protocol":
			m.Protocol = int(s.int())
		case "noteId":
			m.NoteID = s.str()
		case "reason":
			m.Reason = s.str()
		case "full":
			m.Full = s.bool()
		case "sentAt":
			m.SentAt = s.int()
		case "paragraphs":
			s.array(func() {
				var p liveParagraph
				s.object(func(key string) {
					switch key {
					case "paragraphId":
						p.ParagraphID = s.str()
					case "status":
						p.Status = s.str()
					case "errorMessage":
						p.ErrorMessage = s.str()
					case "result":
						if s.null() {
							return
						}
						p.Result = &liveResult{}
						s.result(p.Result)
					default:
						s.skipValue()
					}
				})
				m.Paragraphs = append(m.Paragraphs, p)
			})
		default:
			s.skipValue()
		}
	})
	return s.err
}

// result reads a kernel.LiveResult: its sequence, the snapshot's version
// and counts, and each delta's versions, time and counts.
func (s *scanner) result(r *liveResult) {
	s.object(func(key string) {
		switch key {
		case "seq":
			r.Seq = s.int()
		case "snapshot":
			if s.null() {
				return
			}
			r.Snapshot = &liveSnapshot{}
			s.object(func(key string) {
				switch key {
				case "version":
					r.Snapshot.Version = s.int()
				case "rowsReceived":
					r.Snapshot.RowsReceived = s.int()
				default:
					s.skipValue()
				}
			})
		case "deltas":
			s.array(func() {
				var d liveDelta
				s.object(func(key string) {
					switch key {
					case "fromVersion":
						d.FromVersion = s.int()
					case "version":
						d.Version = s.int()
					case "at":
						d.At = s.int()
					case "rowsReceived":
						d.RowsReceived = s.int()
					case "reset":
						d.Reset = s.bool()
					default:
						s.skipValue()
					}
				})
				r.Deltas = append(r.Deltas, d)
			})
		default:
			s.skipValue()
		}
	})
}

// scanner walks JSON text. The first error stops it (every method then
// does nothing) and is kept in err.
type scanner struct {
	b   []byte
	i   int
	err error
}

func (s *scanner) fail(what string) {
	if s.err == nil {
		s.err = fmt.Errorf("invalid JSON at byte %d: %s", s.i, what)
	}
	s.i = len(s.b)
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte (0 at the end).
func (s *scanner) peek() byte {
	s.space()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *scanner) expect(c byte) bool {
	if s.peek() != c {
		s.fail("want " + string(c))
		return false
	}
	s.i++
	return true
}

// object calls f for each key; f must read or skip the value.
func (s *scanner) object(f func(key string)) {
	if !s.expect('{') {
		return
	}
	if s.peek() == '}' {
		s.i++
		return
	}
	for s.err == nil {
		key := s.str()
		if !s.expect(':') {
			return
		}
		f(key)
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return
		default:
			s.fail("want , or }")
		}
	}
}

// array calls f for each element; f must read or skip it. null is empty.
func (s *scanner) array(f func()) {
	if s.null() {
		return
	}
	if !s.expect('[') {
		return
	}
	if s.peek() == ']' {
		s.i++
		return
	}
	for s.err == nil {
		f()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return
		default:
			s.fail("want , or ]")
		}
	}
}

// null consumes a null and reports whether there was one.
func (s *scanner) null() bool {
	if s.peek() == 'n' && len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// stringEnd returns the index after the string starting at s.i and
// whether it holds escapes.
func (s *scanner) stringEnd() (int, bool) {
	escaped := false
	for j := s.i + 1; j < len(s.b); j++ {
		switch s.b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped
		}
	}
	s.fail("unterminated string")
	return len(s.b), false
}

func (s *scanner) str() string {
	if s.null() {
		return ""
	}
	if s.peek() != '"' {
		s.fail("want a string")
		return ""
	}
	end, escaped := s.stringEnd()
	raw := s.b[s.i:end]
	s.i = end
	if !escaped {
		return string(raw[1 : len(raw)-1])
	}
	var out string
	if err := json.Unmarshal(raw, &out); err != nil {
		s.fail(err.Error())
	}
	return out
}

func (s *scanner) literalEnd() int {
	j := s.i
	for j < len(s.b) {
		switch s.b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	return j
}

func (s *scanner) int() int64 {
	s.space()
	end := s.literalEnd()
	n, err := strconv.ParseInt(string(s.b[s.i:end]), 10, 64)
	if err != nil {
		s.fail("want an integer")
		return 0
	}
	s.i = end
	return n
}

func (s *scanner) bool() bool {
	s.space()
	end := s.literalEnd()
	v := string(s.b[s.i:end])
	if v != "true" && v != "false" {
		s.fail("want a boolean")
		return false
	}
	s.i = end
	return v == "true"
}

// skipValue passes over one value of any kind without decoding it.
func (s *scanner) skipValue() {
	switch s.peek() {
	case '"':
		s.i, _ = s.stringEnd()
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				s.i, _ = s.stringEnd()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return
				}
			}
			s.i++
		}
		s.fail("unterminated value")
	case 0:
		s.fail("want a value")
	default:
		end := s.literalEnd()
		if end == s.i {
			s.fail("want a value")
		}
		s.i = end
	}
}
