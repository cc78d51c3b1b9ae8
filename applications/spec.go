package applications

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/eddy-notebooks/eddy"
)

// Spec is an application in declarative form: what to keep in version
// control and apply. Absent fields of an applied spec leave the
// application's current values (defaults for a new one).
type Spec struct {
	APIVersion           string            `json:"apiVersion" yaml:"apiVersion"`
	Kind                 string            `json:"kind" yaml:"kind"`
	Name                 string            `json:"name" yaml:"name"`
	NoteID               string            `json:"noteId" yaml:"noteId"`
	Version              int               `json:"version,omitempty" yaml:"version,omitempty"`
	Parallelism          int               `json:"parallelism,omitempty" yaml:"parallelism,omitempty"`
	MaxParallelism       int               `json:"maxParallelism,omitempty" yaml:"maxParallelism,omitempty"`
	Target               string            `json:"target,omitempty" yaml:"target,omitempty"`
	Tags                 map[string]string `json:"tags,omitempty" yaml:"tags,omitempty"`
	CheckpointIntervalMs int64             `json:"checkpointIntervalMs,omitempty" yaml:"checkpointIntervalMs,omitempty"`
	// AutoScalingEnabled: absent leaves it as it is (on for a new
	// application).
	AutoScalingEnabled *bool `json:"autoScalingEnabled,omitempty" yaml:"autoScalingEnabled,omitempty"`
}

// Spec document identity.
const (
	SpecAPIVersion = "eddy/v1"
	SpecKind       = "Application"
)

// Apply outcomes.
const (
	ApplyCreated   = "created"
	ApplyUpdated   = "updated"
	ApplyUnchanged = "unchanged"
)

// Spec returns an application as a spec.
func (m *Manager) Spec(ctx context.Context, id string) (*Spec, error) {
	inst, err := m.lookup(id)
	if err != nil {
		return nil, err
	}
	inst.mu.Lock()
	defer inst.mu.Unlock()
	r := inst.rec
	autoscale := r.AutoScalingEnabled
	return &Spec{APIVersion: SpecAPIVersion, Kind: SpecKind, Name: r.Name, NoteID: r.NoteID, Version: r.Version,
		Parallelism: r.Parallelism, MaxParallelism: r.MaxParallelism, Target: r.Target, Tags: maps.Clone(r.Tags),
		CheckpointIntervalMs: r.CheckpointIntervalMs, AutoScalingEnabled: &autoscale}, nil
}

// Apply makes the application named by the spec match it, idempotently:
// it creates the application when none has the name, changes what differs
// otherwise (parallelism, target, checkpoint interval and version only
// while it is not running; tags and autoscaling at any time), and does
// nothing when all
// matches. Nothing changes when the spec is refused.
func (m *Manager) Apply(ctx context.Context, s *Spec) (string, *Application, error) {
	if s.APIVersion != SpecAPIVersion || s.Kind != SpecKind {
		return "", nil, eddy.Errorf(eddy.EINVALID, "a spec has apiVersion %q and kind %q", SpecAPIVersion, SpecKind)
	}
	if s.NoteID == "" || s.Name == "" {
		return "", nil, eddy.Errorf(eddy.EINVALID, "a spec names the application (name) and its note (noteId)")
	}
	inst := m.findByName(s.Name)
	if inst == nil {
		if s.Version > 1 {
			return "", nil, eddy.Errorf(eddy.EINVALID, "version %d: a new application starts at version 1", s.Version)
		}
		a, err := m.Create(ctx, CreateRequest{NoteID: s.NoteID, Name: s.Name, Parallelism: s.Parallelism, Target: s.Target,
			Tags: s.Tags, CheckpointIntervalMs: s.CheckpointIntervalMs, MaxParallelism: s.MaxParallelism,
			AutoScalingEnabled: s.AutoScalingEnabled})
		if err != nil {
			return "", nil, err
		}
		return ApplyCreated, a, nil
	}
	action, err := m.update(ctx, inst, s)
	if err != nil {
		return "", nil, err
	}
	a, err := m.view(ctx, inst)
	return action, a, err
}

func (m *Manager) findByName(name string) *instance {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, inst := range m.apps {
		inst.mu.Lock()
		same := inst.rec.Name == name
		inst.mu.Unlock()
		if same {
			return inst
		}
	}
	return nil
}

// update applies a spec to an existing application.
func (m *Manager) update(ctx context.Context, inst *instance, s *Spec) (string, error) {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	r := inst.rec
	if s.NoteID != r.NoteID {
		return "", eddy.Errorf(eddy.ECONFLICT, "application %s is built from note %s, not %s: a spec cannot move it to another note", r.Name, r.NoteID, s.NoteID)
	}
	next := *r
	next.Tags = maps.Clone(r.Tags)
	if s.MaxParallelism != 0 && s.MaxParallelism != r.MaxParallelism {
		return "", eddy.Errorf(eddy.EINVALID, "application %s has maximum parallelism %d, fixed when it was created: keyed state cannot be restored under another (create a new application for %d)",
			r.Name, r.MaxParallelism, s.MaxParallelism)
	}
	var changed []string
	if s.Parallelism != 0 && s.Parallelism != r.Parallelism {
		next.Parallelism, next.CurrentParallelism = s.Parallelism, s.Parallelism
		changed = append(changed, fmt.Sprintf("parallelism %d → %d", r.Parallelism, s.Parallelism))
	}
	if s.Target != "" && s.Target != r.Target {
		next.Target = s.Target
		changed = append(changed, fmt.Sprintf("target %s → %s", r.Target, s.Target))
	}
	if s.CheckpointIntervalMs != 0 && s.CheckpointIntervalMs != r.CheckpointIntervalMs {
		next.CheckpointIntervalMs = s.CheckpointIntervalMs
		changed = append(changed, fmt.Sprintf("checkpoint interval %d ms → %d ms", r.CheckpointIntervalMs, s.CheckpointIntervalMs))
	}
	if s.Version != 0 && s.Version != r.Version {
		if _, err := m.cfg.Store.FindVersion(ctx, r.ID, s.Version); err != nil {
			return "", eddy.Errorf(eddy.EINVALID, "application %s has no version %d: build one from its note first", r.Name, s.Version)
		}
		next.Version = s.Version
		changed = append(changed, fmt.Sprintf("version %d → %d", r.Version, s.Version))
	}
	if len(changed) > 0 && (inst.run != nil || (r.Status != StatusReady && r.Status != StatusFailed)) {
		return "", eddy.Errorf(eddy.ECONFLICT, "application %s is %s: stop it to change %s", r.Name, r.Status, strings.Join(changed, ", "))
	}
	if s.Tags != nil && !maps.Equal(s.Tags, r.Tags) {
		next.Tags = maps.Clone(s.Tags)
		changed = append(changed, "tags")
	}
	if s.AutoScalingEnabled != nil && *s.AutoScalingEnabled != r.AutoScalingEnabled {
		next.AutoScalingEnabled = *s.AutoScalingEnabled
		changed = append(changed, fmt.Sprintf("autoscaling %s", onOff(next.AutoScalingEnabled)))
	}
	if len(changed) == 0 {
		return ApplyUnchanged, nil
	}
	if err := m.checkConfig(next.Name, next.Parallelism, next.Target, next.Tags, next.CheckpointIntervalMs); err != nil {
		return "", err
	}
	if err := checkMaxParallelism(next.Parallelism, next.MaxParallelism); err != nil {
		return "", err
	}
	*r = next
	m.save(ctx, inst)
	m.event(ctx, inst, "updated", "spec applied: "+strings.Join(changed, ", "))
	return ApplyUpdated, nil
}
