// Package applications turns notes into durable Flink applications: it
// builds a note into an immutable, numbered version (one SQL script with
// every INSERT in one statement set, validated by Flink), runs it on its own
// Flink cluster or as a detached job on the notebook cluster, keeps its
// status reconciled with Flink, takes and restores snapshots (savepoints),
// reserves its KPUs and meters them.
//
// The package knows the notebook store, the kernel's statement splitter and
// Flink clients; it knows nothing of HTTP or of notebook sessions.
package applications

import (
	"encoding/json"
	"time"
)

// Statuses, as Amazon Managed Service for Apache Flink names them.
const (
	StatusReady         = "READY"          // created or stopped: holds no KPUs
	StatusStarting      = "STARTING"       // its cluster or job is starting
	StatusRunning       = "RUNNING"        // its job runs
	StatusStopping      = "STOPPING"       // stopping with a snapshot
	StatusForceStopping = "FORCE_STOPPING" // stopping without a snapshot
	StatusUpdating      = "UPDATING"       // changing version or configuration
	StatusAutoscaling   = "AUTOSCALING"    // rescaling
	StatusRollingBack   = "ROLLING_BACK"   // an update failed: the previous version starts again
	StatusDeleting      = "DELETING"       // being deleted
	StatusFailed        = "FAILED"         // its job failed; Failure says why
)

// Targets: where an application runs.
const (
	// TargetStandalone is the application's own Flink cluster, started and
	// supervised by Eddy (a JobManager in application mode running the
	// script through Flink's SqlDriver, and its TaskManagers).
	TargetStandalone = "standalone"
	// TargetSession is a detached job on the notebook cluster.
	TargetSession = "session"
)

// Restore choices of a start.
const (
	RestoreLatestSnapshot = "LATEST_SNAPSHOT" // the newest snapshot, if any
	RestoreNone           = "NONE"            // start without state
	RestoreSnapshot       = "SNAPSHOT"        // a chosen snapshot (RestoreSnapshotID)
	// RestoreLatestState is what Eddy does when it restarts an application
	// itself (after a crash of Eddy or of the application's JobManager): the
	// newest of its retained checkpoints and snapshots.
	RestoreLatestState = "LATEST_STATE"
)

// Application is a note promoted to a long-running Flink job.
type Application struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	NoteID string `json:"noteId"`
	// NoteName is the note's name when the current version was built.
	NoteName string `json:"noteName"`
	// Version is the number of the version the application runs.
	Version int    `json:"version"`
	Status  string `json:"status"`
	Failure string `json:"failure,omitempty"` // the root cause, when FAILED
	// Parallelism is the user's: what a start runs at and the floor of
	// autoscaling.
	Parallelism int `json:"parallelism"`
	// CurrentParallelism is what its job runs at (or its next run starts
	// at): Parallelism, or more where the autoscaler scaled it up.
	CurrentParallelism int `json:"currentParallelism"`
	// AutoScalingEnabled lets Eddy change CurrentParallelism with the
	// CPU use of the application's TaskManagers (only on its own cluster,
	// the standalone target: the session target's TaskManagers are shared).
	AutoScalingEnabled bool `json:"autoScalingEnabled"`
	// MaxParallelism, fixed at creation, bounds every rescale.
	MaxParallelism int               `json:"maxParallelism"`
	KPUs           int               `json:"kpus"` // what it holds while it runs, at CurrentParallelism
	Target         string            `json:"target"`
	Tags           map[string]string `json:"tags"`
	// CheckpointInterval is how often the job checkpoints unless its script
	// SETs execution.checkpointing.interval.
	CheckpointIntervalMs int64     `json:"checkpointIntervalMs"`
	JobID                string    `json:"jobId,omitempty"`
	FlinkURL             string    `json:"flinkUrl,omitempty"` // the Flink web UI of its job
	CreatedAt            time.Time `json:"createdAt"`
	UpdatedAt            time.Time `json:"updatedAt"`
	// StartedAt is when its current run started; nil when not running.
	StartedAt *time.Time `json:"startedAt,omitempty"`
	// Excluded and Script are those of the current version.
	Excluded     []Exclusion `json:"excluded"`
	Script       string      `json:"script"`
	LastSnapshot *Snapshot   `json:"lastSnapshot,omitempty"`
	// KPUHours and Cost are metered over the application's whole life.
	KPUHours float64 `json:"kpuHours"`
	Cost     float64 `json:"cost"`
}

// Exclusion is a paragraph a build left out of the script, and why.
type Exclusion struct {
	ParagraphID string `json:"paragraphId"`
	Index       int    `json:"index"` // 0-based position in the note
	Title       string `json:"title,omitempty"`
	Reason      string `json:"reason"`
}

// Inclusion is a paragraph whose statements are in the script.
type Inclusion struct {
	ParagraphID string   `json:"paragraphId"`
	Index       int      `json:"index"`
	Title       string   `json:"title,omitempty"`
	Statements  []string `json:"statements"` // their kinds: SET, DDL, DML, ...
	// Notes say what the build changed or ignored in it (a parallelism
	// hint ignored, CREATE TABLE made idempotent).
	Notes []string `json:"notes,omitempty"`
}

// BakedForm is a dynamic form whose value a build wrote into the script.
type BakedForm struct {
	ParagraphID string `json:"paragraphId"`
	Name        string `json:"name"`
	Value       string `json:"value"`
	Note        bool   `json:"note,omitempty"` // a note-scoped form ($${...})
}

// Version is an immutable build of an application's note.
type Version struct {
	Number int `json:"number"`
	// Language is what Script is written in, LanguageSQL or LanguagePython
	// (see ScriptLanguage for versions that do not say).
	Language string `json:"language,omitempty"`
	// Script is the SQL the job runs: settings, DDL and one statement set;
	// or, in Python, the PyFlink program that submits the one job.
	Script string `json:"script"`
	// Settings are the SET statements of the script, in order.
	Settings map[string]string `json:"settings"`
	// NoteRevision is the note's revision the version was built from.
	NoteRevision string `json:"noteRevision"`
	Plan         string `json:"plan"` // what EXPLAIN printed
	// CompiledPlan is the statement set as Flink compiled it (COMPILE
	// PLAN), which the job runs (EXECUTE PLAN). Its node ids fix the ids of
	// the job's operators, so one version's state maps into the next's
	// where their plans agree: a version built to take over state (an
	// update, a hand-off from a notebook job) has its ids renumbered to
	// match the plan it takes over from (see CheckPlans). Empty for a
	// Python or batch version, or when Flink could not compile it
	// (Uncompiled says why): such a version runs from its SQL.
	CompiledPlan json.RawMessage `json:"compiledPlan,omitempty"`
	Uncompiled   string          `json:"uncompiled,omitempty"`
	// Catalog and Database are where the note's names resolve (a
	// notebook's gateway session starts there); every run starts there,
	// as a notebook does. Empty in versions built before they were kept.
	Catalog  string `json:"catalog,omitempty"`
	Database string `json:"database,omitempty"`
	// AllowNonRestoredState lets the version's job start from state that
	// some of it cannot restore (its StateCheck says what is dropped).
	AllowNonRestoredState bool `json:"allowNonRestoredState,omitempty"`
	// StateCheck is what the version's plan restores of the state it took
	// over, when it was built to take over state.
	StateCheck *PlanCheck  `json:"stateCheck,omitempty"`
	Included   []Inclusion `json:"included"`
	Excluded   []Exclusion `json:"excluded"`
	Forms      []BakedForm `json:"forms"`
	CreatedAt  time.Time   `json:"createdAt"`
}

// Snapshot is a savepoint of an application's job.
type Snapshot struct {
	ID        string    `json:"id"`
	Path      string    `json:"path"` // the savepoint's directory
	Version   int       `json:"version"`
	JobID     string    `json:"jobId"`
	Trigger   string    `json:"trigger"` // "manual", "stop" or "shutdown"
	CreatedAt time.Time `json:"createdAt"`
}

// Event is one entry of an application's timeline.
type Event struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"` // created, starting, running, snapshot, stopped, failed, restarted, ...
	Message string    `json:"message"`
}
