package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// wireFrame is an unmasked server frame: b0 (FIN, RSV and opcode) and
// the payload, with the shortest length encoding unless long forces the
// 64-bit one.
func wireFrame(b0 byte, payload []byte, long bool) []byte {
	n := len(payload)
	out := []byte{b0}
	switch {
	case long || n > 65535:
		out = append(out, 127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	case n > 125:
		out = append(out, 126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, byte(n))
	}
	return append(out, payload...)
}

func TestFrameReader_Next(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 70_000)
	mid := bytes.Repeat([]byte("y"), 300)
	concat := func(frames ...[]byte) []byte { return bytes.Join(frames, nil) }

	tests := []struct {
		name       string
		wire       []byte
		want       string // payload of the one message; "" when an error is wanted
		compressed bool
		pings      []string // payloads handed to control, in order
		err        string   // part of the wanted error
	}{
		{name: "7-bit length", wire: wireFrame(bitFin|opText, []byte("hi"), false), want: "hi"},
		{name: "16-bit length", wire: wireFrame(bitFin|opText, mid, false), want: string(mid)},
		{name: "64-bit length", wire: wireFrame(bitFin|opText, big, false), want: string(big)},
		{name: "64-bit length of a short payload", wire: wireFrame(bitFin|opText, []byte("ab"), true), want: "ab"},
		{
			name: "fragments with control frames between them",
			wire: concat(
				wireFrame(bitRSV1|opText, []byte("one "), false),
				wireFrame(bitFin|opPing, []byte("p1"), false),
				wireFrame(opContinuation, mid, false),
				wireFrame(bitFin|opPong, []byte("q"), false),
				wireFrame(bitFin|opPing, nil, false),
				wireFrame(bitFin|opContinuation, []byte(" three"), false),
			),
			want: "one " + string(mid) + " three", compressed: true,
			pings: []string{"ping p1", "pong q", "ping "},
		},
		{name: "close", wire: wireFrame(bitFin|opClose, []byte{0x03, 0xe8, 'b', 'y', 'e'}, false), err: `status 1000 "bye"`},
		{name: "continuation first", wire: wireFrame(bitFin|opContinuation, []byte("x"), false), err: "continuation frame without a message"},
		{
			name: "new message inside one",
			wire: concat(wireFrame(opText, []byte("a"), false), wireFrame(bitFin|opText, []byte("b"), false)),
			err:  "before the last one's final frame",
		},
		{
			name: "RSV1 on a continuation",
			wire: concat(wireFrame(opText, []byte("a"), false), wireFrame(bitFin|bitRSV1|opContinuation, []byte("b"), false)),
			err:  "RSV1 set on a continuation",
		},
		{name: "masked", wire: []byte{bitFin | opText, bitMask | 1, 0, 0, 0, 0, 'x'}, err: "masked frame"},
		{name: "RSV2", wire: wireFrame(bitFin|0x20|opText, []byte("x"), false), err: "RSV2 or RSV3"},
		{name: "fragmented ping", wire: wireFrame(opPing, nil, false), err: "fragmented or compressed control frame"},
		{name: "frame over the bound", wire: wireFrame(bitFin|opText, big, false)[:10], err: "over 1000"},
		{
			name: "message over the bound in fragments",
			wire: concat(wireFrame(opText, mid, false), wireFrame(opContinuation, mid, false),
				wireFrame(opContinuation, mid, false), wireFrame(bitFin|opContinuation, mid, false)),
			err: "message over 1000 bytes",
		},
		{name: "truncated", wire: wireFrame(bitFin|opText, mid, false)[:100], err: "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pings []string
			control := func(op byte, p []byte) error {
				kind := map[byte]string{opPing: "ping", opPong: "pong"}[op]
				pings = append(pings, kind+" "+string(p))
				return nil
			}
			limit := 100_000
			if strings.Contains(tt.err, "1000") {
				limit = 1000
			}
			f := newFrameReader(bytes.NewReader(tt.wire), limit, control)
			m, err := f.next()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(m.payload) != tt.want || m.compressed != tt.compressed || m.opcode != opText {
				t.Fatalf("got %d bytes (compressed %t, opcode %d), want %d bytes (compressed %t)",
					len(m.payload), m.compressed, m.opcode, len(tt.want), tt.compressed)
			}
			if strings.Join(pings, "|") != strings.Join(tt.pings, "|") {
				t.Fatalf("control frames %q, want %q", pings, tt.pings)
			}
		})
	}
}

func TestFrameReader_Close(t *testing.T) {
	f := newFrameReader(bytes.NewReader(wireFrame(bitFin|opClose, nil, false)), 100, nil)
	if _, err := f.next(); !errors.Is(err, errServerClosed) {
		t.Fatalf("error %v, want errServerClosed", err)
	}
}

func TestHandshakeEnd(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		rest, err := handshakeEnd([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi"))
		if err != nil || string(rest) != "\x81\x02hi" {
			t.Fatalf("got %q, %v", rest, err)
		}
	})
	t.Run("NoEnd", func(t *testing.T) {
		if _, err := handshakeEnd([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n")); err == nil {
			t.Fatal("no error for a response cut short")
		}
	})
}
