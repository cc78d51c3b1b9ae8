// Command wsload measures Eddy's websocket fan-out against the goals of
// issue #16, in one run:
//
//	go build -o bin/eddy ./cmd/eddy && go run ./bench/wsload -eddy bin/eddy
//
// It starts `eddy serve` on 127.0.0.1:0 with a temporary data directory
// (Eddy starts its local Flink cluster), creates a note whose live GROUP BY
// keeps a 1000-row table changing (datagen, 2000 rows/s, refreshInterval
// 500 ms), then runs these phases, each measured for -duration once every
// client has its first snapshot:
//
//	1 client                 the baseline
//	1000 clients             goals: update latency p99 <= 250 ms, eddy <= 0.25
//	                         of a core, bytes per viewer per update >= 5x
//	                         smaller than the old protocol
//	1000 clients + busy core goal: p99 <= 1 s while a child process of this
//	                         harness spins on one core
//	5000 clients             goals: all connected with a first snapshot in
//	                         <= 10 s, p99 <= 1 s
//
// Clients offer permessage-deflate, as browsers do (-compress=false: not).
// Every client says hello, subscribes and checks each live message against
// the protocol (docs/websocket.md): sequences only grow, deltas continue
// the table without gaps, a snapshot after the first means the client fell
// behind. Clients read only what they check (scan.go), so thousands of them
// cost the shared machine little; their CPU is reported.
//
// Eddy compresses each update once and sends the same bytes to every
// client at the same point in the table, so clients at the same point
// receive identical compressed messages. The harness inflates and parses
// each distinct message once and shares the result among the clients that
// receive it (decode.go): a browser does that work on its own CPU, not on
// the server's machine, and here it would take CPU from Eddy. Every client
// still reads every byte of every frame from its own socket (frames.go) and
// checks the protocol itself, in order, on every message. The report shows
// how many messages were decoded against how many were received;
// -shared-decode=false makes every client decode its own.
//
// Update latency is from the moment Eddy made a delta (its "at": the
// version became what viewers are sent) to the moment the client has read
// the last byte of the message carrying it (before inflating and parsing
// it), both on this machine's clock; the wait before (Flink, the
// gateway, refreshInterval) is freshness, not fan-out. Bytes per viewer per
// update are what each client read from its TCP connection (frames as
// sent, compressed) per update received; the old protocol's figure is
// priced by one reference client per phase, which holds the table (applying
// deltas with the kernel's ApplyDelta) and weighs each update as the old
// protocol sent it: every touched row whole, uncompressed JSON.
//
// It prints a table of the phases side by side (Eddy's CPU and RSS from
// /proc, the Eddy process only, not its Flink JVMs; latency p50/p99/max;
// bytes; connect times), then one line per goal with its figure and PASS or
// FAIL. It raises its open-file limit to the hard limit (Eddy inherits it).
// Everything is on loopback and bounded by -timeout; the query is then
// cancelled and Eddy stopped with SIGTERM (killed after 45 s). The exit
// status is 1 when a goal fails, on a protocol error, a client that stopped
// receiving updates (-stall), or any failure to set up.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"
)

// config is what the harness is told by its flags.
type config struct {
	eddyPath    string        // the eddy binary to start
	clients     int           // clients of the load phases
	manyClients int           // clients of the largest phase (0: none)
	busy        bool          // run the load phase again with a busy core
	compress    bool          // clients offer permessage-deflate
	sharedDec   bool          // clients share the decoding of identical compressed messages
	duration    time.Duration // measured window of each phase
	timeout     time.Duration // bound of the whole run before cleanup
	rampTimeout time.Duration // bound of connecting a phase's clients and their first snapshot
	stall       time.Duration // longest time a client may go without a table update
	rowsPerSec  int           // datagen rate
	keys        int           // distinct keys: rows of the live table
	refresh     time.Duration // the query's refreshInterval
	gctrace     bool          // run eddy with GODEBUG=gctrace=1 to report its live heap
	cpuProfile  string        // write this harness's CPU profile here
	eddyProfile string        // write eddy's CPU profiles of each phase's ramp and window into this directory
}

func defaultConfig() config {
	return config{
		eddyPath:    "bin/eddy",
		clients:     1000,
		manyClients: 5000,
		busy:        true,
		compress:    true,
		sharedDec:   true,
		duration:    20 * time.Second,
		timeout:     12 * time.Minute,
		rampTimeout: 60 * time.Second,
		stall:       5 * time.Second,
		rowsPerSec:  2000,
		keys:        1000,
		refresh:     500 * time.Millisecond,
		gctrace:     true,
	}
}

func (c *config) registerFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.eddyPath, "eddy", c.eddyPath, "path of the eddy binary to start (it is not built)")
	fs.IntVar(&c.clients, "clients", c.clients, "websocket clients of the load phases")
	fs.IntVar(&c.manyClients, "many-clients", c.manyClients, "websocket clients of the largest phase (0: skip it)")
	fs.BoolVar(&c.busy, "busy", c.busy, "repeat the load phase while a child process keeps one core busy")
	fs.BoolVar(&c.compress, "compress", c.compress, "clients offer permessage-deflate")
	fs.BoolVar(&c.sharedDec, "shared-decode", c.sharedDec, "inflate and parse each distinct compressed message once for all clients (false: every client decodes its own)")
	fs.DurationVar(&c.duration, "duration", c.duration, "measured window of each phase")
	fs.DurationVar(&c.timeout, "timeout", c.timeout, "bound of the whole run (cleanup may add up to 90 s)")
	fs.DurationVar(&c.rampTimeout, "ramp-timeout", c.rampTimeout, "bound of connecting a phase's clients until each has its first snapshot")
	fs.DurationVar(&c.stall, "stall", c.stall, "fail when a client gets no table update for this long in a window")
	fs.IntVar(&c.rowsPerSec, "rows-per-second", c.rowsPerSec, "rows per second the datagen source produces")
	fs.IntVar(&c.keys, "keys", c.keys, "distinct keys, i.e. rows of the live table (at most --max-result-rows, 1000)")
	fs.DurationVar(&c.refresh, "refresh", c.refresh, "refreshInterval of the live query")
	fs.BoolVar(&c.gctrace, "gctrace", c.gctrace, "run eddy with GODEBUG=gctrace=1 and report its live heap and GC rate")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write this harness's CPU profile to the file")
	fs.StringVar(&c.eddyProfile, "eddy-profiles", "", "write eddy's CPU profiles of each phase (its first 10 s of connecting, its window) into this directory (eddy runs with --pprof-listen)")
}

func (c *config) validate() error {
	switch {
	case c.clients < 2:
		return errors.New("-clients must be at least 2 (the baseline has 1)")
	case c.manyClients != 0 && c.manyClients < c.clients:
		return errors.New("-many-clients must be 0 or at least -clients")
	case c.duration < 2*time.Second:
		return errors.New("-duration must be at least 2s")
	case c.stall <= c.refresh:
		return errors.New("-stall must be longer than -refresh")
	case c.keys < 1 || c.rowsPerSec < 1:
		return errors.New("-keys and -rows-per-second must be positive")
	case c.refresh < 100*time.Millisecond:
		return errors.New("-refresh must be at least 100ms (Eddy's minimum)")
	}
	return nil
}

func (c *config) tableSQL() string {
	return fmt.Sprintf("%%flink.ssql\nCREATE TEMPORARY TABLE g (k INT, v INT) WITH ('connector'='datagen', "+
		"'rows-per-second'='%d', 'fields.k.min'='1', 'fields.k.max'='%d')", c.rowsPerSec, c.keys)
}

func (c *config) querySQL() string {
	return fmt.Sprintf("%%flink.ssql(type=update, refreshInterval=%d)\nSELECT k, COUNT(*) AS n, SUM(v) AS s FROM g GROUP BY k",
		c.refresh.Milliseconds())
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == busyLoopArg {
		busyLoop()
		return
	}
	cfg := defaultConfig()
	fs := flag.NewFlagSet("wsload", flag.ExitOnError)
	cfg.registerFlags(fs)
	_ = fs.Parse(os.Args[1:])
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "wsload:", err)
		os.Exit(2)
	}
	// The clients' garbage is short-lived and the heap small: collecting
	// less often keeps the harness's share of the machine small.
	debug.SetGCPercent(400)
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "wsload:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	if err := raiseOpenFiles(); err != nil {
		fmt.Fprintln(os.Stderr, "wsload: raise the open-file limit:", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "wsload:", err)
		pprof.StopCPUProfile() // os.Exit skips the deferred one
		os.Exit(1)
	}
}

// Bounds of the cleanup, which runs on a context of its own so that it
// happens after the run's timeout too.
const (
	cancelTimeout = 40 * time.Second // eddy waits at most 30 s for a run to stop
	rowsTimeout   = 2 * time.Minute  // bound of waiting for the query's first rows (within -timeout)
)

// run does the whole measurement and writes the report to out and progress
// to logw. It always stops what it started.
func run(parent context.Context, cfg config, out, logw io.Writer) (err error) {
	ctx, cancel := context.WithTimeout(parent, cfg.timeout)
	defer cancel()
	logf := func(format string, args ...any) {
		fmt.Fprintf(logw, "wsload: "+format+"\n", args...)
	}

	dir, err := os.MkdirTemp("", "eddy-wsload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir) // runs last: after eddy has stopped

	var prof *profiler
	if cfg.eddyProfile != "" {
		if err := os.MkdirAll(cfg.eddyProfile, 0o755); err != nil {
			return err
		}
		addr, err := freeLoopbackAddr()
		if err != nil {
			return err
		}
		prof = newProfiler(addr, cfg.eddyProfile, logf)
	}
	logf("starting %s (data dir %s)", cfg.eddyPath, dir)
	var pprofAddr string
	if prof != nil {
		pprofAddr = prof.addr
	}
	e, err := startEddy(ctx, cfg.eddyPath, dir, cfg.gctrace, pprofAddr)
	if err != nil {
		return err
	}
	defer func() {
		logf("stopping eddy (SIGTERM)")
		if serr := e.stop(); serr != nil {
			logf("%v", serr)
			if err == nil {
				err = serr
			}
		}
	}()
	api := newAPIClient(e.baseURL, e.token)
	start := time.Now()
	logf("eddy pid %d serves on %s; waiting for the local Flink cluster", e.pid, e.baseURL)
	err = waitClusterReady(ctx, api, e, func(waited time.Duration, msg string) {
		logf("  still waiting for Flink after %s %s", waited.Round(time.Second), msg)
	})
	if err != nil {
		return err
	}
	logf("Flink ready after %s", time.Since(start).Round(time.Second))

	note, err := createLiveNote(ctx, api, cfg.tableSQL(), cfg.querySQL())
	if note != nil {
		defer func() {
			cctx, ccancel := context.WithTimeout(context.Background(), cancelTimeout)
			defer ccancel()
			logf("cancelling the query")
			if cerr := cancelQuery(cctx, api, note); cerr != nil {
				logf("cancel: %v", cerr)
				if err == nil {
					err = cerr
				}
			}
		}()
	}
	if err != nil {
		return err
	}
	t := &target{wsURL: "ws" + strings.TrimPrefix(e.baseURL, "http") + "/ws", token: e.token, note: note, pid: e.pid, gc: e.log.gcStats, prof: prof}
	start = time.Now()
	logf("note %s: table created, query %s started; waiting for rows", note.noteID, note.queryPID)
	if err := waitForRows(ctx, t); err != nil {
		return err
	}
	logf("the query has rows after %s", time.Since(start).Round(100*time.Millisecond))

	plan := []phaseSpec{{clients: 1}, {clients: cfg.clients}}
	if cfg.busy {
		plan = append(plan, phaseSpec{clients: cfg.clients, busy: true})
	}
	if cfg.manyClients > 0 {
		plan = append(plan, phaseSpec{clients: cfg.manyClients})
	}
	var phases []*phaseResult
	for _, spec := range plan {
		logf("phase: %s, %s", spec, cfg.duration)
		p, err := runPhase(ctx, t, spec, cfg, logf)
		if p != nil {
			phases = append(phases, p)
		}
		if err != nil {
			return err
		}
		if !e.alive() {
			return fmt.Errorf("eddy exited during the phase (%v):\n%s", e.waitErr, e.log.tail())
		}
	}
	failures := writeReport(out, cfg, e, phases)
	if len(failures) > 0 {
		return fmt.Errorf("%d check(s) failed:\n  %s", len(failures), strings.Join(failures, "\n  "))
	}
	return nil
}

// target is the eddy and note under load.
type target struct {
	wsURL string
	token string
	note  *liveNote
	pid   int           // eddy's, the process measured
	gc    func() gcStat // eddy's GC figures so far (zero without -gctrace)
	prof  *profiler     // nil without -eddy-profiles
}

// waitForRows watches the note with one client until the query's table has
// received rows.
func waitForRows(ctx context.Context, t *target) error {
	ctx, cancel := context.WithTimeout(ctx, rowsTimeout)
	defer cancel()
	c, err := dialClient(ctx, t.wsURL, t.token, t.note.noteID, t.note.queryPID, &latencyHist{}, dialOptions{})
	if err != nil {
		return err
	}
	defer c.close()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		rows, err := c.status()
		if err != nil {
			return fmt.Errorf("waiting for the query's rows: %w", err)
		}
		if rows > 0 {
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("waiting for the query's rows: %w", ctx.Err())
		}
	}
}

// phaseResult is what one phase measured.
type phaseResult struct {
	phaseSpec
	clients    int           // asked for
	connected  int           // connected and got a first snapshot
	ramp       time.Duration // connecting until every client had its first snapshot
	pre        procSample    // eddy before the clients connected
	first      procSample    // at the window's start
	last       procSample    // at its end
	rssMax     int64         // over the window's samples
	rssMean    int64         // idem
	selfCPU    float64       // this harness, % of one core, during the window
	gcFirst    gcStat        // at the window's start
	gcLast     gcStat        // at its end
	liveMin    int64         // smallest and largest live heap after a GC
	liveMax    int64         // sampled in the window
	stats      []clientStats // per connected client
	lat        []int64       // delivery latency p50, p99, max (ms)
	latN       int64         // latency samples
	loadBefore string
	loadAfter  string
	compressed int   // clients that negotiated permessage-deflate
	decoded    int64 // messages the clients decoded in the window, once each when shared
	failures   []string
}

// phaseSpec is what a phase runs: how many clients, and whether a child
// process keeps one core busy meanwhile.
type phaseSpec struct {
	clients int
	busy    bool
}

func (s phaseSpec) String() string {
	name := fmt.Sprintf("%d client(s)", s.clients)
	if s.busy {
		name += " + busy core"
	}
	return name
}

// window is the measured duration.
func (p *phaseResult) window() time.Duration { return p.last.at.Sub(p.first.at) }

// rampProfileTime is how much of a phase's connecting -eddy-profiles
// covers: the goal's bound.
const rampProfileTime = 10 * time.Second

// dialConcurrency bounds the handshakes in flight while a phase connects.
const dialConcurrency = 32

// runPhase connects n clients, waits for each one's first snapshot, then
// samples eddy once a second for cfg.duration. Client failures are
// recorded in the result; an error means the phase could not be measured.
// All clients are closed when it returns.
func runPhase(ctx context.Context, t *target, spec phaseSpec, cfg config, logf func(string, ...any)) (*phaseResult, error) {
	n := spec.clients
	p := &phaseResult{phaseSpec: spec, clients: n, loadBefore: loadAverage()}
	var err error
	if spec.busy {
		stop, err := startBusyLoop()
		if err != nil {
			return nil, fmt.Errorf("start the busy loop: %w", err)
		}
		defer stop()
	}
	if p.pre, err = sampleProc(t.pid); err != nil {
		return nil, fmt.Errorf("sample eddy: %w", err)
	}
	hist := &latencyHist{}
	dec := newDecoder(cfg.sharedDec)
	rampProfile := t.prof.cpu(ctx, spec.String()+" ramp", rampProfileTime)
	defer rampProfile() // also when the phase fails: the profile ends with its duration or ctx
	clients := connect(ctx, t, n, cfg, hist, dec, p)
	for _, c := range clients {
		if c.compressed {
			p.compressed++
		}
	}
	defer closeAll(clients)
	if ctx.Err() != nil {
		return p, ctx.Err()
	}
	logf("  %d/%d clients have their first snapshot after %s; measuring", p.connected, n, p.ramp.Round(time.Millisecond))
	rampProfile()
	windowProfile := t.prof.cpu(ctx, spec.String()+" window", cfg.duration)
	defer windowProfile()
	if err := measure(ctx, t, cfg.duration, clients, dec, p); err != nil {
		return p, err
	}
	windowProfile()
	check(p, cfg.stall)
	p.lat, p.latN = hist.quantiles(0.5, 0.99, 1)
	p.loadAfter = loadAverage()
	return p, nil
}

// connect dials n clients, at most dialConcurrency at a time, and waits
// until each has its first snapshot (bounded by cfg.rampTimeout). It
// returns every client that connected, ready or not (the caller closes
// them), and records in p those that failed and how long it took.
func connect(ctx context.Context, t *target, n int, cfg config, hist *latencyHist, dec *decoder, p *phaseResult) []*client {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, cfg.rampTimeout)
	defer cancel()
	clients := make([]*client, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, dialConcurrency)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			opt := dialOptions{compress: cfg.compress, reference: i == 0, decoder: dec}
			clients[i], errs[i] = dialClient(ctx, t.wsURL, t.token, t.note.noteID, t.note.queryPID, hist, opt)
			if clients[i] != nil {
				clients[i].id = i
			}
		}()
	}
	wg.Wait()
	var out []*client
	for i, c := range clients {
		if errs[i] != nil {
			p.failures = append(p.failures, fmt.Sprintf("%d clients: client %d: %v", n, i, errs[i]))
			continue
		}
		out = append(out, c)
		select {
		case <-c.ready:
			p.connected++
		case <-c.done:
			_, err := c.status()
			p.failures = append(p.failures, fmt.Sprintf("%d clients: client %d before its first snapshot: %v", n, i, err))
		case <-ctx.Done():
			p.failures = append(p.failures, fmt.Sprintf("%d clients: client %d had no snapshot within %s", n, i, cfg.rampTimeout))
		}
	}
	p.ramp = time.Since(start)
	return out
}

// measure samples eddy once a second for d while the ready clients count
// what they receive, and what dec decoded for them.
func measure(ctx context.Context, t *target, d time.Duration, clients []*client, dec *decoder, p *phaseResult) error {
	var err error
	if p.first, err = sampleProc(t.pid); err != nil {
		return fmt.Errorf("sample eddy: %w", err)
	}
	self0, _ := sampleProc(os.Getpid())
	p.gcFirst = t.gc()
	p.liveMin, p.liveMax = p.gcFirst.liveHeap, p.gcFirst.liveHeap
	decoded0 := dec.decoded.Load()
	for _, c := range clients {
		if c.isReady() {
			c.beginWindow(p.first.at)
		}
	}
	rssSum, rssN := p.first.rssBytes, int64(1)
	p.rssMax = p.first.rssBytes
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	end := time.NewTimer(d)
	defer end.Stop()
	for done := false; !done; {
		select {
		case <-tick.C:
			s, err := sampleProc(t.pid)
			if err != nil {
				return fmt.Errorf("sample eddy: %w", err)
			}
			rssSum += s.rssBytes
			rssN++
			p.rssMax = max(p.rssMax, s.rssBytes)
			live := t.gc().liveHeap
			p.liveMin, p.liveMax = min(p.liveMin, live), max(p.liveMax, live)
		case <-end.C:
			done = true
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if p.last, err = sampleProc(t.pid); err != nil {
		return fmt.Errorf("sample eddy: %w", err)
	}
	self1, _ := sampleProc(os.Getpid())
	p.selfCPU = cpuPercent(self0, self1)
	p.decoded = dec.decoded.Load() - decoded0
	p.gcLast = t.gc()
	p.liveMin, p.liveMax = min(p.liveMin, p.gcLast.liveHeap), max(p.liveMax, p.gcLast.liveHeap)
	p.rssMax = max(p.rssMax, p.last.rssBytes)
	p.rssMean = (rssSum + p.last.rssBytes) / (rssN + 1)
	for _, c := range clients {
		if s, ok := c.endWindow(p.last.at); ok {
			p.stats = append(p.stats, s)
		}
	}
	return nil
}

// check records in p the clients that broke the protocol, failed, or went
// longer than stall without a table update during the window.
func check(p *phaseResult, stall time.Duration) {
	n := p.clients
	violators, example := 0, ""
	for _, s := range p.stats {
		if s.violations > 0 {
			violators++
			if example == "" {
				example = fmt.Sprintf("client %d: %s", s.id, s.violation)
			}
		}
		switch {
		case s.err != nil:
			p.failures = append(p.failures, fmt.Sprintf("%d clients: client %d: %v", n, s.id, s.err))
		case s.news == 0:
			p.failures = append(p.failures, fmt.Sprintf("%d clients: client %d received no table update in %s", n, s.id, p.window().Round(time.Second)))
		case s.maxGap > stall:
			p.failures = append(p.failures, fmt.Sprintf("%d clients: client %d went %s without a table update (-stall %s)", n, s.id, s.maxGap.Round(time.Millisecond), stall))
		}
	}
	if violators > 0 {
		p.failures = append(p.failures, fmt.Sprintf("%d clients: %d client(s) saw messages out of the promised order; the first, %s", n, violators, example))
	}
}

// closeAll closes the clients (nil ones are skipped) concurrently and
// waits for their readers.
func closeAll(clients []*client) {
	var wg sync.WaitGroup
	for _, c := range clients {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.close()
		}()
	}
	wg.Wait()
}

// numCPU is reported with the load average: the measurements share the
// machine with eddy's JVMs and anything else running.
var numCPU = runtime.NumCPU()
