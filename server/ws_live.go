package server

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/eddy-notebooks/eddy/kernel"
)

// liveCacheEntries bounds the encoded paragraph states kept; past it the
// cache starts afresh (entries are only worth keeping for one publish).
const liveCacheEntries = 1024

// liveCache encodes a paragraph's live state once for every viewer that is
// at the same point. Viewers of one live table are nearly always at the
// same result sequence, so N viewers cost one encoding of each delta, not N.
// Safe for concurrent use by the connections' writers.
type liveCache struct {
	metrics Metrics // encode time; set before use

	mu      sync.Mutex
	entries map[string][]byte
}

// encode returns pl as JSON. The key names everything pl depends on: the
// note, the paragraph, the result sequence the viewer had (prev) and the one
// it gets, whether it gets a snapshot, and the status fields' fingerprint.
func (lc *liveCache) encode(noteID string, prev int64, status uint64, pl kernel.ParagraphLive) json.RawMessage {
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
		return b
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
	return b
}
