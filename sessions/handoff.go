package sessions

import (
	"context"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
)

var _ kernel.NoteJobs = (*Manager)(nil)

// RunningInserts lists the INSERT jobs the note's paragraphs run now in its
// session; a note without a live session runs none.
func (m *Manager) RunningInserts(ctx context.Context, noteID string) ([]kernel.Job, error) {
	k := m.findByNote(noteID).started()
	if k == nil {
		return []kernel.Job{}, nil
	}
	jobs := k.RunningInserts()
	if jobs == nil {
		jobs = []kernel.Job{}
	}
	return jobs, nil
}

// HandOff stops a paragraph's running INSERT job with a savepoint into dir,
// ends the paragraph's run with message (see kernel.Kernel.HandOff) and
// returns the savepoint's path. It fails with eddy.ECONFLICT when the job is
// not the paragraph's running job (the note has no session, or the run
// ended, was cancelled or replaced).
func (m *Manager) HandOff(ctx context.Context, noteID, paragraphID, jobID, dir, message string) (string, error) {
	s := m.findByNote(noteID)
	k := s.started()
	if k == nil {
		return "", eddy.Errorf(eddy.ECONFLICT, "note %s has no running session, so job %s is not its job", noteID, jobID)
	}
	s.touch()
	sp, err := k.HandOff(ctx, paragraphID, jobID, dir, message)
	m.notify(noteID)
	return sp, err
}

// Resume runs the paragraph again from savepoint, as a user's run does
// (starting the note's session if needed), so the notebook job continues
// where a hand-off stopped it. It returns once the run has started; how it
// goes is the paragraph's outcome. An error is a refusal, as for Run.
func (m *Manager) Resume(ctx context.Context, noteID, paragraphID, savepoint string) error {
	if savepoint == "" {
		return eddy.Errorf(eddy.EINVALID, "no savepoint to resume paragraph %s from", paragraphID)
	}
	s, err := m.start(ctx, noteID)
	if err != nil {
		return err
	}
	s.touch()
	if _, err := s.kernel.RunFrom(ctx, paragraphID, savepoint); err != nil {
		return err
	}
	m.notify(noteID)
	return nil
}
