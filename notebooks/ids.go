package notebooks

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// NoteIDAlphabet is the 32 symbols of Zeppelin note ids: 1-9 and A-Z without
// I, L and O.
const NoteIDAlphabet = "123456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NoteIDLen is the length of a note id.
const NoteIDLen = 9

// maxParagraphIDLen bounds a paragraph id kept from an imported note.
const maxParagraphIDLen = 128

// NewNoteID returns a random note id in Zeppelin's form, e.g. "2F2YS7PCE".
func NewNoteID() string {
	var buf [NoteIDLen]byte
	_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails on supported platforms
	for i, b := range buf {
		buf[i] = NoteIDAlphabet[int(b)%len(NoteIDAlphabet)] // 256 is a multiple of 32: no bias
	}
	return string(buf[:])
}

// ValidNoteID reports whether id has Zeppelin's note id form.
func ValidNoteID(id string) bool {
	if len(id) != NoteIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if strings.IndexByte(NoteIDAlphabet, id[i]) < 0 {
			return false
		}
	}
	return true
}

// NewParagraphID returns a paragraph id in Zeppelin's form
// "paragraph_<epochMillis>_<int>", e.g. "paragraph_1579053946947_-1754951794".
func NewParagraphID(now time.Time) string {
	var buf [4]byte
	_, _ = rand.Read(buf[:])
	n := int32(binary.BigEndian.Uint32(buf[:]))
	return "paragraph_" + strconv.FormatInt(now.UnixMilli(), 10) + "_" + strconv.FormatInt(int64(n), 10)
}

// ValidParagraphID reports whether id can be kept as a paragraph id: any of
// Zeppelin's styles (paragraph_<ms>_<int>, ≤ 0.7's 20150210-015302_1492795503)
// and anything else made of letters, digits and _ - . : that fits in a URL
// path segment.
func ValidParagraphID(id string) bool {
	if id == "" || len(id) > maxParagraphIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_' || c == '-' || c == '.' || c == ':':
		default:
			return false
		}
	}
	return true
}

// NewRevisionID returns a random revision id: 40 hex digits, the shape of
// the git commit ids Zeppelin uses as revision ids.
func NewRevisionID() string {
	var buf [20]byte
	_, _ = rand.Read(buf[:])
	return hex.EncodeToString(buf[:])
}
