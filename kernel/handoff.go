package kernel

import (
	"context"
	"sort"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// NoteJobs finds and hands off a note's running INSERT jobs.
type NoteJobs interface {
	// RunningInserts lists the note's running INSERT jobs (none: empty, no error).
	RunningInserts(ctx context.Context, noteID string) ([]Job, error)
	// HandOff stops the job with a savepoint into dir and returns the savepoint's path.
	HandOff(ctx context.Context, noteID, paragraphID, jobID, dir, message string) (string, error)
	// Resume runs the paragraph again from savepoint (after a hand-off that the application could
	// not take): the notebook job continues where it stopped. It returns once the run is submitted.
	Resume(ctx context.Context, noteID, paragraphID, savepoint string) error
}

// follower is an INSERT job a paragraph's run follows (followJob), and the
// way to ask that run to hand it off.
type follower struct {
	r        *run
	requests chan handOffRequest // taken by followJob only
	done     chan struct{}       // closed when followJob stops following
}

type handOffRequest struct {
	dir, message string
	reply        chan handOffReply // buffered: followJob never waits on it
}

type handOffReply struct {
	savepoint string
	err       error
}

// follow records that r follows the job.
func (k *Kernel) follow(r *run, jobID string) *follower {
	fl := &follower{r: r, requests: make(chan handOffRequest), done: make(chan struct{})}
	k.mu.Lock()
	k.followers[jobID] = fl
	k.mu.Unlock()
	return fl
}

// unfollow records that fl no longer follows the job.
func (k *Kernel) unfollow(jobID string, fl *follower) {
	k.mu.Lock()
	if k.followers[jobID] == fl {
		delete(k.followers, jobID)
	}
	k.mu.Unlock()
	close(fl.done)
}

// RunningInserts returns the INSERT jobs (INSERT, statement set, a Python
// paragraph's execute) the note's paragraphs follow now, each with the
// compiled plan it runs if any, ordered by paragraph and job id.
func (k *Kernel) RunningInserts() []Job {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []Job
	for jobID, fl := range k.followers {
		if k.runs[fl.r.paragraphID] != fl.r {
			continue
		}
		for _, j := range fl.r.liveJobs() {
			if j.JobID == jobID {
				out = append(out, j)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ParagraphID != out[j].ParagraphID {
			return out[i].ParagraphID < out[j].ParagraphID
		}
		return out[i].JobID < out[j].JobID
	})
	return out
}

// HandOff stops a paragraph's running INSERT job with a savepoint into
// savepointDir, for an application to start from. The paragraph's run ends
// normally with the message "Job stopped with a savepoint at <path>",
// followed by message when set (e.g. "and handed to application orders"),
// and records the savepoint as its savepointPath, so a run with
// resumeFromSavepoint=true (or RunFrom) continues from it. HandOff returns
// the savepoint's path once the run's outcome is stored.
//
// It fails with eddy.ECONFLICT when jobID is not the job the paragraph's
// current run follows (it ended, or was cancelled or replaced meanwhile);
// a savepoint that fails leaves the job running and followed.
func (k *Kernel) HandOff(ctx context.Context, paragraphID, jobID, savepointDir, message string) (string, error) {
	if savepointDir == "" {
		return "", eddy.Errorf(eddy.EINVALID, "no savepoint directory to hand off job %s", jobID)
	}
	k.mu.Lock()
	fl := k.followers[jobID]
	current := fl != nil && fl.r.paragraphID == paragraphID && k.runs[paragraphID] == fl.r
	k.mu.Unlock()
	if !current {
		return "", eddy.Errorf(eddy.ECONFLICT, "job %s is not the running job of paragraph %s", jobID, paragraphID)
	}
	req := handOffRequest{dir: savepointDir, message: message, reply: make(chan handOffReply, 1)}
	select {
	case fl.requests <- req:
	case <-fl.done:
		return "", eddy.Errorf(eddy.ECONFLICT, "job %s of paragraph %s stopped before it could be handed off", jobID, paragraphID)
	case <-ctx.Done():
		return "", ctx.Err()
	}
	// The job is being stopped now: the answer comes whatever ctx does.
	rep := <-req.reply
	if rep.err != nil {
		return "", rep.err
	}
	select {
	case <-fl.r.done:
		return rep.savepoint, nil
	case <-ctx.Done():
		return rep.savepoint, ctx.Err()
	}
}

// handOff stops the followed job with a savepoint into dir (HandOff) and
// waits until it has ended.
func (ex *execution) handOff(jobID, dir, message string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	loc, err := ex.stopWithSavepoint(ctx, jobID, dir)
	if err != nil {
		return "", err
	}
	ex.setConfig(ConfigSavepointPath, loc)
	text := "Job stopped with a savepoint at " + loc
	if message != "" {
		text += " " + message
	}
	ex.addMessage(notebooks.MessageText, text)
	if err := ex.waitEnded(ctx, jobID); err != nil {
		return "", err
	}
	return loc, nil
}
