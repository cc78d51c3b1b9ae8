package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/eddy-notebooks/eddy/kernel"
)

// reference is what the one reference client of a phase does beyond the
// others: it decodes the query's live results in full, keeps the table by
// the kernel's own ApplyDelta (which refuses a changed row the table lacks,
// so the changed-cells form is checked end to end), and prices every update
// in the old protocol: each touched row whole, uncompressed. All clients at
// the same point receive the same update, so its price is the baseline of
// "bytes per viewer per update" for all of them.
type reference struct {
	rows []kernel.Row // the query's table, at the sequence the client holds
}

// liveFull is a live message decoded in full.
type liveFull struct {
	Paragraphs []struct {
		ParagraphID string             `json:"paragraphId"`
		Result      *kernel.LiveResult `json:"result"`
	} `json:"paragraphs"`
}

// follow applies the query paragraph's result in data and returns what the
// message would have weighed on the wire in the old protocol: its JSON with
// every changed row sent whole, plus the frame header, uncompressed.
func (r *reference) follow(data []byte, queryPID string) (int64, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m liveFull
	if err := dec.Decode(&m); err != nil {
		return 0, fmt.Errorf("reference client: %w", err)
	}
	size := int64(len(data))
	for _, p := range m.Paragraphs {
		if p.ParagraphID != queryPID || p.Result == nil {
			continue
		}
		if p.Result.Snapshot != nil {
			r.rows = p.Result.Snapshot.Rows
			continue
		}
		for _, d := range p.Result.Deltas {
			rows, err := kernel.ApplyDelta(r.rows, d)
			if err != nil {
				return 0, fmt.Errorf("reference client: %w", err)
			}
			r.rows = rows
			now, err := json.Marshal(d)
			if err != nil {
				return 0, err
			}
			then, err := json.Marshal(wholeRows(d, rows))
			if err != nil {
				return 0, err
			}
			size += int64(len(then) - len(now))
		}
	}
	return size + frameHeader(size), nil
}

// wholeRows is d as the old protocol sent it: the changed rows whole, with
// their index in rows (the table at d's version), among the upserts.
func wholeRows(d kernel.Delta, rows []kernel.Row) kernel.Delta {
	if len(d.Changed) == 0 {
		return d
	}
	changed := make(map[int64]bool, len(d.Changed))
	for _, c := range d.Changed {
		changed[c.ID] = true
	}
	upserted := make(map[int64]bool, len(d.Upserts))
	for _, u := range d.Upserts {
		upserted[u.ID] = true
	}
	old := d
	old.Changed, old.Upserts = nil, nil
	for i, row := range rows {
		if changed[row.ID] || upserted[row.ID] {
			old.Upserts = append(old.Upserts, kernel.DeltaRow{ID: row.ID, Index: i, Fields: row.Fields})
		}
	}
	return old
}

// frameHeader is the size of an unmasked server frame's header for a
// payload of n bytes (RFC 6455 §5.2).
func frameHeader(n int64) int64 {
	switch {
	case n > 65535:
		return 10
	case n > 125:
		return 4
	}
	return 2
}
