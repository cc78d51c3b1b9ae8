package kernel

import (
	"context"
	"strings"
	"time"
)

// pacer decides when a live result is next published: at once when rows
// come after a quiet spell, otherwise interval after the previous publish.
// It is owned by one goroutine (the publisher).
type pacer struct {
	interval time.Duration
	last     time.Time // when the last publish happened; zero: never
}

// wait returns how long, at now, rows just applied wait for their publish.
func (p *pacer) wait(now time.Time) time.Duration {
	if p.last.IsZero() {
		return 0
	}
	return max(0, p.last.Add(p.interval).Sub(now))
}

// published records a publish at now.
func (p *pacer) published(now time.Time) { p.last = now }

// miniBatchPrefix is the prefix of Flink's mini-batch options.
const miniBatchPrefix = "table.exec.mini-batch."

// miniBatch is what a notebook query runs with unless its session
// configures mini-batching itself (SET, %flink.conf or the cluster's
// config.yaml). Without it an aggregation sends two changelog rows (-U,
// +U) through the collect sink for every event; at 100,000 events/s the
// sink, the gateway and Eddy's fetch cannot keep up, the job is
// back-pressured and what the browser shows lags by seconds (measured:
// p50 4.6 s and 11,000 events/s reached, against 0.3 s and the full rate
// with it; docs/freshness.md). With it an aggregation emits each key's
// change once per batch.
var miniBatch = map[string]string{
	"table.exec.mini-batch.enabled": "true",
	// How long an event may wait in a batch: small beside the 100 ms the
	// gateway's collect fetcher sleeps between empty polls, so at 1,000
	// events/s freshness is unchanged.
	"table.exec.mini-batch.allow-latency": "100 ms",
	// Events a batch holds before it fires early; bounds the state the
	// batch buffers in memory per task.
	"table.exec.mini-batch.size": "5000",
}

// miniBatchFor returns the options to add to a query's configuration
// given its session's configuration: miniBatch, or none when the session
// sets any mini-batch option (the user's or the cluster's choice wins).
func miniBatchFor(session map[string]string) map[string]string {
	for k := range session {
		if strings.HasPrefix(k, miniBatchPrefix) {
			return nil
		}
	}
	return miniBatch
}

// miniBatchDefaults adds miniBatch to cfg, a query's execution
// configuration, unless the note's gateway session configures
// mini-batching. If the session's configuration cannot be read, cfg is left
// as it is: the query then runs as the session says.
func (ex *execution) miniBatchDefaults(ctx context.Context, cfg map[string]string) {
	session, err := ex.k.gw.SessionConfig(ctx, ex.k.gatewaySession())
	if err != nil {
		return
	}
	for k, v := range miniBatchFor(session) {
		if _, ok := cfg[k]; !ok {
			cfg[k] = v
		}
	}
}
