package inspect

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flink"
)

// Options configure an Inspector.
type Options struct {
	// Statement is the SQL statement the job runs (the paragraph's SELECT
	// or INSERT), used to write suggestions.
	Statement string
	// Now is the clock (nil: time.Now); tests may set it.
	Now func() time.Time
}

// Output is what the paragraph shows of the job: Rows is the number of
// changelog rows its result has received so far (0 for an INSERT job,
// which shows no rows).
type Output struct {
	Rows   int64
	Insert bool
}

// maxHistory bounds the samples an Inspector keeps: at one sample every
// 2 s, about two minutes, more than any rule looks back. Older samples are
// dropped.
const maxHistory = 64

// maxSubtaskQueries bounds the per-subtask metric requests of one sample
// (to find which source subtasks are idle); subtasks past it are not
// looked at one by one.
const maxSubtaskQueries = 32

// Inspector samples one job and diagnoses it from its recent samples. It
// is not safe for concurrent use: one goroutine calls Sample.
type Inspector struct {
	jm    *flink.JobManager
	jobID string
	opts  Options
	hist  []point // oldest first, at most maxHistory
	// last is the last inspection of the running job: once the job has
	// ended its metrics are gone, and this is what it last showed.
	last *Inspection
}

// New returns an Inspector of job jobID on the cluster of jm.
func New(jm *flink.JobManager, jobID string, opts Options) *Inspector {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Inspector{jm: jm, jobID: jobID, opts: opts}
}

// Sample looks at the job once and returns the inspection, with diagnoses
// computed from this and earlier samples (the Inspector keeps the history
// it needs, bounded). Once the job no longer runs (ended, or restarting),
// Flink has no metrics for it: the inspection has its new state with the
// operators, checkpoint and diagnoses of the last look while it ran. Not
// safe for concurrent calls (one goroutine).
func (in *Inspector) Sample(ctx context.Context, out Output) (Inspection, error) {
	s, err := in.collect(ctx, out)
	if err != nil {
		return Inspection{}, fmt.Errorf("inspect job %s: %w", in.jobID, err)
	}
	ins := Inspection{
		JobID:      in.jobID,
		JobState:   s.state,
		SampledAt:  s.at,
		RunningFor: s.runningFor.Milliseconds(),
		Operators:  s.operators(),
		Checkpoint: s.checkpoint,
		Diagnoses:  []Diagnosis{},
	}
	if s.state != flink.JobRunning {
		if in.last != nil {
			ins.Operators, ins.Checkpoint, ins.Diagnoses = in.last.Operators, in.last.Checkpoint, in.last.Diagnoses
		}
		return ins, nil
	}
	in.hist = append(in.hist, s.point())
	if len(in.hist) > maxHistory {
		in.hist = slices.Delete(in.hist, 0, len(in.hist)-maxHistory)
	}
	ins.Diagnoses = diagnose(s, in.hist)
	in.last = &ins
	return ins, nil
}

// snapshot is one sample of a job: what the rules read.
type snapshot struct {
	at         time.Time
	state      string
	runningFor time.Duration
	statement  string
	out        Output
	vertices   []vertex // topological order, sources first
	checkpoint *Checkpoint
}

// vertex is one job vertex as sampled.
type vertex struct {
	id          string
	parallelism int
	source      bool // its first operator is a source
	ops         []Operator
	// inWM is the lowest input watermark of its first operator; outWMMin
	// and outWMMax the lowest and highest output watermark of its last
	// operator over subtasks (nil: none yet).
	inWM               *int64
	outWMMin, outWMMax *int64
	// recordsSum and recordsMax are the records its subtasks took in
	// (read by the source operator, for a source vertex).
	recordsSum, recordsMax int64
	busy                   float64 // highest subtask busy ratio, 0..1
	backpressure           string
	idle                   []int    // source subtasks that read nothing while others do
	splits                 []string // the Kafka splits (topic-partition) its subtasks read
	table                  string   // the source's table, for suggestions
	rowtime                string   // the rowtime column of its watermark
	// timeAttrs are the time attributes its time-based operators (windows,
	// interval and window joins, OVER, MATCH_RECOGNIZE) use, as the plan
	// names them; rowTimeAttr for a join the plan says is on row time.
	timeAttrs []string
	// procTimes are the processing-time attributes the plan computes
	// (PROCTIME() AS pt).
	procTimes      []string
	watermarkDelay int64 // the watermark's delay, ms, when the plan says
	collect        bool  // it holds the collect sink of a SELECT
}

// point is what the history keeps of a sample.
type point struct {
	at            time.Time
	downstreamWM  *int64           // see snapshot.downstreamWM
	sourceRecords int64            // records read by all sources
	sourceWM      map[string]int64 // highest output watermark of each source vertex that has one
}

// operators returns the operators of every vertex, in order.
func (s *snapshot) operators() []Operator {
	ops := []Operator{}
	for _, v := range s.vertices {
		ops = append(ops, v.ops...)
	}
	return ops
}

// sourceRecords returns the records all sources have read.
func (s *snapshot) sourceRecords() int64 {
	var n int64
	for _, v := range s.vertices {
		if v.source {
			n += v.recordsSum
		}
	}
	return n
}

// downstreamWM is the lowest input watermark of the vertices past the
// sources (the event-time operators: windows, joins), or of the last
// source vertex's operators when everything is chained into one.
func (s *snapshot) downstreamWM() *int64 {
	var wm *int64
	seen := false
	for _, v := range s.vertices {
		if v.source {
			continue
		}
		if !seen || lower(v.inWM, wm) {
			wm = v.inWM
		}
		seen = true
	}
	if !seen && len(s.vertices) > 0 {
		v := s.vertices[len(s.vertices)-1]
		return v.ops[len(v.ops)-1].InputWatermark
	}
	return wm
}

// eventTime reports whether the job's output waits for the watermark:
// one of its time-based operators uses a rowtime column. A job whose
// windows are on processing time, or that only aggregates a table that
// has a watermark, does not wait, however still its watermark. When the
// plan does not say which columns are rowtime (a source that takes the
// watermark in, as Kafka's, shows no watermark assigner), any watermark
// counts — unless every time-based operator is on a processing-time
// attribute the plan computes.
func (s *snapshot) eventTime() bool {
	rowtimes, proctimes := map[string]bool{}, map[string]bool{}
	for _, v := range s.vertices {
		if v.rowtime != "" {
			rowtimes[v.rowtime] = true
		}
		for _, p := range v.procTimes {
			proctimes[p] = true
		}
	}
	timed, unknown := false, false
	for _, v := range s.vertices {
		for _, a := range v.timeAttrs {
			if a == rowTimeAttr || rowtimes[a] {
				return true
			}
			timed = true
			unknown = unknown || !proctimes[a]
		}
	}
	if len(rowtimes) > 0 || timed && !unknown {
		return false
	}
	for _, v := range s.vertices {
		if v.outWMMax != nil || v.inWM != nil {
			return true
		}
	}
	return false
}

func (s *snapshot) point() point {
	p := point{at: s.at, downstreamWM: s.downstreamWM(), sourceRecords: s.sourceRecords(), sourceWM: map[string]int64{}}
	for _, v := range s.vertices {
		if v.source && v.outWMMax != nil {
			p.sourceWM[v.id] = *v.outWMMax
		}
	}
	return p
}

// lower reports whether watermark a is below b, nil (none yet) being the
// lowest.
func lower(a, b *int64) bool {
	switch {
	case a == nil:
		return b != nil
	case b == nil:
		return false
	}
	return *a < *b
}

func sameWM(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// collect samples the job from the JobManager.
func (in *Inspector) collect(ctx context.Context, out Output) (*snapshot, error) {
	g, err := in.jm.Job(ctx, in.jobID)
	if err != nil {
		return nil, err
	}
	now := in.opts.Now()
	s := &snapshot{at: now, state: g.State, statement: in.opts.Statement, out: out}
	// The JobManager's own figure: up to now while the job runs, to its
	// end once it has ended.
	switch {
	case g.Duration > 0:
		s.runningFor = time.Duration(g.Duration) * time.Millisecond
	case g.StartTime > 0:
		s.runningFor = max(0, time.Duration(now.UnixMilli()-g.StartTime)*time.Millisecond)
	}
	plan := map[string]flink.PlanNode{}
	for _, n := range g.Plan.Nodes {
		plan[n.ID] = n
	}
	for _, gv := range topological(g) {
		v := vertex{id: gv.ID, parallelism: gv.Parallelism}
		for _, name := range strings.Split(gv.Name, " -> ") {
			v.ops = append(v.ops, Operator{Name: name, VertexID: gv.ID, Parallelism: gv.Parallelism, Source: strings.HasPrefix(name, "Source:")})
		}
		v.source = v.ops[0].Source
		v.collect = strings.HasPrefix(v.ops[len(v.ops)-1].Name, "Sink: Collect")
		describe(&v, plan[gv.ID].Description)
		if g.State == flink.JobRunning {
			if err := in.measure(ctx, &v, now); err != nil {
				return nil, err
			}
		}
		s.vertices = append(s.vertices, v)
	}
	if g.State != flink.JobRunning {
		return s, nil
	}
	eventMax := (*int64)(nil)
	for _, v := range s.vertices {
		if v.source && v.outWMMax != nil && (eventMax == nil || *v.outWMMax > *eventMax) {
			eventMax = v.outWMMax
		}
	}
	for i := range s.vertices {
		for j := range s.vertices[i].ops {
			op := &s.vertices[i].ops[j]
			if op.InputWatermark == nil {
				continue
			}
			lag := now.UnixMilli() - *op.InputWatermark
			op.WatermarkLag = &lag
			if eventMax != nil {
				el := max(0, *eventMax-*op.InputWatermark)
				op.EventTimeLag = &el
			}
		}
	}
	if s.checkpoint, err = in.checkpoint(ctx, now); err != nil {
		return nil, err
	}
	return s, nil
}

// topological orders a job's vertices sources first (by the plan's
// inputs), keeping the JobManager's order among equals.
func topological(g flink.JobDetail) []flink.GraphVertex {
	inputs := map[string][]string{}
	for _, n := range g.Plan.Nodes {
		for _, in := range n.Inputs {
			inputs[n.ID] = append(inputs[n.ID], in.ID)
		}
	}
	placed := map[string]bool{}
	var order []flink.GraphVertex
	for len(order) < len(g.Vertices) {
		progress := false
		for _, v := range g.Vertices {
			if placed[v.ID] {
				continue
			}
			ready := true
			for _, in := range inputs[v.ID] {
				if !placed[in] && slices.ContainsFunc(g.Vertices, func(x flink.GraphVertex) bool { return x.ID == in }) {
					ready = false
				}
			}
			if ready {
				placed[v.ID] = true
				order = append(order, v)
				progress = true
			}
		}
		if !progress { // a cycle (iterations): keep the rest as listed
			for _, v := range g.Vertices {
				if !placed[v.ID] {
					placed[v.ID] = true
					order = append(order, v)
				}
			}
		}
	}
	return order
}

var (
	reScanTable = regexp.MustCompile(`table=\[\[([^\]]*)\]\]`)
	reRowtime   = regexp.MustCompile(`rowtime=\[([^\]]+)\]`)
	reTimeOp    = regexp.MustCompile(`^(?:Local|Global)?(?:Window(?:Aggregate|Join|Rank|Deduplicate|TableFunction)|GroupWindowAggregate|IntervalJoin|OverAggregate|Match)\(`)
	reTimeCol   = regexp.MustCompile(`(?:time_col=\[|orderBy=\[|TumblingGroupWindow\('w\$, |SlidingGroupWindow\('w\$, |SessionGroupWindow\('w\$, )(\w+)`)
	reWMDelay   = regexp.MustCompile(`watermark=\[[^\]]*?(\d+):INTERVAL`)
	reOpIndex   = regexp.MustCompile(`\[\d+\]$`)
	reProcTime  = regexp.MustCompile(`PROCTIME\(\) AS (\w+)`)
	reOpLine    = regexp.MustCompile(`^[\s+\-]*\[\d+\]:`)
)

// describe reads a vertex's source table, rowtime column and watermark
// delay from its plan description.
func describe(v *vertex, desc string) {
	if m := reScanTable.FindStringSubmatch(desc); m != nil {
		parts := strings.Split(m[1], ",")
		v.table = strings.TrimSpace(parts[len(parts)-1])
	} else if v.source {
		v.table = tableOfSource(v.ops[0].Name)
	}
	if m := reRowtime.FindStringSubmatch(desc); m != nil {
		v.rowtime = m[1]
	}
	for _, m := range reProcTime.FindAllStringSubmatch(desc, -1) {
		v.procTimes = append(v.procTimes, m[1])
	}
	// The plan describes a chain as lines "[id]:Op(...)", each below "+- ".
	for _, line := range strings.Split(desc, "<br/>") {
		op := reOpLine.ReplaceAllString(line, "")
		if !reTimeOp.MatchString(op) {
			continue
		}
		if strings.Contains(op, "isRowTime=true") {
			v.timeAttrs = append(v.timeAttrs, rowTimeAttr)
		}
		for _, m := range reTimeCol.FindAllStringSubmatch(op, -1) {
			v.timeAttrs = append(v.timeAttrs, m[1])
		}
	}
	if m := reWMDelay.FindStringSubmatch(desc); m != nil {
		fmt.Sscan(m[1], &v.watermarkDelay)
	}
}

// tableOfSource guesses the table a source operator reads from its name:
// "Source: src[1]" reads src, "Source: KafkaSource-eddy.default.kt" kt.
func tableOfSource(name string) string {
	t := reOpIndex.ReplaceAllString(strings.TrimPrefix(name, "Source: "), "")
	if i := strings.Index(t, "Source-"); i >= 0 {
		t = t[i+len("Source-"):]
	}
	if i := strings.LastIndex(t, "."); i >= 0 {
		t = t[i+1:]
	}
	return t
}

// rowTimeAttr stands in timeAttrs for a row-time attribute the plan does
// not name (an interval join's isRowTime=true).
const rowTimeAttr = "\x00rowtime"

// metricOperatorNameMax is how much of an operator's name Flink keeps in
// its metrics' names (metrics.operator-name.max-length's default).
const metricOperatorNameMax = 80

// metricPrefix is how Flink's metric service names an operator: its name
// cut to 80 characters, with ' ', '.', ':' and ',' made '_'.
func metricPrefix(op string) string {
	if len(op) > metricOperatorNameMax {
		op = op[:metricOperatorNameMax]
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', ':', ',':
			return '_'
		}
		return r
	}, op)
}

// Operator metrics the inspector reads, after the operator's prefix.
const (
	mRecordsIn     = ".numRecordsIn"
	mRecordsOut    = ".numRecordsOut"
	mInRate        = ".numRecordsInPerSecond"
	mOutRate       = ".numRecordsOutPerSecond"
	mInWatermark   = ".currentInputWatermark"
	mOutWatermark  = ".currentOutputWatermark"
	mLateDropped   = ".numLateRecordsDropped"
	splitWatermark = ".watermark.currentWatermark"
)

// measure fills a vertex's operators with their metrics and backpressure.
func (in *Inspector) measure(ctx context.Context, v *vertex, now time.Time) error {
	names, err := in.jm.VertexMetricNames(ctx, in.jobID, v.id)
	if err != nil {
		return err
	}
	has := map[string]bool{}
	for _, n := range names {
		has[n] = true
	}
	var get []string
	for _, op := range v.ops {
		p := metricPrefix(op.Name)
		for _, m := range []string{mRecordsIn, mRecordsOut, mInRate, mOutRate, mInWatermark, mOutWatermark, mLateDropped} {
			if has[p+m] {
				get = append(get, p+m)
			}
		}
	}
	for _, m := range []string{"numRecordsIn", "busyTimeMsPerSecond"} {
		if has[m] {
			get = append(get, m)
		}
	}
	srcPrefix := metricPrefix(v.ops[0].Name)
	for _, n := range names {
		if v.source && strings.HasPrefix(n, srcPrefix+".split.") && strings.HasSuffix(n, splitWatermark) {
			v.splits = append(v.splits, strings.TrimSuffix(strings.TrimPrefix(n, srcPrefix+".split."), splitWatermark))
		}
	}
	slices.Sort(v.splits)
	ms, err := in.jm.VertexMetrics(ctx, in.jobID, v.id, get)
	if err != nil {
		return err
	}
	sum := func(name string) float64 {
		if m, ok := ms[name]; ok && m.Sum.Known() {
			return float64(m.Sum)
		}
		return 0
	}
	for i := range v.ops {
		op := &v.ops[i]
		p := metricPrefix(op.Name)
		op.RecordsIn = int64(sum(p + mRecordsIn))
		op.RecordsOut = int64(sum(p + mRecordsOut))
		op.InRate = sum(p + mInRate)
		op.OutRate = sum(p + mOutRate)
		if op.Source || strings.HasPrefix(op.Name, "WatermarkAssigner") {
			op.InputWatermark = watermark(ms[p+mOutWatermark].Min, ms[p+mOutWatermark].ID != "")
		} else {
			op.InputWatermark = watermark(ms[p+mInWatermark].Min, ms[p+mInWatermark].ID != "")
		}
		if m, ok := ms[p+mLateDropped]; ok && m.Sum.Known() {
			n := int64(m.Sum)
			op.LateRecordsDropped = &n
		}
	}
	v.inWM = v.ops[0].InputWatermark
	tail := metricPrefix(v.ops[len(v.ops)-1].Name) + mOutWatermark
	if m, ok := ms[tail]; ok {
		v.outWMMin, v.outWMMax = watermark(m.Min, true), watermark(m.Max, true)
	}
	if v.source {
		m := ms[srcPrefix+mRecordsOut]
		v.recordsSum, v.recordsMax = int64(sum(srcPrefix+mRecordsOut)), known(m.Max)
		if v.parallelism > 1 && m.ID != "" && known(m.Min) == 0 && v.recordsMax > 0 {
			if v.idle, err = in.idleSubtasks(ctx, v, srcPrefix+mRecordsOut); err != nil {
				return err
			}
			v.ops[0].IdleSubtasks = v.idle
		}
	} else if m, ok := ms["numRecordsIn"]; ok {
		v.recordsSum, v.recordsMax = known(m.Sum), known(m.Max)
	}
	if m, ok := ms["busyTimeMsPerSecond"]; ok && m.Max.Known() {
		v.busy = float64(m.Max) / 1000
	}
	bp, err := in.jm.Backpressure(ctx, in.jobID, v.id)
	if err != nil {
		return err
	}
	v.backpressure = bp.Level
	ratio, busy := 0.0, 0.0
	for _, st := range bp.Subtasks {
		if st.Ratio.Known() {
			ratio = max(ratio, float64(st.Ratio))
		}
		if st.BusyRatio.Known() {
			busy = max(busy, float64(st.BusyRatio))
		}
	}
	if v.busy == 0 {
		v.busy = busy
	}
	for i := range v.ops {
		v.ops[i].Backpressure, v.ops[i].BackpressureRatio, v.ops[i].BusyRatio = bp.Level, ratio, v.busy
	}
	return nil
}

// idleSubtasks returns the subtasks of a source vertex whose records
// metric is 0, asking each subtask (up to maxSubtaskQueries).
func (in *Inspector) idleSubtasks(ctx context.Context, v *vertex, records string) ([]int, error) {
	var idle []int
	for i := range min(v.parallelism, maxSubtaskQueries) {
		ms, err := in.jm.SubtaskMetrics(ctx, in.jobID, v.id, i, []string{records})
		if err != nil {
			return nil, err
		}
		if m, ok := ms[records]; ok && m.Known() && m == 0 {
			idle = append(idle, i)
		}
	}
	return idle, nil
}

// checkpoint reads the job's checkpointing.
func (in *Inspector) checkpoint(ctx context.Context, now time.Time) (*Checkpoint, error) {
	cfg, err := in.jm.CheckpointConfig(ctx, in.jobID)
	if err != nil {
		return nil, err
	}
	sum, err := in.jm.CheckpointSummary(ctx, in.jobID)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{Interval: cfg.Interval, Mode: cfg.Mode, Completed: sum.Counts.Completed}
	if l := sum.Latest.Completed; l != nil {
		age := max(0, now.UnixMilli()-l.LatestAck)
		c.LastAge, c.LastSize = &age, l.StateSize
	}
	return c, nil
}

// minWatermark is Long.MIN_VALUE as Flink's metrics report it (a double):
// no watermark yet.
const minWatermark = -9.2e18

// watermark converts a watermark metric to epoch milliseconds, nil when
// absent or none has arrived yet.
func watermark(v flink.MetricValue, ok bool) *int64 {
	if !ok || !v.Known() || float64(v) < minWatermark || math.IsInf(float64(v), 0) {
		return nil
	}
	ms := int64(v)
	return &ms
}

func known(v flink.MetricValue) int64 {
	if !v.Known() {
		return 0
	}
	return int64(v)
}
