package inspect

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Thresholds of the rules.
const (
	// stuckFor is how long a watermark must not move, while sources read,
	// before it is called stuck.
	stuckFor = 10 * time.Second
	// noInputAfter is how long a job runs before reading nothing is
	// called a problem (the JobManager's metrics lag up to 10 s).
	noInputAfter = 15 * time.Second
	// slowCheckpoints is the checkpoint interval from which a SELECT's
	// rows visibly wait for checkpoints.
	slowCheckpoints = 3 * time.Second
	// skewShare is the share of a vertex's records one subtask must take,
	// and skewMinRecords how many records it must have seen, to be skewed.
	skewShare      = 0.8
	skewMinRecords = 1000
)

// diagnose applies the rules to the newest sample s, whose point is the
// last of hist.
func diagnose(s *snapshot, hist []point) []Diagnosis {
	ds := []Diagnosis{}
	idle := idleSource(s, hist)
	if idle != nil {
		ds = append(ds, *idle)
	} else if d := watermarkStuck(s, hist); d != nil {
		ds = append(ds, *d)
	}
	if d := noInput(s); d != nil {
		ds = append(ds, *d)
	}
	ds = append(ds, lateRecords(s)...)
	if d := backpressured(s); d != nil {
		ds = append(ds, *d)
	}
	if d := waitForCheckpoint(s); d != nil {
		ds = append(ds, *d)
	}
	ds = append(ds, skewed(s)...)
	return ds
}

// stuckSince returns how long the downstream watermark has been what it
// is now, and how many records the sources read meanwhile, by walking the
// history back while it is unchanged.
func stuckSince(hist []point) (time.Duration, int64) {
	if len(hist) == 0 {
		return 0, 0
	}
	last := hist[len(hist)-1]
	first := last
	for i := len(hist) - 2; i >= 0 && sameWM(hist[i].downstreamWM, last.downstreamWM); i-- {
		first = hist[i]
	}
	return last.at.Sub(first.at), last.sourceRecords - first.sourceRecords
}

// idleSource is SOURCE_IDLE: source subtasks that read nothing while
// others do, with the watermark past the sources not there or stuck.
func idleSource(s *snapshot, hist []point) *Diagnosis {
	if !s.eventTime() {
		return nil
	}
	wm := s.downstreamWM()
	if stuck, _ := stuckSince(hist); wm != nil && stuck < stuckFor {
		return nil
	}
	for _, v := range s.vertices {
		if !v.source || len(v.idle) == 0 {
			continue
		}
		src := v.ops[0].Name
		msg := fmt.Sprintf("%s of %s (%d of its %d subtasks) read nothing while the others read %d records, so they send no watermark and hold back the watermark of every event-time operator past them: %s.",
			subtasks(v.idle), src, len(v.idle), v.parallelism, v.recordsSum, heldWatermark(s, wm))
		if len(v.splits) > 0 {
			msg += fmt.Sprintf(" The source has %d %s (%s) for %d subtasks: a subtask without one stays idle.",
				len(v.splits), plural(len(v.splits), "Kafka partition", "Kafka partitions"), strings.Join(v.splits, ", "), v.parallelism)
		}
		table := v.table
		if table == "" {
			table = "<table>"
		}
		sug := "-- Let the watermark advance without idle source subtasks, then run the paragraph again:\n" +
			"SET 'table.exec.source.idle-timeout' = '5 s';\n" +
			"-- or for this table only (a table option):\n" +
			fmt.Sprintf("-- ALTER TABLE %s SET ('scan.watermark.idle-timeout' = '5 s');\n", table) +
			fmt.Sprintf("-- or read with no more subtasks than it has partitions:\n-- SET 'parallelism.default' = '%d';", max(1, v.parallelism-len(v.idle)))
		return &Diagnosis{Code: SourceIdle, Message: msg, Operator: src, Suggestion: sug}
	}
	return nil
}

// heldWatermark says where the watermark past the sources is.
func heldWatermark(s *snapshot, wm *int64) string {
	if wm == nil {
		return "no watermark has arrived there yet, so no window fires"
	}
	return fmt.Sprintf("it is at %s, %s behind wall-clock", formatTime(*wm), formatDuration(time.Duration(s.at.UnixMilli()-*wm)*time.Millisecond))
}

// watermarkStuck is WATERMARK_NOT_ADVANCING: the watermark past the
// sources has not moved for stuckFor while sources read records.
func watermarkStuck(s *snapshot, hist []point) *Diagnosis {
	if !s.eventTime() {
		return nil
	}
	stuck, read := stuckSince(hist)
	if stuck < stuckFor || read <= 0 {
		return nil
	}
	wm := s.downstreamWM()
	at := "the event-time operators"
	for _, v := range s.vertices {
		if !v.source {
			at = v.ops[0].Name
			break
		}
	}
	// The source holding it back: the one with the lowest watermark.
	var held *vertex
	for i := range s.vertices {
		v := &s.vertices[i]
		if v.source && (held == nil || lower(v.outWMMin, held.outWMMin)) {
			held = v
		}
	}
	msg := fmt.Sprintf("The watermark at %s has not moved for %s (%s) while the sources read %d records: windows and other event-time operators cannot fire.",
		at, formatDuration(stuck), heldWatermark(s, wm), read)
	d := &Diagnosis{Code: WatermarkNotAdvancing, Message: msg}
	if held == nil {
		d.Suggestion = "-- Check the WATERMARK clause of the tables this query reads."
		return d
	}
	d.Operator = held.ops[0].Name
	table := held.table
	if table == "" {
		table = "<table>"
	}
	rowtime := held.rowtime
	if rowtime == "" {
		rowtime = "<rowtime column>"
	}
	if held.outWMMin == nil {
		d.Message += fmt.Sprintf(" %s (table %s) holds it back: it has sent no watermark yet.", held.ops[0].Name, table)
		d.Suggestion = fmt.Sprintf("-- %s sends no watermark: check that its rows carry an event time in %s, or let idle sources be skipped:\nSET 'table.exec.source.idle-timeout' = '5 s';", table, rowtime)
		return d
	}
	d.Message += fmt.Sprintf(" %s (table %s) holds it back: its watermark is %s, %s behind wall-clock.",
		held.ops[0].Name, table, formatTime(*held.outWMMin), formatDuration(time.Duration(s.at.UnixMilli()-*held.outWMMin)*time.Millisecond))
	if sourceStuck(hist, held.id) {
		d.Message += fmt.Sprintf(" Its own watermark has not moved either: the event time %s of its rows does not advance.", rowtime)
		d.Suggestion = procTimeSuggestion(s.statement, table, rowtime)
		return d
	}
	d.Suggestion = fmt.Sprintf("-- %s's watermark advances slower than the others': check the event time %s of its rows, or skip idle sources:\nSET 'table.exec.source.idle-timeout' = '5 s';", table, rowtime)
	return d
}

// sourceStuck reports whether a source vertex's highest watermark is the
// same over the span the downstream watermark has been stuck. A sample
// without the source's watermark (the JobManager's metrics had none for it
// yet) says nothing either way.
func sourceStuck(hist []point, id string) bool {
	last := hist[len(hist)-1]
	wm, ok := last.sourceWM[id]
	if !ok {
		return false
	}
	for i := len(hist) - 2; i >= 0 && sameWM(hist[i].downstreamWM, last.downstreamWM); i-- {
		w, ok := hist[i].sourceWM[id]
		if !ok {
			continue
		}
		if w != wm {
			return false
		}
	}
	return true
}

// procTimeSuggestion rewrites a windowing statement over table's event
// time rowtime to processing time: a view adding PROCTIME() and the
// statement reading it.
func procTimeSuggestion(stmt, table, rowtime string) string {
	view := table + "_proctime"
	sug := "-- The event time does not advance, so event-time windows never close. Window on processing time instead:\n" +
		fmt.Sprintf("CREATE TEMPORARY VIEW IF NOT EXISTS %s AS SELECT *, PROCTIME() AS proc_time FROM %s;\n", view, table)
	tableRef := regexp.MustCompile("(?i)(\\bTABLE\\s+)`?" + regexp.QuoteMeta(table) + "`?(\\s*[,)])")
	descriptor := regexp.MustCompile("(?i)DESCRIPTOR\\(\\s*`?" + regexp.QuoteMeta(rowtime) + "`?\\s*\\)")
	stmt = strings.TrimRight(strings.TrimSpace(stmt), ";")
	if tableRef.MatchString(stmt) && descriptor.MatchString(stmt) {
		stmt = tableRef.ReplaceAllString(stmt, "${1}"+view+"${2}")
		stmt = descriptor.ReplaceAllString(stmt, "DESCRIPTOR(proc_time)")
		return sug + stmt + ";"
	}
	return sug + fmt.Sprintf("-- then read %s in place of %s and window on proc_time in place of %s.", view, table, rowtime)
}

// noInput is NO_INPUT: the job has run a while and no source has read a
// record.
func noInput(s *snapshot) *Diagnosis {
	if s.runningFor < noInputAfter {
		return nil
	}
	var names []string
	for _, v := range s.vertices {
		if !v.source {
			continue
		}
		if v.recordsSum > 0 {
			return nil
		}
		names = append(names, v.ops[0].Name)
	}
	if len(names) == 0 {
		return nil
	}
	msg := fmt.Sprintf("The job has run for %s and its %s (%s) %s read no record.",
		formatDuration(s.runningFor), plural(len(names), "source", "sources"), strings.Join(names, ", "), plural(len(names), "has", "have"))
	sug := "-- The source tables may be empty from where they start reading. For a Kafka table, read from the start:\n" +
		"-- SELECT * FROM <table> /*+ OPTIONS('scan.startup.mode' = 'earliest-offset') */;\n" +
		"-- and check its topic and 'properties.bootstrap.servers'; SHOW CREATE TABLE <table>; shows them."
	return &Diagnosis{Code: NoInput, Message: msg, Operator: names[0], Suggestion: sug}
}

// lateRecords is LATE_RECORDS_DROPPED, one per operator that dropped some.
func lateRecords(s *snapshot) []Diagnosis {
	var ds []Diagnosis
	table, rowtime, delay := "<table>", "<rowtime column>", int64(0)
	for _, v := range s.vertices {
		if v.source && v.rowtime != "" {
			if v.table != "" {
				table = v.table
			}
			rowtime, delay = v.rowtime, v.watermarkDelay
			break
		}
	}
	guess := max(10, 2*delay/1000)
	for _, v := range s.vertices {
		for _, op := range v.ops {
			if op.LateRecordsDropped == nil || *op.LateRecordsDropped <= 0 {
				continue
			}
			msg := fmt.Sprintf("%s has dropped %d late %s: rows whose event time was already behind the watermark when they arrived (the watermark allows %s of lateness).",
				op.Name, *op.LateRecordsDropped, plural(int(min(*op.LateRecordsDropped, 2)), "record", "records"), formatDuration(time.Duration(delay)*time.Millisecond))
			sug := fmt.Sprintf("-- Allow rows to arrive later: a longer watermark delay. %d s is a guess; raise it until the count stops growing\n"+
				"-- (results come that much later). A TEMPORARY table is re-created with the new WATERMARK clause instead.\n"+
				"ALTER TABLE %s MODIFY WATERMARK FOR %s AS %s - INTERVAL '%d' SECOND;", guess, table, rowtime, rowtime, guess)
			ds = append(ds, Diagnosis{Code: LateRecordsDropped, Message: msg, Operator: op.Name, Suggestion: sug})
		}
	}
	return ds
}

// backpressured is BACKPRESSURED: a vertex at high backpressure, and the
// busiest vertex downstream of it as the bottleneck.
func backpressured(s *snapshot) *Diagnosis {
	for i, v := range s.vertices {
		if v.backpressure != "high" {
			continue
		}
		var neck *vertex
		for j := i + 1; j < len(s.vertices); j++ {
			if w := &s.vertices[j]; neck == nil || w.busy > neck.busy {
				neck = w
			}
		}
		msg := fmt.Sprintf("%s is backpressured (%.0f%% of the time): it produces faster than the operators after it consume.",
			v.ops[0].Name, 100*v.ops[0].BackpressureRatio)
		p := v.parallelism
		if neck != nil {
			msg += fmt.Sprintf(" The bottleneck is %s, busy %.0f%% of the time with %d %s.",
				neck.ops[0].Name, 100*neck.busy, neck.parallelism, plural(neck.parallelism, "subtask", "subtasks"))
			p = neck.parallelism
		}
		sug := fmt.Sprintf("-- Give the job more parallel subtasks (the cluster needs free slots for them), then run the paragraph again:\nSET 'parallelism.default' = '%d';", 2*max(1, p))
		op := v.ops[0].Name
		if neck != nil {
			op = neck.ops[0].Name
		}
		return &Diagnosis{Code: Backpressured, Message: msg, Operator: op, Suggestion: sug}
	}
	return nil
}

// waitForCheckpoint is RESULTS_WAIT_FOR_CHECKPOINT, in two forms. A
// SELECT (collect sink) with exactly-once checkpointing: Flink hands its
// rows to the client only once a checkpoint completes (Eddy runs a
// notebook's SELECTs at least once, which does not wait, but a job
// submitted otherwise may). A file sink (the filesystem connector's
// StreamingFileWriter): its files stay hidden, in progress, until a
// checkpoint commits them — never without checkpointing.
func waitForCheckpoint(s *snapshot) *Diagnosis {
	c := s.checkpoint
	if c == nil {
		return nil
	}
	every := formatDuration(time.Duration(c.Interval) * time.Millisecond)
	for _, v := range s.vertices {
		if fw := slices.IndexFunc(v.ops, func(op Operator) bool { return strings.HasPrefix(op.Name, "StreamingFileWriter") }); fw >= 0 {
			w := v.ops[fw]
			var msg string
			switch {
			case c.Interval == 0:
				taken := "what it writes stays"
				if w.RecordsIn > 0 {
					taken = fmt.Sprintf("the %d records it has taken stay", w.RecordsIn)
				}
				msg = fmt.Sprintf("%s writes files that only a checkpoint commits, and checkpointing is off: %s in hidden in-progress files, and readers of the table never see them.", w.Name, taken)
			case c.Interval >= slowCheckpoints.Milliseconds():
				msg = fmt.Sprintf("%s writes files that only a checkpoint commits (every %s): readers of the table see new rows only that often. %d %s completed so far.",
					w.Name, every, c.Completed, plural(int(min(c.Completed, 2)), "checkpoint has", "checkpoints have"))
			default:
				continue
			}
			sug := "-- Commit the files regularly: checkpoint, then run the paragraph again (a shorter interval shows rows sooner):\n" +
				"SET 'execution.checkpointing.interval' = '10 s';"
			return &Diagnosis{Code: ResultsWaitForCheckpoint, Message: msg, Operator: w.Name, Suggestion: sug}
		}
	}
	if s.out.Insert || c.Interval < slowCheckpoints.Milliseconds() || c.Mode != "exactly_once" {
		return nil
	}
	for _, v := range s.vertices {
		if !v.collect {
			continue
		}
		sink := v.ops[len(v.ops)-1]
		msg := fmt.Sprintf("Checkpointing is on (every %s, exactly once): Flink hands a query's rows to the client only when a checkpoint completes, so rows come in bursts up to %s apart. %d %s completed so far; the sink has received %d records and the paragraph shows %d rows.",
			every, every, c.Completed, plural(int(min(c.Completed, 2)), "checkpoint has", "checkpoints have"), sink.RecordsIn, s.out.Rows)
		sug := "-- See rows as they come: checkpoint at least once, or more often, then run the paragraph again:\n" +
			"SET 'execution.checkpointing.mode' = 'AT_LEAST_ONCE';\n" +
			"-- or: SET 'execution.checkpointing.interval' = '1 s';"
		return &Diagnosis{Code: ResultsWaitForCheckpoint, Message: msg, Operator: sink.Name, Suggestion: sug}
	}
	return nil
}

// skewed is SKEWED: a parallel vertex where one subtask takes most
// records.
func skewed(s *snapshot) []Diagnosis {
	var ds []Diagnosis
	for _, v := range s.vertices {
		if v.parallelism < 2 || len(v.idle) > 0 || v.recordsSum < skewMinRecords {
			continue
		}
		share := float64(v.recordsMax) / float64(v.recordsSum)
		if share <= skewShare {
			continue
		}
		msg := fmt.Sprintf("%s is skewed: one of its %d subtasks took %d of %d records (%.0f%%), so it does the work alone while the others wait.",
			v.ops[0].Name, v.parallelism, v.recordsMax, v.recordsSum, 100*share)
		sug := "-- A few keys carry most rows. For aggregations, aggregate in two phases and split distinct aggregates:\n" +
			"SET 'table.exec.mini-batch.enabled' = 'true';\n" +
			"SET 'table.exec.mini-batch.allow-latency' = '1 s';\n" +
			"SET 'table.exec.mini-batch.size' = '1000';\n" +
			"SET 'table.optimizer.agg-phase-strategy' = 'TWO_PHASE';\n" +
			"SET 'table.optimizer.distinct-agg.split.enabled' = 'true';"
		ds = append(ds, Diagnosis{Code: Skewed, Message: msg, Operator: v.ops[0].Name, Suggestion: sug})
	}
	return ds
}

// subtasks names subtask indexes: "subtask 1", "subtasks 1, 3".
func subtasks(ix []int) string {
	s := make([]string, len(ix))
	for i, x := range ix {
		s[i] = fmt.Sprint(x)
	}
	return plural(len(ix), "Subtask ", "Subtasks ") + strings.Join(s, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// formatTime writes epoch milliseconds as a UTC timestamp, as Flink
// prints a TIMESTAMP(3).
func formatTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000")
}

// formatDuration writes a duration in the largest unit that fits:
// "12 s", "5 min", "3 h", "2 days", "6.9 years".
func formatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + formatDuration(-d)
	case d < 2*time.Second && d%time.Second != 0:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < 2*time.Minute:
		return fmt.Sprintf("%d s", int64(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", int64(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int64(d.Hours()))
	case d < 365*24*time.Hour:
		return fmt.Sprintf("%d days", int64(d.Hours()/24))
	}
	return fmt.Sprintf("%.1f years", d.Hours()/24/365.25)
}
