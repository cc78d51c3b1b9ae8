package kernel

import "github.com/eddy-notebooks/eddy/notebooks"

// ViewOf returns p, a paragraph as stored, as a viewer should see it now,
// given its live state in this process (from Kernel.Live; hasLive is false
// when it has none).
//
// While the paragraph runs (live status RUNNING or PENDING) its live state
// wins over the stored result, which lags behind: ViewOf returns a copy of
// p with the live status and progress, and as result what the run has
// shown so far: the finished statements' messages, then the live table in
// Zeppelin's TABLE text, or the rendered HTML for type=single. Once the run
// has ended, the result the kernel stored at its end is what every viewer
// sees, live or not, and ViewOf returns p itself; the live state then only
// adds what the stored result does not hold, the job link and the timings.
// p is never modified.
func ViewOf(p *notebooks.Paragraph, live ParagraphLive, hasLive bool) *notebooks.Paragraph {
	if !hasLive || !live.Status.Active() {
		return p
	}
	cp := *p
	cp.Status, cp.Progress = live.Status, live.Progress
	msgs := append([]notebooks.ResultMessage(nil), live.Messages...)
	if r := live.Result; r != nil && r.Snapshot != nil {
		if r.Snapshot.Mode == DisplaySingle {
			msgs = append(msgs, notebooks.ResultMessage{Type: notebooks.MessageHTML, Data: r.Rendered})
		} else {
			msgs = append(msgs, r.Snapshot.Message())
		}
	}
	cp.Results = &notebooks.Result{Code: notebooks.ResultSuccess, Msg: msgs}
	return &cp
}
