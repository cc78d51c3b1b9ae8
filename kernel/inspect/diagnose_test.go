package inspect

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)

func ms(v int64) *int64 { return &v }

// windowJob is the shape of a windowed SELECT: a source vertex (source,
// calc, watermark assigner, local window) and a window vertex ending in
// the collect sink, as Flink 2.3 plans it.
func windowJob(at time.Duration, records int64, srcWM, downWM *int64) *snapshot {
	src := vertex{id: "v1", parallelism: 1, source: true, table: "src", rowtime: "ts", timeAttrs: []string{"ts"},
		ops:      []Operator{{Name: "Source: src[1]", Source: true}, {Name: "Calc[2]"}, {Name: "WatermarkAssigner[3]"}, {Name: "LocalWindowAggregate[4]"}},
		outWMMin: srcWM, outWMMax: srcWM, recordsSum: records, recordsMax: records}
	win := vertex{id: "v2", parallelism: 1, inWM: downWM, collect: true,
		ops: []Operator{{Name: "GlobalWindowAggregate[6]", InputWatermark: downWM}, {Name: "Calc[7]"}, {Name: "ConstraintEnforcer[8]"}, {Name: "Sink: Collect table sink"}}}
	return &snapshot{at: t0.Add(at), state: "RUNNING", runningFor: at, vertices: []vertex{src, win},
		statement:  "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end",
		checkpoint: &Checkpoint{}}
}

// run feeds samples to the rules as an Inspector does and returns the
// diagnoses of the last.
func run(samples ...*snapshot) []Diagnosis {
	var hist []point
	var ds []Diagnosis
	for _, s := range samples {
		hist = append(hist, s.point())
		ds = diagnose(s, hist)
	}
	return ds
}

func find(ds []Diagnosis, code string) *Diagnosis {
	for i := range ds {
		if ds[i].Code == code {
			return &ds[i]
		}
	}
	return nil
}

func codes(ds []Diagnosis) []string {
	var cs []string
	for _, d := range ds {
		cs = append(cs, d.Code)
	}
	return cs
}

const wm2020 = 1577836800000 // 2020-01-01 00:00:00 UTC

func TestDiagnose_WatermarkNotAdvancing(t *testing.T) {
	t.Run("Stuck", func(t *testing.T) {
		ds := run(windowJob(0, 0, nil, nil), windowJob(4*time.Second, 20, ms(wm2020), ms(wm2020)),
			windowJob(8*time.Second, 20, ms(wm2020), ms(wm2020)), windowJob(14*time.Second, 70, ms(wm2020), ms(wm2020)))
		d := find(ds, WatermarkNotAdvancing)
		if d == nil {
			t.Fatalf("diagnoses %v, want %s", codes(ds), WatermarkNotAdvancing)
		}
		for _, want := range []string{"GlobalWindowAggregate[6]", "10 s", "50 records", "2020-01-01 00:00:00.000", "6.9 years behind", "Source: src[1] (table src)", "event time ts"} {
			if !strings.Contains(d.Message, want) {
				t.Errorf("message lacks %q: %s", want, d.Message)
			}
		}
		if d.Operator != "Source: src[1]" {
			t.Errorf("operator %q, want the source", d.Operator)
		}
		want := "CREATE TEMPORARY VIEW IF NOT EXISTS src_proctime AS SELECT *, PROCTIME() AS proc_time FROM src;\n" +
			"SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE src_proctime, DESCRIPTOR(proc_time), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end;"
		if !strings.HasSuffix(d.Suggestion, want) {
			t.Errorf("suggestion:\n%s\nwant it to end with:\n%s", d.Suggestion, want)
		}
	})
	t.Run("SourceMetricMissingInASample", func(t *testing.T) {
		// The downstream watermark is stuck while one sample lacks the
		// source's: the source still counts as stuck, and the suggestion
		// is the fixed query, not an idle timeout.
		ds := run(windowJob(0, 0, nil, nil), windowJob(4*time.Second, 20, nil, ms(wm2020)),
			windowJob(8*time.Second, 20, ms(wm2020), ms(wm2020)), windowJob(14*time.Second, 70, ms(wm2020), ms(wm2020)))
		d := find(ds, WatermarkNotAdvancing)
		if d == nil {
			t.Fatalf("diagnoses %v, want %s", codes(ds), WatermarkNotAdvancing)
		}
		if !strings.Contains(d.Suggestion, "DESCRIPTOR(proc_time)") {
			t.Errorf("suggestion is not the query on processing time:\n%s", d.Suggestion)
		}
	})
	t.Run("NotYet", func(t *testing.T) {
		// 8 s stuck is not long enough.
		ds := run(windowJob(4*time.Second, 20, ms(wm2020), ms(wm2020)), windowJob(12*time.Second, 70, ms(wm2020), ms(wm2020)))
		if d := find(ds, WatermarkNotAdvancing); d != nil {
			t.Fatalf("diagnosed after 8 s: %s", d.Message)
		}
	})
	t.Run("NoRecordsRead", func(t *testing.T) {
		// The metrics did not refresh: the same records, the same
		// watermark, over 12 s says nothing.
		ds := run(windowJob(2*time.Second, 20, ms(wm2020), ms(wm2020)), windowJob(14*time.Second, 20, ms(wm2020), ms(wm2020)))
		if d := find(ds, WatermarkNotAdvancing); d != nil {
			t.Fatalf("diagnosed without records read: %s", d.Message)
		}
	})
	t.Run("Advancing", func(t *testing.T) {
		now := t0.UnixMilli()
		ds := run(windowJob(2*time.Second, 20, ms(now), ms(now-1000)), windowJob(8*time.Second, 60, ms(now), ms(now-1000)),
			windowJob(14*time.Second, 120, ms(now+10000), ms(now+9000)))
		if d := find(ds, WatermarkNotAdvancing); d != nil {
			t.Fatalf("diagnosed a moving watermark: %s", d.Message)
		}
	})
	t.Run("SourceMovesDownstreamStuck", func(t *testing.T) {
		now := t0.UnixMilli()
		ds := run(windowJob(2*time.Second, 20, ms(now), ms(wm2020)), windowJob(14*time.Second, 120, ms(now+12000), ms(wm2020)))
		d := find(ds, WatermarkNotAdvancing)
		if d == nil {
			t.Fatalf("diagnoses %v", codes(ds))
		}
		if strings.Contains(d.Suggestion, "PROCTIME") {
			t.Errorf("suggests processing time for a source whose event time moves: %s", d.Suggestion)
		}
	})
	t.Run("ProcessingTime", func(t *testing.T) {
		s1, s2 := windowJob(2*time.Second, 20, nil, nil), windowJob(14*time.Second, 120, nil, nil)
		for _, s := range []*snapshot{s1, s2} {
			s.vertices[0].rowtime = ""
		}
		if ds := run(s1, s2); len(ds) != 0 {
			t.Fatalf("a job without event time diagnosed %v", codes(ds))
		}
	})
}

func TestProcTimeSuggestion(t *testing.T) {
	for _, tc := range []struct{ stmt, want string }{
		{"SELECT * FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '5' SECOND));",
			"SELECT * FROM TABLE(TUMBLE(TABLE src_proctime, DESCRIPTOR(proc_time), INTERVAL '5' SECOND));"},
		{"select * from table(hop(table `src` , descriptor( ts ), interval '1' second, interval '5' second))",
			"select * from table(hop(table src_proctime , DESCRIPTOR(proc_time), interval '1' second, interval '5' second));"},
		// src2 is another table: left alone, so no rewrite.
		{"SELECT * FROM TABLE(TUMBLE(TABLE src2, DESCRIPTOR(ts), INTERVAL '5' SECOND))",
			"-- then read src_proctime in place of src and window on proc_time in place of ts."},
	} {
		got := procTimeSuggestion(tc.stmt, "src", "ts")
		if !strings.HasSuffix(got, tc.want) {
			t.Errorf("procTimeSuggestion(%q):\n%s\nwant it to end with\n%s", tc.stmt, got, tc.want)
		}
	}
}

// kafkaJob is a windowed SELECT over a Kafka table read by parallelism
// subtasks, of which idle read nothing.
func kafkaJob(at time.Duration, records int64, idle []int, srcMax, downWM *int64) *snapshot {
	src := vertex{id: "v1", parallelism: 2, source: true, table: "kt", idle: idle, splits: []string{"t1-0"},
		ops:      []Operator{{Name: "Source: KafkaSource-eddy.default.kt", Source: true, IdleSubtasks: idle}, {Name: "Calc[2]"}, {Name: "LocalWindowAggregate[3]"}},
		outWMMax: srcMax, recordsSum: records, recordsMax: records}
	win := vertex{id: "v2", parallelism: 2, inWM: downWM, collect: true,
		ops: []Operator{{Name: "GlobalWindowAggregate[5]", InputWatermark: downWM}, {Name: "Sink: Collect table sink"}}}
	return &snapshot{at: t0.Add(at), state: "RUNNING", runningFor: at, vertices: []vertex{src, win}}
}

func TestDiagnose_SourceIdle(t *testing.T) {
	now := t0.UnixMilli()
	t.Run("OK", func(t *testing.T) {
		ds := run(kafkaJob(2*time.Second, 40, []int{1}, ms(now), nil), kafkaJob(14*time.Second, 280, []int{1}, ms(now+12000), nil))
		d := find(ds, SourceIdle)
		if d == nil {
			t.Fatalf("diagnoses %v, want %s", codes(ds), SourceIdle)
		}
		if find(ds, WatermarkNotAdvancing) != nil {
			t.Errorf("WATERMARK_NOT_ADVANCING besides SOURCE_IDLE: %v", codes(ds))
		}
		for _, want := range []string{"Subtask 1 of Source: KafkaSource-eddy.default.kt", "1 of its 2 subtasks", "280 records", "no watermark has arrived", "1 Kafka partition (t1-0) for 2 subtasks"} {
			if !strings.Contains(d.Message, want) {
				t.Errorf("message lacks %q: %s", want, d.Message)
			}
		}
		for _, want := range []string{"SET 'table.exec.source.idle-timeout' = '5 s';", "'scan.watermark.idle-timeout'", "ALTER TABLE kt"} {
			if !strings.Contains(d.Suggestion, want) {
				t.Errorf("suggestion lacks %q: %s", want, d.Suggestion)
			}
		}
	})
	t.Run("WatermarkMoves", func(t *testing.T) {
		// With an idle timeout set, the idle subtask no longer holds the
		// watermark: nothing to say.
		ds := run(kafkaJob(2*time.Second, 40, []int{1}, ms(now), ms(now-500)), kafkaJob(8*time.Second, 160, []int{1}, ms(now+6000), ms(now+5500)))
		if d := find(ds, SourceIdle); d != nil {
			t.Fatalf("diagnosed a moving watermark: %s", d.Message)
		}
	})
}

func TestDiagnose_NoInput(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		ds := run(windowJob(16*time.Second, 0, nil, nil))
		d := find(ds, NoInput)
		if d == nil || d.Operator != "Source: src[1]" || !strings.Contains(d.Message, "16 s") || !strings.Contains(d.Suggestion, "scan.startup.mode") {
			t.Fatalf("diagnoses %+v", ds)
		}
	})
	t.Run("TooEarly", func(t *testing.T) {
		if ds := run(windowJob(8*time.Second, 0, nil, nil)); find(ds, NoInput) != nil {
			t.Fatalf("NO_INPUT after 8 s")
		}
	})
	t.Run("Reading", func(t *testing.T) {
		if ds := run(windowJob(20*time.Second, 1, nil, nil)); find(ds, NoInput) != nil {
			t.Fatalf("NO_INPUT with a record read")
		}
	})
}

func TestDiagnose_LateRecordsDropped(t *testing.T) {
	now := t0.UnixMilli()
	s := windowJob(20*time.Second, 400, ms(now), ms(now))
	s.vertices[0].watermarkDelay = 5000
	s.vertices[1].ops[0].LateRecordsDropped = ms(32)
	ds := run(s)
	d := find(ds, LateRecordsDropped)
	if d == nil {
		t.Fatalf("diagnoses %v", codes(ds))
	}
	if d.Operator != "GlobalWindowAggregate[6]" || !strings.Contains(d.Message, "has dropped 32 late records") || !strings.Contains(d.Message, "5 s of lateness") {
		t.Errorf("diagnosis %+v", d)
	}
	if !strings.Contains(d.Suggestion, "ALTER TABLE src MODIFY WATERMARK FOR ts AS ts - INTERVAL '10' SECOND;") {
		t.Errorf("suggestion %s", d.Suggestion)
	}
	s.vertices[1].ops[0].LateRecordsDropped = ms(0)
	if ds := run(s); find(ds, LateRecordsDropped) != nil {
		t.Errorf("LATE_RECORDS_DROPPED with none dropped")
	}
}

func TestDiagnose_Backpressured(t *testing.T) {
	now := t0.UnixMilli()
	s := windowJob(20*time.Second, 400, ms(now), ms(now))
	s.vertices[0].backpressure = "high"
	s.vertices[0].ops[0].BackpressureRatio = 0.9
	s.vertices[1].busy = 0.97
	ds := run(s)
	d := find(ds, Backpressured)
	if d == nil {
		t.Fatalf("diagnoses %v", codes(ds))
	}
	if d.Operator != "GlobalWindowAggregate[6]" || !strings.Contains(d.Message, "Source: src[1] is backpressured (90%") || !strings.Contains(d.Message, "busy 97%") {
		t.Errorf("diagnosis %+v", d)
	}
	if !strings.Contains(d.Suggestion, "SET 'parallelism.default' = '2';") {
		t.Errorf("suggestion %s", d.Suggestion)
	}
	s.vertices[0].backpressure = "low"
	if ds := run(s); find(ds, Backpressured) != nil {
		t.Errorf("BACKPRESSURED at low backpressure")
	}
}

func TestDiagnose_ResultsWaitForCheckpoint(t *testing.T) {
	now := t0.UnixMilli()
	s := windowJob(20*time.Second, 400, ms(now), ms(now))
	s.checkpoint = &Checkpoint{Interval: 30000, Mode: "exactly_once", Completed: 0}
	s.vertices[1].ops[3].RecordsIn = 12
	d := find(run(s), ResultsWaitForCheckpoint)
	if d == nil || d.Operator != "Sink: Collect table sink" || !strings.Contains(d.Message, "every 30 s") || !strings.Contains(d.Message, "received 12 records") {
		t.Fatalf("diagnosis %+v", d)
	}
	if !strings.Contains(d.Suggestion, "SET 'execution.checkpointing.mode' = 'AT_LEAST_ONCE';") || !strings.Contains(d.Suggestion, "SET 'execution.checkpointing.interval' = '1 s'") {
		t.Errorf("suggestion %s", d.Suggestion)
	}
	for name, change := range map[string]func(s *snapshot){
		"Off":   func(s *snapshot) { s.checkpoint.Interval = 0 },
		"Often": func(s *snapshot) { s.checkpoint.Interval = 1000 },
		// At least once, the collect sink hands rows over as they come (how
		// Eddy runs a notebook's SELECTs).
		"AtLeastOnce": func(s *snapshot) { s.checkpoint.Mode = "at_least_once" },
		"Insert":      func(s *snapshot) { s.out.Insert = true },
	} {
		s := windowJob(20*time.Second, 400, ms(now), ms(now))
		s.checkpoint = &Checkpoint{Interval: 30000, Mode: "exactly_once"}
		change(s)
		if d := find(run(s), ResultsWaitForCheckpoint); d != nil {
			t.Errorf("%s: %s", name, d.Message)
		}
	}

	// A file sink commits its files at checkpoints: without checkpointing
	// what it writes is never visible; with a long interval, that late.
	files := func(interval int64) *snapshot {
		s := windowJob(20*time.Second, 400, ms(now), ms(now))
		s.out.Insert = true
		s.vertices[1].ops = []Operator{{Name: "StreamingFileWriter", RecordsIn: 240}}
		s.vertices[1].collect = false
		s.checkpoint = &Checkpoint{Interval: interval, Mode: "exactly_once"}
		return s
	}
	if d := find(run(files(0)), ResultsWaitForCheckpoint); d == nil || d.Operator != "StreamingFileWriter" ||
		!strings.Contains(d.Message, "checkpointing is off: the 240 records") || !strings.Contains(d.Suggestion, "SET 'execution.checkpointing.interval' = '10 s';") {
		t.Errorf("file sink without checkpointing: %+v", d)
	}
	unseen := files(0)
	unseen.vertices[1].ops[0].RecordsIn = 0 // the JobManager's metrics lag the job's start
	if d := find(run(unseen), ResultsWaitForCheckpoint); d == nil || !strings.Contains(d.Message, "checkpointing is off: what it writes stays in hidden") {
		t.Errorf("file sink without checkpointing, no records counted yet: %+v", d)
	}
	if d := find(run(files(60000)), ResultsWaitForCheckpoint); d == nil || !strings.Contains(d.Message, "every 60 s") {
		t.Errorf("file sink checkpointing every minute: %+v", d)
	}
	if d := find(run(files(1000)), ResultsWaitForCheckpoint); d != nil {
		t.Errorf("file sink checkpointing every second: %s", d.Message)
	}
}

func TestDiagnose_Skewed(t *testing.T) {
	now := t0.UnixMilli()
	for _, tc := range []struct {
		sum, max int64
		want     bool
	}{{10000, 9000, true}, {10000, 6000, false}, {500, 490, false}} {
		s := windowJob(20*time.Second, 400, ms(now), ms(now))
		s.vertices[1].parallelism, s.vertices[1].recordsSum, s.vertices[1].recordsMax = 4, tc.sum, tc.max
		d := find(run(s), Skewed)
		if (d != nil) != tc.want {
			t.Errorf("%d of %d: SKEWED %v, want %v", tc.max, tc.sum, d != nil, tc.want)
			continue
		}
		if d != nil && (!strings.Contains(d.Message, fmt.Sprintf("took %d of %d records (90%%)", tc.max, tc.sum)) || !strings.Contains(d.Suggestion, "distinct-agg.split.enabled")) {
			t.Errorf("diagnosis %+v", d)
		}
	}
}

func TestMetricPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"Source: src[1]":                      "Source__src[1]",
		"Sink: Collect table sink":            "Sink__Collect_table_sink",
		"Source: KafkaSource-eddy.default.kt": "Source__KafkaSource-eddy_default_kt",
		"GlobalWindowAggregate[6]":            "GlobalWindowAggregate[6]",
		"Source: " + strings.Repeat("x", 100): "Source__" + strings.Repeat("x", 72),
	} {
		if got := metricPrefix(in); got != want {
			t.Errorf("metricPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDiagnose_OutputDoesNotWaitForTheWatermark: a still watermark is no
// reason for silence when nothing waits for it — windows on processing
// time, a plain aggregation of a table that has a watermark.
func TestDiagnose_OutputDoesNotWaitForTheWatermark(t *testing.T) {
	for name, tc := range map[string]struct {
		attrs   []string
		rowtime string
	}{
		"ProcessingTimeWindow": {[]string{"proc_time"}, "ts"},
		"PlainAggregation":     {nil, "ts"},
		// A Kafka source takes the watermark in: the plan names no rowtime,
		// but it computes the processing-time attribute the window uses.
		"ProcessingTimeWindowOverKafka": {[]string{"proc_time"}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			stuck := func(at time.Duration, records int64) *snapshot {
				s := windowJob(at, records, ms(wm2020), ms(wm2020))
				s.vertices[0].timeAttrs, s.vertices[0].rowtime = tc.attrs, tc.rowtime
				s.vertices[0].procTimes = []string{"proc_time"}
				return s
			}
			if ds := run(stuck(0, 0), stuck(6*time.Second, 30), stuck(14*time.Second, 70), stuck(20*time.Second, 100)); len(ds) != 0 {
				t.Errorf("diagnoses %v: nothing waits for the watermark", codes(ds))
			}
		})
	}
}

// TestDescribe_TimeAttributes reads which time attributes a vertex's
// time-based operators use from plan descriptions as Flink 2.3 printed
// them for these queries (window, OVER, interval join, GROUP BY).
func TestDescribe_TimeAttributes(t *testing.T) {
	for _, tc := range []struct {
		desc string
		want []string
	}{
		{"[542]:TableSourceScan(table=[[eddy, default, src]], fields=[id])<br/>+- [543]:Calc(select=[2020-01-01 00:00:00 AS ts])<br/>   +- [544]:WatermarkAssigner(rowtime=[ts], watermark=[ts])<br/>      +- [545]:LocalWindowAggregate(window=[TUMBLE(time_col=[ts], size=[1 min])], select=[COUNT(*) AS count1$0, slice_end('w$) AS $slice_end])<br/>",
			[]string{"ts"}},
		{"[539]:WindowAggregate(window=[TUMBLE(time_col=[proc_time], size=[1 min])], select=[COUNT(*) AS EXPR$1, start('w$) AS window_start, end('w$) AS window_end])<br/>+- [540]:Calc(select=[window_start, EXPR$1])<br/>",
			[]string{"proc_time"}},
		{"[621]:OverAggregate(partitionBy=[k], orderBy=[ts ASC], window=[ RANGE BETWEEN 10000 PRECEDING AND CURRENT ROW], select=[k, ts, COUNT(*) AS w0$o0])<br/>+- [622]:Calc(select=[k, w0$o0 AS $1])<br/>",
			[]string{"ts"}},
		{"[630]:IntervalJoin(joinType=[InnerJoin], windowBounds=[isRowTime=true, leftLowerBound=-5000, leftUpperBound=0, leftTimeIndex=1, rightTimeIndex=1], where=[((k = k0) AND (ts &gt;= (ts0 - 5000:INTERVAL SECOND)) AND (ts &lt;= ts0))], select=[k, ts, k0, ts0])<br/>+- [631]:Calc(select=[k])<br/>",
			[]string{rowTimeAttr}},
		{"[7]:GroupAggregate(groupBy=[k], select=[k, COUNT(*) AS c])<br/>+- [8]:Calc(select=[ts, k])<br/>", nil},
	} {
		v := vertex{ops: []Operator{{Name: "X"}}}
		describe(&v, tc.desc)
		if !slices.Equal(v.timeAttrs, tc.want) {
			t.Errorf("%.40s…: time attributes %q, want %q", tc.desc, v.timeAttrs, tc.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	v := vertex{source: true, ops: []Operator{{Name: "Source: src[34]", Source: true}}}
	describe(&v, "[34]:TableSourceScan(table=[[eddy, default, src]], fields=[id])<br/>+- [35]:Calc(select=[2020-01-01 00:00:00 AS ts])<br/>   +- [36]:WatermarkAssigner(rowtime=[ts], watermark=[-(ts, 5000:INTERVAL SECOND)])<br/>")
	if v.table != "src" || v.rowtime != "ts" || v.watermarkDelay != 5000 {
		t.Errorf("table %q rowtime %q delay %d", v.table, v.rowtime, v.watermarkDelay)
	}
	k := vertex{source: true, ops: []Operator{{Name: "Source: KafkaSource-eddy.default.kt", Source: true}}}
	// A Kafka source takes the watermark in: its plan names no rowtime (Flink 2.3).
	describe(&k, "Source: KafkaSource-eddy.default.kt<br/>+- [612]:Calc(select=[ts])<br/>   +- [613]:LocalWindowAggregate(window=[TUMBLE(time_col=[ts], size=[2 s])], select=[COUNT(*) AS count1$0, slice_end('w$) AS $slice_end])<br/>")
	if k.table != "kt" || k.rowtime != "" || !slices.Equal(k.timeAttrs, []string{"ts"}) {
		t.Errorf("kafka table %q rowtime %q time attributes %q", k.table, k.rowtime, k.timeAttrs)
	}
	// A processing-time column of it is computed in the plan.
	p := vertex{source: true, ops: []Operator{{Name: "Source: KafkaSource-eddy.default.kt", Source: true}}}
	describe(&p, "Source: KafkaSource-eddy.default.kt<br/>+- [638]:Calc(select=[PROCTIME() AS pt])<br/>")
	w := vertex{ops: []Operator{{Name: "WindowAggregate[640]"}}}
	describe(&w, "[640]:WindowAggregate(window=[TUMBLE(time_col=[pt], size=[2 s])], select=[COUNT(*) AS EXPR$1, start('w$) AS window_start, end('w$) AS window_end])<br/>+- [641]:Calc(select=[window_start, EXPR$1])<br/>")
	if !slices.Equal(p.procTimes, []string{"pt"}) || !slices.Equal(w.timeAttrs, []string{"pt"}) {
		t.Errorf("processing time over Kafka: computed %q, window on %q", p.procTimes, w.timeAttrs)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		500 * time.Millisecond: "500 ms", 12 * time.Second: "12 s", 5 * time.Minute: "5 min",
		3 * time.Hour: "3 h", 72 * time.Hour: "3 days", 6 * 365 * 24 * time.Hour: "6.0 years",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
