package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Websocket opcodes and header bits of RFC 6455 §5.2.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa

	bitFin  = 0x80
	bitRSV1 = 0x40 // permessage-deflate: the message is compressed
	bitRSV  = 0x70 // RSV1, RSV2, RSV3
	bitMask = 0x80

	maxControlPayload = 125
)

// errServerClosed is returned by frameReader.next after a close frame.
var errServerClosed = errors.New("the server closed the connection")

// frameReader reads a server's websocket messages frame by frame from the
// connection, so that a client sees a compressed message's payload as sent
// and decides itself how to decode it. It is used by one goroutine.
type frameReader struct {
	r   *bufio.Reader
	max int    // bound of a message's payload, as sent; larger ones are refused
	buf []byte // the message being assembled, reused
	hdr [8]byte
	// control is called with each ping and pong, which may arrive between
	// the frames of a message. An error from it ends the read.
	control func(op byte, payload []byte) error
}

// wireMessage is one data message as the server sent it. payload is the
// frames' payloads joined: deflated when compressed. It is valid until the
// next call of next.
type wireMessage struct {
	opcode     byte // opText or opBinary
	compressed bool // RSV1 was set on its first frame
	payload    []byte
}

// newFrameReader reads messages from r, which starts at a frame
// boundary, refusing any over max bytes.
func newFrameReader(r io.Reader, max int, control func(op byte, payload []byte) error) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, 4096), max: max, control: control}
}

// frameHead is a frame's header.
type frameHead struct {
	fin, rsv1 bool
	opcode    byte
	length    int
}

// next reads frames up to the last byte of the next data message's last
// frame. It answers control frames met on the way through control, and
// returns errServerClosed (wrapped) after a close frame.
func (f *frameReader) next() (wireMessage, error) {
	var m wireMessage
	started := false
	f.buf = f.buf[:0]
	for {
		h, err := f.head()
		if err != nil {
			return m, err
		}
		if h.opcode >= opClose {
			if err := f.controlFrame(h); err != nil {
				return m, err
			}
			continue
		}
		switch {
		case h.opcode == opContinuation && !started:
			return m, errors.New("websocket: continuation frame without a message")
		case h.opcode != opContinuation && started:
			return m, errors.New("websocket: new message before the last one's final frame")
		case h.opcode != opContinuation && h.opcode != opText && h.opcode != opBinary:
			return m, fmt.Errorf("websocket: unknown opcode %d", h.opcode)
		case h.rsv1 && started:
			return m, errors.New("websocket: RSV1 set on a continuation frame")
		}
		if !started {
			started, m.opcode, m.compressed = true, h.opcode, h.rsv1
		}
		if h.length > f.max-len(f.buf) {
			return m, fmt.Errorf("websocket: message over %d bytes", f.max)
		}
		n := len(f.buf)
		f.buf = slices.Grow(f.buf, h.length)[:n+h.length]
		if _, err := io.ReadFull(f.r, f.buf[n:]); err != nil {
			return m, err
		}
		if h.fin {
			m.payload = f.buf
			return m, nil
		}
	}
}

// head reads a frame's header: a server's frames are unmasked, and the
// extension bits other than RSV1 are not used.
func (f *frameReader) head() (frameHead, error) {
	b := f.hdr[:2]
	if _, err := io.ReadFull(f.r, b); err != nil {
		return frameHead{}, err
	}
	h := frameHead{fin: b[0]&bitFin != 0, rsv1: b[0]&bitRSV1 != 0, opcode: b[0] & 0x0f}
	if b[0]&bitRSV&^bitRSV1 != 0 {
		return h, errors.New("websocket: RSV2 or RSV3 set")
	}
	if b[1]&bitMask != 0 {
		return h, errors.New("websocket: masked frame from the server")
	}
	switch n := b[1] &^ bitMask; n {
	case 126:
		if _, err := io.ReadFull(f.r, f.hdr[:2]); err != nil {
			return h, err
		}
		h.length = int(binary.BigEndian.Uint16(f.hdr[:2]))
	case 127:
		if _, err := io.ReadFull(f.r, f.hdr[:8]); err != nil {
			return h, err
		}
		n64 := binary.BigEndian.Uint64(f.hdr[:8])
		if n64 > uint64(f.max) {
			return h, fmt.Errorf("websocket: message over %d bytes (a frame of %d)", f.max, n64)
		}
		h.length = int(n64)
	default:
		h.length = int(n)
	}
	return h, nil
}

// controlFrame reads a control frame's payload and hands a ping or pong to
// f.control; a close frame ends the read.
func (f *frameReader) controlFrame(h frameHead) error {
	switch {
	case !h.fin || h.rsv1:
		return errors.New("websocket: fragmented or compressed control frame")
	case h.length > maxControlPayload:
		return fmt.Errorf("websocket: control frame of %d bytes", h.length)
	case h.opcode != opClose && h.opcode != opPing && h.opcode != opPong:
		return fmt.Errorf("websocket: unknown opcode %d", h.opcode)
	}
	var b [maxControlPayload]byte
	p := b[:h.length]
	if _, err := io.ReadFull(f.r, p); err != nil {
		return err
	}
	if h.opcode == opClose {
		return fmt.Errorf("%w: %s", errServerClosed, describeClose(p))
	}
	if f.control == nil {
		return nil
	}
	return f.control(h.opcode, p)
}

// describeClose renders a close frame's payload: its code and reason.
func describeClose(p []byte) string {
	if len(p) < 2 {
		return "no status"
	}
	return fmt.Sprintf("status %d %q", binary.BigEndian.Uint16(p), p[2:])
}

// handshakeEnd returns what follows the HTTP response at the start of
// head: bytes of the first frames that gorilla's reader took with the
// response. A 101 response has no body, so it ends at the first blank line.
func handshakeEnd(head []byte) ([]byte, error) {
	i := bytes.Index(head, []byte("\r\n\r\n"))
	if i < 0 {
		return nil, errors.New("the handshake response's end was not among the bytes kept")
	}
	return head[i+4:], nil
}
