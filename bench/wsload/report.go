package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// maxFailuresShown bounds the failures listed; the rest are counted.
const maxFailuresShown = 20

// writeReport prints the phases side by side (the first is the 1-client
// baseline, the last the load) and returns the failed checks.
func writeReport(w io.Writer, cfg config, e *eddyProc, phases []*phaseResult) []string {
	base, load := phases[0], phases[min(1, len(phases)-1)]
	fmt.Fprintf(w, "\nEddy websocket load: up to %d clients watching one live table\n", phases[len(phases)-1].clients)
	fmt.Fprintf(w, "  eddy:    %s, pid %d (RSS and CPU of this Go process only; its Flink JVMs are not counted)\n", cfg.eddyPath, e.pid)
	fmt.Fprintf(w, "  query:   %s\n", strings.SplitN(cfg.querySQL(), "\n", 2)[1])
	fmt.Fprintf(w, "           %d keys, datagen %d rows/s, refreshInterval %s\n", cfg.keys, cfg.rowsPerSec, cfg.refresh)
	fmt.Fprintf(w, "  machine: %d CPUs; load average (1/5/15 min): %s before the 1-client phase, %s after the %d-client phase\n",
		numCPU, base.loadBefore, load.loadAfter, load.clients)
	fmt.Fprintf(w, "  window:  %s per phase, from the moment every client had its first snapshot; eddy sampled every 1 s\n", cfg.duration)
	fmt.Fprintf(w, "  latency: from eddy making a delta (its \"at\") to a client reading it, same clock; bytes: read from each client's TCP connection\n")
	decoding := "each distinct compressed message inflated and parsed once, shared by the clients that receive it"
	if !cfg.sharedDec {
		decoding = "every client inflates and parses its own messages"
	}
	fmt.Fprintf(w, "  decode:  %s\n\n", decoding)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(name string, f func(p *phaseResult) string, ratio string) {
		fmt.Fprintf(tw, "  %s\t", name)
		for _, p := range phases {
			fmt.Fprintf(tw, "%s\t", f(p))
		}
		fmt.Fprintf(tw, "%s\n", ratio)
	}
	header := "  \t"
	for _, p := range phases {
		header += p.phaseSpec.String() + "\t"
	}
	fmt.Fprintf(tw, "%s%d vs 1\n", header, load.clients)

	row("clients measured", func(p *phaseResult) string { return fmt.Sprintf("%d/%d", p.connected, p.clients) }, "")
	row("clients with permessage-deflate", func(p *phaseResult) string { return fmt.Sprintf("%d", p.compressed) }, "")
	row("connect + first snapshot", func(p *phaseResult) string { return secs(p.ramp) }, "")
	row("subscribe → its note, p50 / max", func(p *phaseResult) string {
		if len(p.stats) == 0 {
			return "-"
		}
		d := make([]time.Duration, len(p.stats))
		for i, s := range p.stats {
			d[i] = s.noteAfter
		}
		slices.Sort(d)
		return fmt.Sprintf("%d / %d ms", d[len(d)/2].Milliseconds(), d[len(d)-1].Milliseconds())
	}, "")
	row("measured window", func(p *phaseResult) string { return secs(p.window()) }, "")
	row("eddy CPU, % of one core", func(p *phaseResult) string { return fmt.Sprintf("%.1f %%", p.cpu()) },
		ratio(load.cpu(), base.cpu()))
	row("eddy RSS start / max / end, MB", func(p *phaseResult) string {
		return fmt.Sprintf("%s / %s / %s", mb(p.pre.rssBytes), mb(p.rssMax), mb(p.last.rssBytes))
	}, ratio(float64(load.rssMax), float64(base.rssMax))+" (max)")
	row("eddy RSS mean over the window, MB", func(p *phaseResult) string { return mb(p.rssMean) },
		ratio(float64(load.rssMean), float64(base.rssMean)))
	if cfg.gctrace {
		row("eddy live heap after GC, min / max / last, MB", func(p *phaseResult) string {
			return fmt.Sprintf("%.0f / %.0f / %.0f", mbf(p.liveMin), mbf(p.liveMax), mbf(p.gcLast.liveHeap))
		}, ratio(float64(load.gcLast.liveHeap), float64(base.gcLast.liveHeap)))
		row("eddy GCs /s", func(p *phaseResult) string {
			return fmt.Sprintf("%.2f", float64(p.gcLast.count-p.gcFirst.count)/p.window().Seconds())
		}, "")
	}
	row("table versions /s (fetched batches)", func(p *phaseResult) string { return fmt.Sprintf("%.2f", p.versionsPerSec()) }, "")
	row("changelog rows received /s", func(p *phaseResult) string { return fmt.Sprintf("%.0f", p.rowsPerSec()) }, "")
	row("live msgs /s per client: mean (min)", func(p *phaseResult) string {
		mean, lo := p.perClient(func(s clientStats) int64 { return s.live })
		return fmt.Sprintf("%.2f (%.2f)", mean, lo)
	}, "")
	row("query deltas per news message", func(p *phaseResult) string {
		var d, n int64
		for _, s := range p.stats {
			d, n = d+s.deltas, n+s.news
		}
		if n == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", float64(d)/float64(n))
	}, "")
	row("KB/s per client: mean (min)", func(p *phaseResult) string {
		mean, lo := p.perClient(func(s clientStats) int64 { return s.liveBytes + s.otherBytes })
		return fmt.Sprintf("%.1f (%.1f)", mean/1024, lo/1024)
	}, "")
	row("other msgs (paragraph, note) per client", func(p *phaseResult) string {
		n, _ := p.perClient(func(s clientStats) int64 { return s.other })
		b, _ := p.perClient(func(s clientStats) int64 { return s.otherBytes })
		return fmt.Sprintf("%.1f, %.0f KB", n*p.window().Seconds(), b*p.window().Seconds()/1024)
	}, "")
	row("eddy → clients total, MB/s", func(p *phaseResult) string {
		var b int64
		for _, s := range p.stats {
			b += s.liveBytes + s.otherBytes
		}
		return fmt.Sprintf("%.2f", float64(b)/(1<<20)/p.window().Seconds())
	}, "")
	row("wire KB per client per update: mean (max)", func(p *phaseResult) string {
		mean, hi := p.wirePerUpdate()
		return fmt.Sprintf("%.2f (%.2f)", mean/1024, hi/1024)
	}, "")
	row("old protocol KB per update (reference client)", func(p *phaseResult) string {
		return fmt.Sprintf("%.2f", p.oldPerUpdate()/1024)
	}, "")
	row("update latency p50 / p99 / max, ms", func(p *phaseResult) string {
		if p.latN == 0 {
			return "-"
		}
		return fmt.Sprintf("%d / %d / %d", p.lat[0], p.lat[1], p.lat[2])
	}, "")
	row("longest wait for an update, s", func(p *phaseResult) string {
		var g time.Duration
		for _, s := range p.stats {
			g = max(g, s.maxGap)
		}
		return secs(g)
	}, "")
	row("clients that fell behind (snapshot again)", func(p *phaseResult) string {
		n := 0
		for _, s := range p.stats {
			if s.reSnapshots > 0 {
				n++
			}
		}
		return fmt.Sprintf("%d", n)
	}, "")
	for _, kind := range []string{violLiveBeforeNote, violFirstNotFull} {
		row("clients with "+kind, func(p *phaseResult) string {
			n := 0
			for _, s := range p.stats {
				if s.kinds[kind] > 0 {
					n++
				}
			}
			return fmt.Sprintf("%d", n)
		}, "")
	}
	row("note resyncs (note events dropped)", func(p *phaseResult) string {
		n := 0
		for _, s := range p.stats {
			n += s.resyncs
		}
		return fmt.Sprintf("%d", n)
	}, "")
	row("messages decoded / received by all clients", func(p *phaseResult) string {
		var n int64
		for _, s := range p.stats {
			n += s.live + s.other
		}
		return fmt.Sprintf("%d / %d", p.decoded, n)
	}, "")
	row("this harness's CPU, % of one core", func(p *phaseResult) string { return fmt.Sprintf("%.1f %%", p.selfCPU) }, "")
	_ = tw.Flush()

	extra := float64(load.clients - base.clients)
	fmt.Fprintf(w, "\n  eddy memory per extra client: %.0f KB (mean RSS: (%s − %s MB) / %.0f); %.0f KB by max RSS\n",
		float64(load.rssMean-base.rssMean)/1024/extra, mb(load.rssMean), mb(base.rssMean), extra,
		float64(load.rssMax-base.rssMax)/1024/extra)
	if cfg.gctrace {
		fmt.Fprintf(w, "  eddy live heap per extra client: %.0f KB (last GC of each window; gctrace has 1 MB resolution)\n",
			float64(load.gcLast.liveHeap-base.gcLast.liveHeap)/1024/extra)
	}
	fmt.Fprintf(w, "  eddy CPU per extra client: %.2f %% of one core; per extra live message sent: %.0f µs\n",
		(load.cpu()-base.cpu())/extra, marginalCPUPerMsg(base, load))

	warns, errs, first := e.log.counts()
	fmt.Fprintf(w, "  eddy's log so far: %d WARN and %d ERROR lines\n", warns, errs)
	for _, l := range first {
		fmt.Fprintf(w, "    %.300s\n", l)
	}

	var failures []string
	for _, p := range phases {
		failures = append(failures, p.failures...)
	}
	failures = append(failures, writeGoals(w, cfg, phases)...)
	if len(failures) > maxFailuresShown {
		failures = append(failures[:maxFailuresShown:maxFailuresShown], fmt.Sprintf("… and %d more", len(failures)-maxFailuresShown))
	}
	if len(failures) == 0 {
		fmt.Fprintf(w, "  checks: every client followed the protocol and received updates (none waited over %s)\n", cfg.stall)
	}
	return failures
}

// marginalCPUPerMsg is the eddy CPU time, in µs, that each live message
// sent in the load phase beyond those of the baseline cost (both per second
// of window).
func marginalCPUPerMsg(base, load *phaseResult) float64 {
	rate := func(p *phaseResult) (cpu, msgs float64) {
		var n int64
		for _, s := range p.stats {
			n += s.live
		}
		secs := p.window().Seconds()
		return float64(p.last.cpuTicks-p.first.cpuTicks) / userHZ / secs, float64(n) / secs
	}
	c0, m0 := rate(base)
	c1, m1 := rate(load)
	if m1 <= m0 {
		return 0
	}
	return (c1 - c0) / (m1 - m0) * 1e6
}

// cpu is eddy's CPU use in the window, in % of one core.
func (p *phaseResult) cpu() float64 { return cpuPercent(p.first, p.last) }

// perClient returns the mean and the minimum over the clients of f per
// second of the window.
func (p *phaseResult) perClient(f func(clientStats) int64) (mean, lo float64) {
	if len(p.stats) == 0 {
		return 0, 0
	}
	secs := p.window().Seconds()
	var sum int64
	low := f(p.stats[0])
	for _, s := range p.stats {
		v := f(s)
		sum += v
		low = min(low, v)
	}
	return float64(sum) / float64(len(p.stats)) / secs, float64(low) / secs
}

// versionsPerSec is how fast the query's table version advanced, as the
// furthest client saw it.
func (p *phaseResult) versionsPerSec() float64 {
	var best int64
	for _, s := range p.stats {
		if seqEpoch(s.firstSeq) == seqEpoch(s.lastSeq) {
			best = max(best, seqVersion(s.lastSeq)-seqVersion(s.firstSeq))
		}
	}
	return float64(best) / p.window().Seconds()
}

// rowsPerSec is the query's rowsReceived rate, as the furthest client saw it.
func (p *phaseResult) rowsPerSec() float64 {
	var best int64
	for _, s := range p.stats {
		best = max(best, s.rows)
	}
	return float64(best) / p.window().Seconds()
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func mbf(b int64) float64 { return float64(b) / (1 << 20) }

func mb(b int64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// Goals of issue #16 item 1, for 1000 (-clients) and 5000 (-many-clients)
// viewers.
const (
	goalP99            = 250 // ms, 1000 clients
	goalCPU            = 25  // % of one core, 1000 clients
	goalBytesFactor    = 5   // old protocol / wire, per viewer per update
	goalLoadedP99      = 1000
	goalManyP99        = 1000
	goalManyRampSecond = 10
)

// writeGoals prints one line per goal whose phase ran, with PASS or FAIL,
// and returns the failed ones.
func writeGoals(w io.Writer, cfg config, phases []*phaseResult) []string {
	var failed []string
	goal := func(name string, ok bool, figure string) {
		verdict := "PASS"
		if !ok {
			verdict = "FAIL"
			failed = append(failed, "goal failed: "+name+": "+figure)
		}
		fmt.Fprintf(w, "  %s  %-58s %s\n", verdict, name, figure)
	}
	fmt.Fprintf(w, "\n  Goals (issue #16 item 1)\n")
	for _, p := range phases {
		p99 := int64(-1)
		if p.latN > 0 {
			p99 = p.lat[1]
		}
		switch {
		case p.clients == cfg.clients && !p.busy:
			goal(fmt.Sprintf("%d viewers: update latency p99 <= %d ms", p.clients, goalP99), p99 >= 0 && p99 <= goalP99,
				fmt.Sprintf("%d ms (%d samples)", p99, p.latN))
			goal(fmt.Sprintf("%d viewers: eddy CPU <= %d%% of a core", p.clients, goalCPU), p.cpu() <= goalCPU,
				fmt.Sprintf("%.1f %%", p.cpu()))
			wire, _ := p.wirePerUpdate()
			old := p.oldPerUpdate()
			factor := 0.0
			if wire > 0 {
				factor = old / wire
			}
			goal(fmt.Sprintf("%d viewers: bytes per viewer per update >= %dx smaller", p.clients, goalBytesFactor), factor >= goalBytesFactor,
				fmt.Sprintf("%.1fx (%.0f B on the wire vs %.0f B in the old protocol)", factor, wire, old))
		case p.clients == cfg.clients && p.busy:
			goal(fmt.Sprintf("%d viewers, one core busy: update latency p99 <= %d ms", p.clients, goalLoadedP99), p99 >= 0 && p99 <= goalLoadedP99,
				fmt.Sprintf("%d ms (%d samples)", p99, p.latN))
		case p.clients == cfg.manyClients:
			goal(fmt.Sprintf("%d viewers: all connected with a first snapshot in <= %d s", p.clients, goalManyRampSecond),
				p.connected == p.clients && p.ramp <= goalManyRampSecond*time.Second,
				fmt.Sprintf("%d/%d in %s", p.connected, p.clients, secs(p.ramp)))
			goal(fmt.Sprintf("%d viewers: update latency p99 <= %d ms", p.clients, goalManyP99), p99 >= 0 && p99 <= goalManyP99,
				fmt.Sprintf("%d ms (%d samples)", p99, p.latN))
		}
	}
	return failed
}

// wirePerUpdate returns the mean and the largest over the clients of the
// bytes each read from its connection per update received in the window.
func (p *phaseResult) wirePerUpdate() (mean, hi float64) {
	var sum float64
	n := 0
	for _, s := range p.stats {
		if s.news == 0 {
			continue
		}
		v := float64(s.wire) / float64(s.news)
		sum += v
		hi = max(hi, v)
		n++
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), hi
}

// oldPerUpdate is what the reference client received in the window, every
// message priced in the old protocol (whole rows, uncompressed), per update.
func (p *phaseResult) oldPerUpdate() float64 {
	for _, s := range p.stats {
		if s.id == 0 && s.news > 0 {
			return float64(s.oldBytes) / float64(s.news)
		}
	}
	return 0
}
