package kernel

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/localflink"
)

// A Kafka broker that goes away does not fail the Flink jobs that read or
// write it: their Kafka clients wait and reconnect, so a query just stops
// moving. Eddy watches the broker notes reach by default and tells each
// paragraph whose job has Kafka clients why it stalled, and again when the
// broker is back.

// KafkaOutage is a stretch of time in which the Kafka broker did not accept
// connections.
type KafkaOutage struct {
	Since  time.Time
	Until  time.Time // zero while it lasts
	Reason string    // why, as far as Eddy knows
	// Restarting says that Eddy's supervisor is restarting a local broker
	// that exited.
	Restarting bool
}

// Ongoing reports whether the broker is still unreachable.
func (o KafkaOutage) Ongoing() bool { return o.Until.IsZero() }

// kafkaProbeEvery is how often WatchKafka probes the broker.
const kafkaProbeEvery = time.Second

// WatchKafka probes the Kafka broker every second until ctx ends and
// records its outages; kernels follow them (see kafkaState). Without a
// broker it returns at once.
func (c *Cluster) WatchKafka(ctx context.Context) {
	if c.Kafka == "" {
		return
	}
	t := time.NewTicker(kafkaProbeEvery)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, kafkaProbeEvery)
		err := localflink.ProbeKafka(pctx, c.Kafka)
		cancel()
		if ctx.Err() != nil {
			return
		}
		c.kafkaProbed(err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// kafkaProbed records one probe's outcome, and tells the kernels when the
// broker went away or came back.
func (c *Cluster) kafkaProbed(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ongoing := c.outage != nil && c.outage.Ongoing()
	switch {
	case err != nil && !ongoing:
		o := c.kafkaDown(err)
		c.outage = &o
	case err != nil && !c.outage.Restarting:
		// A probe can fail before the supervisor has seen the broker
		// exit: once it has, the outage says so.
		o := c.kafkaDown(err)
		if !o.Restarting {
			return
		}
		o.Since = c.outage.Since
		c.outage = &o
	case err == nil && ongoing:
		o := *c.outage
		o.Until = time.Now()
		c.outage = &o
	default:
		return
	}
	if c.kafkaChanged != nil { // nil until a kernel first asked (kafkaState)
		close(c.kafkaChanged)
	}
	c.kafkaChanged = make(chan struct{})
}

// kafkaDown is the outage a failed probe starts, explained: for a local
// broker, by what its supervisor knows. The caller holds c.mu.
func (c *Cluster) kafkaDown(probe error) KafkaOutage {
	o := KafkaOutage{Since: time.Now()}
	if c.KafkaCrashes != nil {
		if n, last := c.KafkaCrashes(); n > 0 && time.Since(last.At) < time.Minute {
			o.Reason = fmt.Sprintf("the local broker exited (%s) at %s", last.Reason, clock(last.At))
			o.Restarting = true
			return o
		}
	}
	o.Reason = probe.Error()
	if i := strings.LastIndex(o.Reason, ": "); i >= 0 {
		o.Reason = o.Reason[i+2:] // "dial tcp 127.0.0.1:9092: connect: connection refused" → "connection refused"
	}
	return o
}

// kafkaState returns the current or last outage (nil if none) and a
// channel closed at the next change.
func (c *Cluster) kafkaState() (*KafkaOutage, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kafkaChanged == nil {
		c.kafkaChanged = make(chan struct{})
	}
	return c.outage, c.kafkaChanged
}

// clock formats a time of day as notices show it.
func clock(t time.Time) string { return t.UTC().Format("15:04:05 UTC") }

// kafkaNotice is what a paragraph whose job uses Kafka says of an outage.
func kafkaNotice(addr string, o KafkaOutage) Notice {
	if o.Ongoing() {
		reason := o.Reason
		if o.Restarting {
			reason += "; Eddy is restarting it"
		}
		return Notice{Level: NoticeError, Text: fmt.Sprintf(
			"The Kafka broker at %s is unreachable since %s: %s. This job reads or writes Kafka and is stalled: "+
				"its Kafka clients keep retrying, and it carries on from where it was once the broker is back. "+
				"Cancel the paragraph to stop waiting.", addr, clock(o.Since), reason)}
	}
	return Notice{Level: NoticeInfo, Text: fmt.Sprintf(
		"The Kafka broker at %s was unreachable from %s to %s (%s): %s. It is back; this job's Kafka clients reconnect by themselves.",
		addr, clock(o.Since), clock(o.Until), o.Until.Sub(o.Since).Round(time.Second), o.Reason)}
}

// followKafka keeps the notices of the kernel's running paragraphs in step
// with the broker's outages until the kernel closes. While an outage lasts
// it looks again every few seconds, for jobs that started meanwhile.
func (k *Kernel) followKafka() {
	defer k.wg.Done()
	c := k.cfg.Cluster
	for {
		o, changed := c.kafkaState()
		var again <-chan time.Time
		if o != nil {
			k.noteKafkaOutage(c.Kafka, *o)
			if o.Ongoing() {
				again = time.After(3 * time.Second)
			}
		}
		select {
		case <-k.ctx.Done():
			return
		case <-changed:
		case <-again:
		}
	}
}

// noteKafkaOutage sets the notice of every running paragraph whose job has
// Kafka clients. When the outage is over only the paragraphs told of it
// hear that it ended.
func (k *Kernel) noteKafkaOutage(addr string, o KafkaOutage) {
	k.mu.Lock()
	runs := make([]*run, 0, len(k.runs))
	for _, r := range k.runs {
		runs = append(runs, r)
	}
	k.mu.Unlock()
	n := kafkaNotice(addr, o)
	for _, r := range runs {
		if r.ended() {
			continue
		}
		if !o.Ongoing() {
			r.replaceNotice(NoticeError, n)
			continue
		}
		for _, j := range r.liveJobs() {
			if k.jobUsesKafka(j.JobID) {
				r.setNotice(n)
				break
			}
		}
	}
}

// maxKafkaJobs bounds the answers of jobUsesKafka a kernel keeps.
const maxKafkaJobs = 256

// jobUsesKafka reports whether a job has Kafka clients: a source or sink
// whose operators report KafkaConsumer or KafkaProducer metrics. A yes is
// kept; a no is asked again next time, since a job's Kafka metrics appear
// only once its clients have registered them, after its tasks run.
func (k *Kernel) jobUsesKafka(jobID string) bool {
	k.mu.Lock()
	known, ok := k.kafkaJobs[jobID]
	k.mu.Unlock()
	if ok {
		return known
	}
	ctx, cancel := context.WithTimeout(k.ctx, 5*time.Second)
	defer cancel()
	names, err := k.jm.OperatorMetricNames(ctx, jobID)
	if err != nil || len(names) == 0 {
		return false
	}
	uses := false
	for _, n := range names {
		if strings.Contains(n, ".KafkaConsumer.") || strings.Contains(n, ".KafkaProducer.") {
			uses = true
			break
		}
	}
	if uses {
		k.mu.Lock()
		if len(k.kafkaJobs) >= maxKafkaJobs {
			clear(k.kafkaJobs) // answers are cheap to get again
		}
		k.kafkaJobs[jobID] = true
		k.mu.Unlock()
	}
	return uses
}
