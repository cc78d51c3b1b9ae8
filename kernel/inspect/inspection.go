// Package inspect answers "why no rows?" for a running Flink job: it samples
// the job's operators from the JobManager's REST API and metrics (records,
// rates, watermarks, idle subtasks, backpressure, busy time, late records,
// checkpoints) and diagnoses, in plain words with a stable code and SQL to
// paste, what keeps the job from producing.
package inspect

import "time"

// Diagnosis codes. They are stable: clients and docs refer to them.
const (
	WatermarkNotAdvancing    = "WATERMARK_NOT_ADVANCING"
	SourceIdle               = "SOURCE_IDLE"
	NoInput                  = "NO_INPUT"
	LateRecordsDropped       = "LATE_RECORDS_DROPPED"
	Backpressured            = "BACKPRESSURED"
	ResultsWaitForCheckpoint = "RESULTS_WAIT_FOR_CHECKPOINT"
	Skewed                   = "SKEWED"
)

// Inspection is one look at a job: its operators and what Eddy concludes.
type Inspection struct {
	JobID     string    `json:"jobId"`
	JobState  string    `json:"jobState"` // Flink's job state, e.g. RUNNING, FINISHED
	SampledAt time.Time `json:"sampledAt"`
	// RunningFor is how long the job has run, in milliseconds.
	RunningFor int64       `json:"runningForMs"`
	Operators  []Operator  `json:"operators"`
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
	Diagnoses  []Diagnosis `json:"diagnoses"`
}

// Operator is one operator of the job graph, in topological order (sources
// first). Chained operators of one vertex share its parallelism,
// backpressure and busy time.
type Operator struct {
	Name        string `json:"name"`     // as Flink names it, e.g. "Source: src[1]", "GlobalWindowAggregate[6]"
	VertexID    string `json:"vertexId"` // the job vertex (task) that runs it
	Parallelism int    `json:"parallelism"`
	Source      bool   `json:"source,omitempty"`
	RecordsIn   int64  `json:"recordsIn"`  // sum over subtasks
	RecordsOut  int64  `json:"recordsOut"` // sum over subtasks
	// InRate and OutRate are records per second, summed over subtasks.
	InRate  float64 `json:"inRate"`
	OutRate float64 `json:"outRate"`
	// InputWatermark is the lowest current input watermark over the
	// subtasks, epoch milliseconds; for a source or a watermark assigner,
	// the watermark it emits (its output watermark). Nil while none has
	// arrived (Flink reports Long.MIN_VALUE).
	InputWatermark *int64 `json:"inputWatermark,omitempty"`
	// WatermarkLag is how far InputWatermark is behind wall-clock time, ms.
	WatermarkLag *int64 `json:"watermarkLagMs,omitempty"`
	// EventTimeLag is how far InputWatermark is behind the largest event
	// time the job's sources have seen (their highest watermark), ms.
	EventTimeLag *int64 `json:"eventTimeLagMs,omitempty"`
	// IdleSubtasks are the subtasks that hold the watermark back because
	// they receive nothing (no records, no watermark) while others do.
	IdleSubtasks []int `json:"idleSubtasks,omitempty"`
	// Backpressure is Flink's level for the vertex: "ok", "low" or "high".
	Backpressure      string  `json:"backpressure,omitempty"`
	BackpressureRatio float64 `json:"backpressureRatio"`
	BusyRatio         float64 `json:"busyRatio"` // highest subtask busy time, 0..1
	// LateRecordsDropped is Flink's numLateRecordsDropped, for operators
	// that drop late records (windows); nil for the others.
	LateRecordsDropped *int64 `json:"lateRecordsDropped,omitempty"`
}

// Checkpoint is the job's checkpointing as the inspector saw it.
type Checkpoint struct {
	Interval  int64  `json:"intervalMs"` // 0: checkpointing is off
	Mode      string `json:"mode,omitempty"`
	Completed int64  `json:"completed"`
	// LastAge is how long ago the latest checkpoint completed, ms; nil if none has.
	LastAge  *int64 `json:"lastAgeMs,omitempty"`
	LastSize int64  `json:"lastSizeBytes"`
}

// Diagnosis is one reason a job shows no (or suspicious) output, and what
// to change.
type Diagnosis struct {
	Code     string `json:"code"`
	Message  string `json:"message"`            // plain words, with figures
	Operator string `json:"operator,omitempty"` // the operator or source it concerns
	// Suggestion is SQL the user can paste into a paragraph (statements
	// separated by semicolons, comments allowed).
	Suggestion string `json:"suggestion"`
}
