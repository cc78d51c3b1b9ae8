package applications

import (
	"context"
	"time"
)

// What the external tests of the autoscaler reach inside the package.
type (
	CPUSample     = cpuSample
	ScaleBounds   = scaleBounds
	ScaleDecision = scaleDecision
)

// DecideScale is decideScale.
func DecideScale(rule Autoscale, samples []CPUSample, since, now time.Time, b ScaleBounds) ScaleDecision {
	return decideScale(rule, samples, since, now, b)
}

// BoundsFor is boundsFor.
func BoundsFor(kpuQuota, parallelismPerKPU, parallelism, current, maxParallelism int) ScaleBounds {
	return boundsFor(kpuQuota, parallelismPerKPU, parallelism, current, maxParallelism)
}

// SampleCPU feeds readings of TaskManagers, taken at the given times, to
// a new sampler and returns the samples it makes.
func SampleCPU(kpuSlots int, readings [][]TaskManagerCPU, at []time.Time) []CPUSample {
	s := cpuSampler{kpuSlots: kpuSlots}
	var out []CPUSample
	for i, r := range readings {
		if c, ok := s.take(r, at[i]); ok {
			out = append(out, c)
		}
	}
	return out
}

// SetParallelismFloor lowers an application's parallelism (the autoscaler's
// floor) without touching what it runs at, as if it had been autoscaled
// up from there.
func SetParallelismFloor(ctx context.Context, m *Manager, id string, n int) error {
	inst, err := m.lookup(id)
	if err != nil {
		return err
	}
	inst.mu.Lock()
	defer inst.mu.Unlock()
	inst.rec.Parallelism = n
	m.save(ctx, inst)
	return nil
}
