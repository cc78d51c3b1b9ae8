package applications

// This file is autoscaling, as Amazon Managed Service for Apache Flink
// does it: on by default, driven by CPU only. When the CPU use of an
// application's TaskManagers stays at or above UpCPU for UpWindow, its
// current parallelism doubles (up to its maximum parallelism, its KPU
// quota and the free capacity); when it stays below DownCPU for
// DownWindow, it halves (rounded up), never below the parallelism the
// user set. Each change is a rescale in place with status AUTOSCALING,
// and the windows start again after it.
//
// Only applications on their own cluster (the standalone target) are
// autoscaled: a session-target application's TaskManagers are the
// notebook cluster's, shared with notebooks and other applications, so
// their CPU says nothing of the application's own load.

import (
	"context"
	"fmt"
	"time"

	"github.com/eddy-notebooks/eddy"
)

// Autoscale is the autoscaler's rule. CPU figures are percentages of the
// vCPUs the application's TaskManagers stand for (one per KPU). Local
// TaskManagers are not held to their vCPUs: a busy one can show more than
// 100 %.
type Autoscale struct {
	UpCPU      float64       // scale up at or above this...
	UpWindow   time.Duration // ...for this long
	DownCPU    float64       // scale down below this...
	DownWindow time.Duration // ...for this long
	// Interval is how often the TaskManagers' CPU time is read. The
	// JobManager refreshes the metrics it serves every few seconds (10 s
	// by default), so a sample spans at least that.
	Interval time.Duration
}

// DefaultAutoscale is Amazon Managed Service for Apache Flink's rule.
var DefaultAutoscale = Autoscale{UpCPU: 75, UpWindow: 15 * time.Minute, DownCPU: 10, DownWindow: 6 * time.Hour, Interval: 5 * time.Second}

// withDefaults fills the zero fields from DefaultAutoscale.
func (a Autoscale) withDefaults() Autoscale {
	d := DefaultAutoscale
	if a.UpCPU == 0 {
		a.UpCPU = d.UpCPU
	}
	if a.UpWindow == 0 {
		a.UpWindow = d.UpWindow
	}
	if a.DownCPU == 0 {
		a.DownCPU = d.DownCPU
	}
	if a.DownWindow == 0 {
		a.DownWindow = d.DownWindow
	}
	if a.Interval == 0 {
		a.Interval = d.Interval
	}
	return a
}

// cpuSample is the CPU use of an application's TaskManagers over
// [From, To]: the mean over them of each one's process CPU time over that
// span, per vCPU it stands for, in percent.
type cpuSample struct {
	From, To time.Time
	CPU      float64
}

// cpuTrend is what the autoscaler keeps of the samples since the last
// rescale: how long the CPU has been at or above the scale-up threshold,
// and below the scale-down threshold, without a break. It is bounded
// whatever the windows.
type cpuTrend struct {
	highSince time.Time // start of the unbroken run of samples ≥ UpCPU; zero when none
	highMin   float64   // the lowest sample of that run
	lowSince  time.Time // start of the unbroken run of samples < DownCPU; zero when none
	lowMax    float64   // the highest sample of that run
	last      time.Time // end of the newest sample
}

// add takes the next sample. A gap between samples breaks both runs: the
// window must be seen whole. (The sampler's samples have none: one after
// failed readings spans them.)
func (t *cpuTrend) add(rule Autoscale, s cpuSample) {
	if !t.last.IsZero() && s.From.Sub(t.last) > 2*rule.Interval {
		t.highSince, t.lowSince = time.Time{}, time.Time{}
	}
	t.last = s.To
	switch {
	case s.CPU < rule.UpCPU:
		t.highSince = time.Time{}
	case t.highSince.IsZero():
		t.highSince, t.highMin = s.From, s.CPU
	default:
		t.highMin = min(t.highMin, s.CPU)
	}
	switch {
	case s.CPU >= rule.DownCPU:
		t.lowSince = time.Time{}
	case t.lowSince.IsZero():
		t.lowSince, t.lowMax = s.From, s.CPU
	default:
		t.lowMax = max(t.lowMax, s.CPU)
	}
}

// scaleBounds are the parallelisms an autoscale may choose between.
type scaleBounds struct {
	Current int
	Floor   int // the user's parallelism
	Ceiling int // the highest allowed: maximum parallelism and KPU quota
	// CeilingWhy names what sets Ceiling.
	CeilingWhy string
}

// scaleDecision is what the autoscaler does: rescale to To (when it is not
// 0) because of Cause, or record Refused (a scale-up the bounds forbid).
type scaleDecision struct {
	To      int
	Cause   string
	Refused string
}

// decide applies the rule to the trend at now.
func (t *cpuTrend) decide(rule Autoscale, now time.Time, b scaleBounds) scaleDecision {
	if !t.highSince.IsZero() && now.Sub(t.highSince) >= rule.UpWindow {
		cause := fmt.Sprintf("CPU %.0f %% ≥ %g %% for %s", t.highMin, rule.UpCPU, rule.UpWindow)
		to := min(b.Current*2, b.Ceiling)
		if to <= b.Current {
			return scaleDecision{Refused: fmt.Sprintf("%s, but parallelism %d is at %s", cause, b.Current, b.CeilingWhy)}
		}
		return scaleDecision{To: to, Cause: cause}
	}
	if !t.lowSince.IsZero() && now.Sub(t.lowSince) >= rule.DownWindow && b.Current > b.Floor {
		return scaleDecision{To: max((b.Current+1)/2, b.Floor), Cause: fmt.Sprintf("CPU %.0f %% < %g %% for %s", t.lowMax, rule.DownCPU, rule.DownWindow)}
	}
	return scaleDecision{}
}

// decideScale is the autoscaler's decision on a series of samples, oldest
// first: those that began before since (the last rescale) do not count.
func decideScale(rule Autoscale, samples []cpuSample, since, now time.Time, b scaleBounds) scaleDecision {
	var t cpuTrend
	for _, s := range samples {
		if s.From.Before(since) {
			continue
		}
		t.add(rule, s)
	}
	return t.decide(rule, now, b)
}

// TaskManagerCPU is one TaskManager's process CPU time so far.
type TaskManagerCPU struct {
	ID      string
	Slots   int
	CPUTime time.Duration
}

// cpuMeter is a Run whose TaskManagers are the application's own (an
// application cluster), so their CPU is its load.
type cpuMeter interface {
	TaskManagerCPU(ctx context.Context) ([]TaskManagerCPU, error)
}

// cpuSampler turns successive readings of the TaskManagers' CPU time into
// samples. The JobManager serves metrics it refreshes every few seconds:
// a TaskManager whose CPU time has not moved since the last reading has
// not been refreshed, and waits for the next.
type cpuSampler struct {
	kpuSlots int                   // slots of one KPU (one vCPU)
	seen     map[string]cpuReading // by TaskManager
	last     time.Time             // end of the last sample
}

type cpuReading struct {
	cpu time.Duration
	at  time.Time
}

// take reads one set of TaskManagers at now and returns a sample when
// any of them moved since its last reading.
func (s *cpuSampler) take(tms []TaskManagerCPU, now time.Time) (cpuSample, bool) {
	if s.seen == nil {
		s.seen = map[string]cpuReading{}
	}
	var sum float64
	var n int
	from := now
	seen := make(map[string]cpuReading, len(tms))
	for _, tm := range tms {
		prev, ok := s.seen[tm.ID]
		seen[tm.ID] = prev
		switch {
		case !ok:
			seen[tm.ID] = cpuReading{tm.CPUTime, now}
		case tm.CPUTime != prev.cpu && now.After(prev.at):
			vcpus := max(float64(tm.Slots)/float64(s.kpuSlots), 1)
			sum += 100 * (tm.CPUTime - prev.cpu).Seconds() / now.Sub(prev.at).Seconds() / vcpus
			n++
			if prev.at.Before(from) {
				from = prev.at
			}
			seen[tm.ID] = cpuReading{tm.CPUTime, now}
		}
	}
	s.seen = seen // TaskManagers gone are forgotten
	if n == 0 {
		return cpuSample{}, false
	}
	if !s.last.IsZero() && s.last.After(from) {
		from = s.last // samples do not overlap
	}
	s.last = now
	return cpuSample{From: from, To: now, CPU: sum / float64(n)}, true
}

// autoscale samples a run's CPU and rescales it by the rule until the run
// ends (ctx). Samples count only while the application is RUNNING with
// autoscaling on, at the current parallelism they were taken at: any
// change starts the windows again.
func (m *Manager) autoscale(ctx context.Context, inst *instance, run Run, cm cpuMeter) {
	rule := m.cfg.Autoscale
	tick := time.NewTicker(rule.Interval)
	defer tick.Stop()
	var trend cpuTrend
	var sampler cpuSampler
	at := 0 // the current parallelism the trend is of; 0 for none
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		inst.mu.Lock()
		r := inst.rec
		active := inst.run == run && !inst.stopping && r.Status == StatusRunning && r.AutoScalingEnabled
		current, floor, maxParallelism := r.CurrentParallelism, r.Parallelism, r.MaxParallelism
		inst.mu.Unlock()
		if !active || current != at {
			trend, sampler = cpuTrend{}, cpuSampler{}
			at = 0
			if !active {
				continue
			}
			at = current
		}
		sampler.kpuSlots = m.cfg.ParallelismPerKPU
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		tms, err := cm.TaskManagerCPU(qctx)
		cancel()
		if err != nil {
			continue // the next sample spans the gap
		}
		s, ok := sampler.take(tms, time.Now())
		if !ok {
			continue
		}
		trend.add(rule, s)
		b := m.scaleBounds(floor, current, maxParallelism)
		d := trend.decide(rule, time.Now(), b)
		if d.To == 0 && d.Refused == "" {
			continue
		}
		m.applyScale(ctx, inst, run, current, d)
		// Whatever came of it, the windows start again.
		trend, sampler, at = cpuTrend{}, cpuSampler{}, 0
	}
}

// scaleBounds are an application's autoscaling bounds.
func (m *Manager) scaleBounds(parallelism, current, maxParallelism int) scaleBounds {
	return boundsFor(m.cfg.Quotas.KPUsPerApplication, m.cfg.ParallelismPerKPU, parallelism, current, maxParallelism)
}

// boundsFor bounds the autoscaling of an application: its parallelism
// below; above, its maximum parallelism and the most that kpuQuota KPUs
// (one of them orchestration) carry.
func boundsFor(kpuQuota, parallelismPerKPU, parallelism, current, maxParallelism int) scaleBounds {
	b := scaleBounds{Current: current, Floor: parallelism, Ceiling: maxParallelism,
		CeilingWhy: fmt.Sprintf("the maximum parallelism %d", maxParallelism)}
	if quota := (kpuQuota - OrchestrationKPUs) * parallelismPerKPU; quota < b.Ceiling {
		b.Ceiling = quota
		b.CeilingWhy = fmt.Sprintf("the most the KPU quota of %d allows", kpuQuota)
	}
	return b
}

// applyScale carries out a decision taken at parallelism current, unless
// the application changed meanwhile. A rescale the capacity refuses is an
// event, not a failure: the job runs on as it is.
func (m *Manager) applyScale(ctx context.Context, inst *instance, run Run, current int, d scaleDecision) {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	r := inst.rec
	if inst.run != run || inst.stopping || r.Status != StatusRunning || !r.AutoScalingEnabled || r.CurrentParallelism != current {
		return
	}
	if d.To == 0 {
		m.event(ctx, inst, "autoscale-refused", d.Refused)
		return
	}
	if err := m.rescaleLocked(ctx, inst, d.To, StatusAutoscaling, d.Cause); err != nil {
		msg := fmt.Sprintf("%s, but parallelism %d → %d was refused: %v", d.Cause, current, d.To, err)
		if eddy.ErrorCode(err) == eddy.ECAPACITY {
			msg = fmt.Sprintf("%s, but the %d KPUs of parallelism %d are not free: %v", d.Cause, m.kpusFor(d.To), d.To, err)
		}
		m.event(ctx, inst, "autoscale-refused", msg)
	}
}

// SetAutoScaling turns an application's autoscaling on or off, at any
// status. Turned off, the application stays at its current parallelism
// (a rescale under way finishes); turned on, the windows start from now.
func (m *Manager) SetAutoScaling(ctx context.Context, id string, enabled bool) (*Application, error) {
	inst, err := m.lookup(id)
	if err != nil {
		return nil, err
	}
	inst.mu.Lock()
	if inst.rec.AutoScalingEnabled != enabled {
		inst.rec.AutoScalingEnabled = enabled
		m.save(ctx, inst)
		m.event(ctx, inst, "configured", "autoscaling "+onOff(enabled))
	}
	inst.mu.Unlock()
	return m.view(ctx, inst)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
