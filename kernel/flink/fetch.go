package flink

import (
	"context"
	"time"
)

// Poll delays while an operation has nothing new: short at first so rows
// show up fast, growing to maxPoll so an idle stream costs little. The
// gateway has no long poll, so rows that reach it while a Fetcher sleeps
// wait maxPoll/2 on average: at 50 ms that is small beside the 100 ms the
// gateway's own collect fetcher sleeps between empty polls of the job,
// for 20 cheap requests a second per idle live query (docs/freshness.md).
const (
	minPoll = 10 * time.Millisecond
	maxPoll = 50 * time.Millisecond
)

// Fetcher reads one operation's result pages in token order. It is owned by
// one goroutine: the gateway accepts only the current token (or a re-fetch
// of the previous one), so two readers of one operation would break it.
type Fetcher struct {
	g         *Gateway
	session   string
	operation string
	token     int64
	format    RowFormat
	delay     time.Duration
	done      bool

	// Columns come with the first PAYLOAD page (the EOS page does not repeat
	// them); JobID with the first page that names the job, which can be a
	// later one: a query's first pages may come before its job is submitted.
	Columns []Column
	JobID   string
}

// NewFetcher returns a Fetcher positioned at the first page of operation,
// reading fields as JSON values.
func (g *Gateway) NewFetcher(session, operation string) *Fetcher {
	return &Fetcher{g: g, session: session, operation: operation, format: RowFormatJSON, delay: minPoll}
}

// NewTextFetcher is NewFetcher reading every field as the string Flink
// prints for it (RowFormatText), or nil: what a notebook shows.
func (g *Gateway) NewTextFetcher(session, operation string) *Fetcher {
	f := g.NewFetcher(session, operation)
	f.format = RowFormatText
	return f
}

// Next waits until rows arrive or the result ends and returns the new rows.
// more is false once the result has ended (EOS); an unbounded stream never
// ends. Next returns early with the rows so far if ctx ends.
func (f *Fetcher) Next(ctx context.Context) (rows []Row, more bool, err error) {
	for !f.done {
		page, err := f.g.FetchResults(ctx, f.session, f.operation, f.token, f.format)
		if err != nil {
			return nil, true, err
		}
		if f.JobID == "" {
			f.JobID = page.JobID
		}
		switch page.ResultType {
		case ResultNotReady:
			// The statement is still being planned or submitted; same token again.
		case ResultEOS:
			f.done = true
			return page.Rows, false, nil
		default: // PAYLOAD
			first := f.Columns == nil
			if first {
				f.Columns = page.Columns
				if f.Columns == nil {
					f.Columns = []Column{}
				}
			}
			if page.NextToken < 0 {
				f.done = true
				return page.Rows, false, nil
			}
			f.token = page.NextToken
			if len(page.Rows) > 0 || first {
				f.delay = minPoll
				return page.Rows, true, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, true, ctx.Err()
		case <-time.After(f.delay):
		}
		f.delay = min(f.delay*2, maxPoll)
	}
	return nil, false, nil
}

// All reads the whole result of a bounded operation, up to limit rows
// (limit <= 0: no limit), and returns them with the Fetcher's metadata.
func (f *Fetcher) All(ctx context.Context, limit int) ([]Row, error) {
	var out []Row
	for {
		rows, more, err := f.Next(ctx)
		if err != nil {
			return out, err
		}
		out = append(out, rows...)
		if !more || (limit > 0 && len(out) >= limit) {
			return out, nil
		}
	}
}

// Run executes a statement whose result is small and bounded (DDL, SET,
// SHOW, EXPLAIN) in session, waits for it, reads up to limit rows (limit <=
// 0: all) and closes the operation, even when ctx has ended. A statement
// Flink rejects fails with an *APIError carrying Flink's root cause.
func (g *Gateway) Run(ctx context.Context, session, statement string, limit int) ([]Row, error) {
	op, err := g.ExecuteStatement(ctx, session, statement, nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		_ = g.CloseOperation(closeCtx, session, op)
		cancel()
	}()
	return g.NewFetcher(session, op).All(ctx, limit)
}
