package applications

import (
	"context"
	"time"
)

// What Eddy brings an application back to when it starts.
const (
	DesiredRunning = "running"
	DesiredStopped = "stopped"
)

// Record is an application as the store keeps it: its configuration, its
// last known status and what Eddy needs to resume it.
type Record struct {
	ID          string
	Name        string
	NoteID      string
	NoteName    string
	Version     int
	Status      string
	Failure     string
	Parallelism int // the user's, the floor of autoscaling
	// CurrentParallelism is what the job runs at: Parallelism, or what
	// the autoscaler scaled it to.
	CurrentParallelism   int
	AutoScalingEnabled   bool
	MaxParallelism       int // fixed at creation
	Target               string
	Tags                 map[string]string
	CheckpointIntervalMs int64
	JobID                string
	// Desired is DesiredRunning from a start until a stop by request:
	// Eddy starts such applications again when it starts.
	Desired string
	// RunDir names the checkpoint directory of the current or last run;
	// RunRestore is what that run started from.
	RunDir     string
	RunRestore string
	StartedAt  time.Time // start of the current run; zero when not running
	// KPUSeconds is the metered use up to MeteredAt.
	KPUSeconds float64
	MeteredAt  time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Store keeps applications, their versions, snapshots and events. Every
// method is one transaction. Errors carry eddy codes: ENOTFOUND for an
// unknown application or snapshot, ECONFLICT for a name already taken.
// Implementations are safe for concurrent use.
type Store interface {
	// CreateApplication stores a new application with its first version.
	CreateApplication(ctx context.Context, r *Record, v *Version) error
	// UpdateApplication replaces an application's record.
	UpdateApplication(ctx context.Context, r *Record) error
	// FindApplication returns one application.
	FindApplication(ctx context.Context, id string) (*Record, error)
	// ListApplications returns every application, oldest first.
	ListApplications(ctx context.Context) ([]*Record, error)
	// DeleteApplication deletes an application with its versions,
	// snapshots and events.
	DeleteApplication(ctx context.Context, id string) error

	// AddVersion stores a new version and makes it the application's
	// current one.
	AddVersion(ctx context.Context, appID string, v *Version) error
	// ListVersions returns an application's versions, newest first.
	ListVersions(ctx context.Context, appID string) ([]*Version, error)
	// FindVersion returns one version of an application.
	FindVersion(ctx context.Context, appID string, number int) (*Version, error)

	// AddSnapshot records a snapshot.
	AddSnapshot(ctx context.Context, appID string, s *Snapshot) error
	// ListSnapshots returns an application's snapshots, newest first.
	ListSnapshots(ctx context.Context, appID string) ([]*Snapshot, error)
	// DeleteSnapshot forgets a snapshot.
	DeleteSnapshot(ctx context.Context, appID, snapshotID string) error

	// AddEvent appends to an application's timeline.
	AddEvent(ctx context.Context, appID string, e *Event) error
	// ListEvents returns the newest limit events, newest first.
	ListEvents(ctx context.Context, appID string, limit int) ([]*Event, error)
}
