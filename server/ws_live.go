package server

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eddy-notebooks/eddy/kernel"
)

// liveCacheEntries bounds the encoded paragraph states kept, liveFrames the
// prepared live frames and liveFrameBytes their payload bytes; past a bound
// the cache starts afresh (entries are only worth keeping for one publish).
const (
	liveCacheEntries = 1024
	liveFrames       = 256
	liveFrameBytes   = 32 << 20
	// sharedMinBytes is the size from which any message is sent as a
	// prepared frame shared by content (see liveCache.shared); smaller ones
	// are written uncompressed, which costs less than deflating them.
	sharedMinBytes = 1024
	// sessionTTL is how long a note's session state, as JSON, is reused
	// for every viewer: its metered fields (KPU-hours, cost) change at every
	// call, and viewers that got different bytes could not share frames.
	// The session panel shows KPU-hours to 0.001 (1.2 s at 3 KPUs).
	sessionTTL = time.Second
)

// liveCache encodes live state once for every viewer that is at the same
// point. Viewers of one live table are nearly always at the same result
// sequence, so N viewers cost one encoding of each paragraph's state and one
// frame (a websocket.PreparedMessage, which also compresses once per
// compression setting), not N. Safe for concurrent use by the connections'
// writers.
type liveCache struct {
	metrics Metrics // encode time; set before use

	seed maphash.Seed // for content keys; set before use

	mu         sync.Mutex
	entries    map[string][]byte
	frames     map[string]*liveFrame
	frameBytes int
	sessions   map[string]sessionJSON // by note id
	// signals counts, per note, the live-state changes the sessions
	// signalled: a session state read before the latest is not reused, so
	// a signalled change (a session stopping, a job ending) always reaches
	// viewers, while reads between signals are shared.
	signals map[string]uint64
}

// signalled records that the note's live state changed.
func (lc *liveCache) signalled(noteID string) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.signals == nil || len(lc.signals) >= liveCacheEntries {
		lc.signals = make(map[string]uint64, 16)
		lc.sessions = nil // their signal counts are gone with the map
	}
	lc.signals[noteID]++
}

// sessionJSON is a note's session state as sent, and when it was read.
type sessionJSON struct {
	at     time.Time
	signal uint64 // the note's signal count when it was read
	b      []byte
}

// session returns the note's session state as JSON ("null" for none),
// reading it with get at most once per sessionTTL and per signalled change.
func (lc *liveCache) session(noteID string, get func() any) []byte {
	now := time.Now()
	lc.mu.Lock()
	e, ok := lc.sessions[noteID]
	signal := lc.signals[noteID]
	lc.mu.Unlock()
	if ok && e.signal == signal && now.Sub(e.at) < sessionTTL {
		return e.b
	}
	b, err := json.Marshal(get())
	if err != nil {
		b = []byte("null")
	}
	lc.mu.Lock()
	if lc.sessions == nil || len(lc.sessions) >= liveCacheEntries {
		lc.sessions = make(map[string]sessionJSON, 16)
	}
	lc.sessions[noteID] = sessionJSON{at: now, signal: signal, b: b}
	lc.mu.Unlock()
	return b
}

// liveFrame is one live message, built by the first writer that needs it;
// the others wait for it (once) instead of building it again.
type liveFrame struct {
	once sync.Once
	pm   *websocket.PreparedMessage
	size int    // payload bytes, uncompressed
	data []byte // the payload, for frames named by their content
}

// encode returns pl as JSON and the key naming it. The key names everything
// pl depends on: the note, the paragraph, the result sequence the viewer had
// (prev) and the one it gets, whether it gets a snapshot, and the status
// fields' fingerprint.
func (lc *liveCache) encode(noteID string, prev int64, status uint64, pl kernel.ParagraphLive) (json.RawMessage, string) {
	var seq int64 = -1
	snapshot := false
	if pl.Result != nil {
		seq, snapshot = pl.Result.Seq, pl.Result.Snapshot != nil
	}
	key := noteID + "\x00" + pl.ParagraphID + "\x00" + strconv.FormatInt(prev, 10) + "\x00" +
		strconv.FormatInt(seq, 10) + "\x00" + strconv.FormatBool(snapshot) + "\x00" + strconv.FormatUint(status, 16)
	lc.mu.Lock()
	b, ok := lc.entries[key]
	lc.mu.Unlock()
	if ok {
		return b, key
	}
	start := time.Now()
	b, err := json.Marshal(pl)
	lc.metrics.ObserveDeltaEncode(time.Since(start))
	if err != nil {
		b = []byte("null")
	}
	lc.mu.Lock()
	if lc.entries == nil || len(lc.entries) >= liveCacheEntries {
		lc.entries = make(map[string][]byte, 64)
	}
	lc.entries[key] = b
	lc.mu.Unlock()
	return b, key
}

// frame returns the prepared message named key, building it with build the
// first time. key must name everything build's message depends on.
func (lc *liveCache) frame(key string, build func() []byte) (*websocket.PreparedMessage, int) {
	f := lc.frameEntry(key, build)
	return f.pm, f.size
}

// frameEntry returns the frame named key, built once with build.
func (lc *liveCache) frameEntry(key string, build func() []byte) *liveFrame {
	lc.mu.Lock()
	f := lc.frames[key]
	if f == nil {
		if lc.frames == nil || len(lc.frames) >= liveFrames || lc.frameBytes >= liveFrameBytes {
			lc.frames, lc.frameBytes = make(map[string]*liveFrame, 16), 0
		}
		f = &liveFrame{}
		lc.frames[key] = f
	}
	lc.mu.Unlock()
	f.once.Do(func() {
		b := build()
		f.data = b
		pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
		if err != nil { // only for an invalid message type
			return
		}
		f.pm, f.size = pm, len(b)
		lc.mu.Lock()
		lc.frameBytes += len(b)
		lc.mu.Unlock()
	})
	return f
}

// shared returns b as a prepared message shared by every connection that
// sends the same bytes (a note event goes to all followers, a subscribe's
// note to every viewer of the note), so it is compressed once, not once per
// connection. It returns nil for a message under sharedMinBytes, and in
// the unlikely case that other bytes hold b's key; the caller then writes
// b itself.
func (lc *liveCache) shared(b []byte) *websocket.PreparedMessage {
	if len(b) < sharedMinBytes {
		return nil
	}
	key := "content\x00" + strconv.FormatUint(maphash.Bytes(lc.seed, b), 16) + "\x00" + strconv.Itoa(len(b))
	f := lc.frameEntry(key, func() []byte { return b })
	if !bytes.Equal(f.data, b) {
		return nil
	}
	return f.pm
}
