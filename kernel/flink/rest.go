package flink

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// CallObserver is told of every call to a Flink REST API once it has ended:
// who answered (ServiceGateway, ServiceJobManager), the client's fixed
// operation name ("execute statement"), the round trip including reading
// the answer, and the call's error (nil on success). It must be safe for
// concurrent use and must not block.
type CallObserver func(service, op string, d time.Duration, err error)

// observer is the process's CallObserver, nil for none. It is process-wide
// because the clients are made in several places (the cluster, the local
// cluster, applications) that would otherwise each need to pass it on.
var observer atomic.Pointer[CallObserver]

// SetCallObserver makes o the observer of every client's calls; nil stops
// observing. The composition root sets it once, before serving.
func SetCallObserver(o CallObserver) {
	if o == nil {
		observer.Store(nil)
		return
	}
	observer.Store(&o)
}

// maxResponseBytes bounds one response body. A fetch page holds at most the
// gateway's 5000 buffered rows; 64 MiB is far above any sane page.
const maxResponseBytes = 64 << 20

// restClient is the JSON-over-HTTP plumbing both Flink clients share.
type restClient struct {
	service string // who answers: Gateway or JobManager, for errors
	base    string
	http    *http.Client
}

func newRESTClient(service, base string, hc *http.Client) restClient {
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	return restClient{service: service, base: strings.TrimRight(base, "/"), http: hc}
}

// do sends a request with an optional JSON body and decodes a JSON answer
// into out (when out is non-nil). Non-2xx answers become *APIError. The
// call observer, if any, is told of the call.
func (c restClient) do(ctx context.Context, op, method, path string, in, out any) error {
	o := observer.Load()
	if o == nil {
		return c.roundTrip(ctx, op, method, path, in, out)
	}
	start := time.Now()
	err := c.roundTrip(ctx, op, method, path, in, out)
	(*o)(c.service, op, time.Since(start), err)
	return err
}

// roundTrip is do without the observer.
func (c restClient) roundTrip(ctx context.Context, op, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		buf, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("flink: %s: encode request: %w", op, err)
		}
		body = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("flink: %s: %w", op, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("flink: %s: %w", op, err)
		}
		return &UnreachableError{Service: c.service, URL: c.base, Op: op, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return &UnreachableError{Service: c.service, URL: c.base, Op: op, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return parseAPIError(op, resp.StatusCode, data)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("flink: %s: decode response: %w", op, err)
	}
	return nil
}
