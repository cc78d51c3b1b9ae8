package kernel

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ConfigRestoredFrom is the paragraph config key where Eddy records the
// savepoint or checkpoint its last job started from (a Restore), so the
// saved result says so too; a later job started afresh removes it.
const ConfigRestoredFrom = "restoredFrom"

// Restore kinds.
const (
	RestoreSavepoint  = "savepoint"
	RestoreCheckpoint = "checkpoint"
)

// Restore is the savepoint or checkpoint a paragraph's job started from.
type Restore struct {
	Kind string `json:"kind"` // RestoreSavepoint or RestoreCheckpoint
	Path string `json:"path"`
	// TakenAt is when it was written, when Eddy can read it (a path on
	// this machine); zero otherwise.
	TakenAt time.Time `json:"takenAt,omitzero"`
}

// beginRestore reports whether the job just submitted was asked to start
// from a savepoint or checkpoint (resumePath), to be confirmed by
// checkRestore. A job started afresh drops the restore an earlier job
// recorded in the paragraph's config.
func (ex *execution) beginRestore() bool {
	if ex.resumePath() != "" {
		return true
	}
	if _, ok := ex.p.Config[ConfigRestoredFrom]; ok {
		ex.setConfig(ConfigRestoredFrom, nil)
	}
	return false
}

// checkRestore asks Flink whether the job has restored its state; once it
// has, it records where from on the live run and in the paragraph's config
// and reports true. A job that restored nothing (yet) reports false.
func (ex *execution) checkRestore(ctx context.Context, jobID string) bool {
	st, err := ex.k.jm.Checkpoints(ctx, jobID)
	if err != nil || st.Latest.Restored == nil {
		return false
	}
	rs := &Restore{Kind: RestoreCheckpoint, Path: st.Latest.Restored.ExternalPath}
	if st.Latest.Restored.IsSavepoint {
		rs.Kind = RestoreSavepoint
	}
	if rs.Path == "" {
		rs.Path = ex.resumePath()
	}
	rs.TakenAt = takenAt(rs.Path)
	ex.r.update(func() { ex.r.restored = rs })
	ex.setConfig(ConfigRestoredFrom, rs)
	return true
}

// takenAt is when the savepoint or checkpoint at path was written: the
// modification time of its _metadata file, for a path on this machine
// ("file:/…" or absolute). Zero when it cannot be read.
func takenAt(path string) time.Time {
	p := strings.TrimPrefix(path, "file://")
	p = strings.TrimPrefix(p, "file:")
	if !filepath.IsAbs(p) {
		return time.Time{}
	}
	fi, err := os.Stat(filepath.Join(p, "_metadata"))
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime().UTC()
}
