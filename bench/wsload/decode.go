package main

import (
	"bytes"
	"compress/flate"
	"fmt"
	"hash/maphash"
	"io"
	"strings"
	"sync"
	"sync/atomic"
)

// decodedMsg is a server message decoded: its JSON and what the harness
// reads of it. When shared by clients it is read-only.
type decodedMsg struct {
	data []byte
	msg  serverMsg
}

// decoder turns the messages that clients read into decodedMsgs. Eddy sends
// clients at the same point byte-identical compressed messages, so with
// shared set a compressed payload is inflated and parsed once, by the first
// client that reads it, and the others use that result. It is safe for
// concurrent use.
type decoder struct {
	shared  bool
	cache   *decodeCache // nil unless shared
	decoded atomic.Int64 // messages decoded (inflated if compressed, parsed), by all clients
}

// newDecoder returns a decoder that shares decoded compressed messages
// between clients when shared is true, and lets each client decode its own
// otherwise.
func newDecoder(shared bool) *decoder {
	d := &decoder{shared: shared}
	if shared {
		d.cache = newDecodeCache(decodeCacheBudget)
	}
	return d
}

// decode decodes m, a message as the server sent it. The result is valid
// after m's payload is reused, and must not be changed: it may be shared.
// scratch, when not nil, is where a message decoded for this caller alone
// may keep its JSON (valid until the next call with it).
func (d *decoder) decode(m wireMessage, scratch *bytes.Buffer) (*decodedMsg, error) {
	if m.opcode != opText {
		return nil, fmt.Errorf("server sent a non-text message (opcode %d)", m.opcode)
	}
	if !m.compressed {
		d.decoded.Add(1)
		return parseOwn(m.payload)
	}
	if d.cache == nil {
		d.decoded.Add(1)
		return inflateAndParse(m.payload, scratch)
	}
	return d.cache.get(m.payload, func() (*decodedMsg, error) {
		d.decoded.Add(1)
		return inflateAndParse(m.payload, nil)
	})
}

// parseOwn parses an uncompressed message, keeping data as its JSON.
func parseOwn(data []byte) (*decodedMsg, error) {
	dm := &decodedMsg{data: data}
	if err := parseServerMsg(data, &dm.msg); err != nil {
		return nil, fmt.Errorf("undecodable message: %w", err)
	}
	return dm, nil
}

// deflateTail ends a permessage-deflate payload (RFC 7692 §7.2.2), then
// adds an empty final block so that the flate reader ends without an
// unexpected EOF, as gorilla does.
const deflateTail = "\x00\x00\xff\xff" + "\x01\x00\x00\xff\xff"

// flateReaders keeps inflaters for reuse: each holds tens of KB of state.
var flateReaders = sync.Pool{New: func() any { return flate.NewReader(strings.NewReader("")) }}

// inflateAndParse inflates a permessage-deflate payload into out (a new
// buffer when nil), at most maxIncoming bytes, and parses it.
func inflateAndParse(payload []byte, out *bytes.Buffer) (*decodedMsg, error) {
	if out == nil {
		out = bytes.NewBuffer(make([]byte, 0, 4*len(payload)))
	}
	out.Reset()
	fr := flateReaders.Get().(io.ReadCloser)
	defer flateReaders.Put(fr)
	if err := fr.(flate.Resetter).Reset(io.MultiReader(bytes.NewReader(payload), strings.NewReader(deflateTail)), nil); err != nil {
		return nil, err
	}
	n, err := out.ReadFrom(io.LimitReader(fr, maxIncoming+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("inflate a message: %w", err)
	case n > maxIncoming:
		return nil, fmt.Errorf("a message inflates to over %d bytes", maxIncoming)
	}
	return parseOwn(out.Bytes())
}

// decodeCacheBudget bounds the bytes a decodeCache holds (payloads as
// sent plus their JSON). Past it the cache starts afresh; clients holding
// entries keep them. A few seconds of a live table's updates fit easily.
const decodeCacheBudget = 64 << 20

// decodeCache maps compressed payloads to their decoding, made once per
// payload. It is safe for concurrent use.
type decodeCache struct {
	budget int
	seed   maphash.Seed
	// key hashes a payload; tests replace it to force collisions, which
	// are harmless since entries are matched on the payload itself.
	key func(payload []byte) uint64

	mu      sync.Mutex                 // guards entries and size
	entries map[cacheKey][]*cacheEntry // the entries whose payloads share a key
	size    int                        // bytes held by entries
}

// cacheKey narrows the search for a payload; entries are matched on the
// payload's bytes.
type cacheKey struct {
	hash uint64
	n    int
}

// cacheEntry is one payload and its decoding, made by the first client
// that needs it while the others wait.
type cacheEntry struct {
	payload []byte // a copy of the payload as sent
	once    sync.Once
	dm      *decodedMsg
	err     error
}

func newDecodeCache(budget int) *decodeCache {
	c := &decodeCache{budget: budget, seed: maphash.MakeSeed(), entries: map[cacheKey][]*cacheEntry{}}
	c.key = func(p []byte) uint64 { return maphash.Bytes(c.seed, p) }
	return c
}

// get returns the decoding of payload, calling decode for it unless
// another call did (or is doing) so for the same bytes. decode must not
// keep payload.
func (c *decodeCache) get(payload []byte, decode func() (*decodedMsg, error)) (*decodedMsg, error) {
	e := c.entry(payload)
	e.once.Do(func() {
		e.dm, e.err = decode()
		if e.err != nil {
			return
		}
		c.mu.Lock()
		c.size += len(e.dm.data)
		c.mu.Unlock()
	})
	return e.dm, e.err
}

// entry finds payload's entry or adds one, starting afresh when over
// budget.
func (c *decodeCache) entry(payload []byte) *cacheEntry {
	k := cacheKey{hash: c.key(payload), n: len(payload)}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries[k] {
		if bytes.Equal(e.payload, payload) {
			return e
		}
	}
	if c.size+len(payload) > c.budget {
		c.entries, c.size = map[cacheKey][]*cacheEntry{}, 0
	}
	e := &cacheEntry{payload: bytes.Clone(payload)}
	c.entries[k] = append(c.entries[k], e)
	c.size += len(payload)
	return e
}
