package kernel

import (
	"context"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/inspect"
)

// inspectEvery is how often a running paragraph's job is inspected. The
// JobManager refreshes its metrics about every 10 s, so looking more often
// mostly sees the same figures.
const inspectEvery = 2 * time.Second

// inspectJob looks at the paragraph's job every inspectEvery until stop is
// called, and once more then (when the job has ended, its state and the
// figures of its last look while it ran): what the job does (operators, watermarks,
// backpressure, checkpoints) and why it shows nothing, if it does not
// (inspect.Diagnosis). The last inspection stays with the run, so a job
// that just finished can still be inspected. statement is the SQL the job
// runs; insert says it is an INSERT (a detached job whose output is not the
// paragraph's table).
func (ex *execution) inspectJob(ctx context.Context, jobID, statement string, insert bool) (stop func()) {
	in := inspect.New(ex.k.jm, jobID, inspect.Options{Statement: statement})
	r := ex.r
	sample := func(ctx context.Context) {
		ins, err := in.Sample(ctx, inspect.Output{Rows: r.rowsReceived(), Insert: insert})
		if err != nil {
			return // the next look tries again; the last inspection stays
		}
		r.update(func() { r.inspection = &ins })
	}
	done := make(chan struct{})
	quit := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(inspectEvery)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				// The job has ended or is ending: one last look, bounded.
				fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
				sample(fctx)
				cancel()
				return
			case <-tick.C:
				sample(ctx)
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// rowsReceived is how many changelog rows the run's current table has
// received, 0 without a table.
func (r *run) rowsReceived() int64 {
	r.mu.Lock()
	m := r.mat
	r.mu.Unlock()
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.received
}
