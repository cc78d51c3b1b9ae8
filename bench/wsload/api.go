package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxResponseBytes bounds a REST response read by the harness.
const maxResponseBytes = 8 << 20

// apiClient calls eddy's REST API on loopback with the bearer token.
type apiClient struct {
	base  string // http://127.0.0.1:PORT
	token string
	http  *http.Client
}

func newAPIClient(base, token string) *apiClient {
	return &apiClient{base: base, token: token, http: &http.Client{
		Transport: &http.Transport{DialContext: loopbackDial, Proxy: nil},
	}}
}

// envelope is Zeppelin's response wrapper.
type envelope struct {
	Status  string          `json:"status"`
	Message string          `json:"message"`
	Body    json.RawMessage `json:"body"`
}

// do sends a request with a JSON body (nil: none) and returns the response
// body; a status other than 2xx is an error carrying eddy's message.
func (a *apiClient) do(ctx context.Context, method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var env envelope
		msg := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &env) == nil && env.Message != "" {
			msg = env.Message
		}
		return nil, fmt.Errorf("%s %s: %s: %.500s", method, path, resp.Status, msg)
	}
	return b, nil
}

// call is do for Zeppelin routes: it decodes the envelope's body into out
// (nil: ignored).
func (a *apiClient) call(ctx context.Context, method, path string, body, out any) error {
	b, err := a.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return fmt.Errorf("%s %s: decode envelope: %w", method, path, err)
	}
	if out == nil || len(env.Body) == 0 {
		return nil
	}
	if err := json.Unmarshal(env.Body, out); err != nil {
		return fmt.Errorf("%s %s: decode body: %w", method, path, err)
	}
	return nil
}

// clusterReadyPoll is how often the cluster's readiness is asked for.
const clusterReadyPoll = time.Second

// waitClusterReady polls GET /api/v1/cluster until it reports ready, e
// exits, or ctx ends. progress is called every 10 s while waiting.
func waitClusterReady(ctx context.Context, a *apiClient, e *eddyProc, progress func(waited time.Duration, lastErr string)) error {
	start := time.Now()
	lastReport := start
	tick := time.NewTicker(clusterReadyPoll)
	defer tick.Stop()
	for {
		var st struct {
			Ready bool   `json:"ready"`
			Error string `json:"error"`
		}
		b, err := a.do(ctx, http.MethodGet, "/api/v1/cluster", nil)
		if err == nil {
			err = json.Unmarshal(b, &st)
		}
		if err == nil && st.Ready {
			return nil
		}
		if time.Since(lastReport) >= 10*time.Second {
			lastReport = time.Now()
			msg := st.Error
			if err != nil {
				msg = err.Error()
			}
			progress(time.Since(start), msg)
		}
		select {
		case <-tick.C:
		case <-e.exited:
			return fmt.Errorf("eddy exited while Flink was starting (%v):\n%s", e.waitErr, e.log.tail())
		case <-ctx.Done():
			return fmt.Errorf("waiting for the Flink cluster to be ready: %w", ctx.Err())
		}
	}
}

// liveNote is the note the load watches: a datagen table and a grouped
// query over it.
type liveNote struct {
	noteID   string
	tablePID string // CREATE TEMPORARY TABLE, run synchronously
	queryPID string // the live GROUP BY, run asynchronously
}

// createLiveNote creates the note over Zeppelin's REST API, runs the table
// paragraph synchronously and starts the query.
func createLiveNote(ctx context.Context, a *apiClient, tableSQL, querySQL string) (*liveNote, error) {
	var noteID string
	req := map[string]any{
		"name":       fmt.Sprintf("wsload-%d", time.Now().Unix()),
		"paragraphs": []map[string]string{{"text": tableSQL}, {"text": querySQL}},
	}
	if err := a.call(ctx, http.MethodPost, "/api/notebook", req, &noteID); err != nil {
		return nil, fmt.Errorf("create note: %w", err)
	}
	var note struct {
		Paragraphs []struct {
			ID string `json:"id"`
		} `json:"paragraphs"`
	}
	if err := a.call(ctx, http.MethodGet, "/api/notebook/"+noteID, nil, &note); err != nil {
		return nil, fmt.Errorf("read note: %w", err)
	}
	if len(note.Paragraphs) != 2 {
		return nil, fmt.Errorf("note %s has %d paragraphs, want 2", noteID, len(note.Paragraphs))
	}
	n := &liveNote{noteID: noteID, tablePID: note.Paragraphs[0].ID, queryPID: note.Paragraphs[1].ID}
	if err := a.call(ctx, http.MethodPost, "/api/notebook/run/"+noteID+"/"+n.tablePID, nil, nil); err != nil {
		return n, fmt.Errorf("run the table paragraph: %w", err)
	}
	if err := a.call(ctx, http.MethodPost, "/api/notebook/job/"+noteID+"/"+n.queryPID, nil, nil); err != nil {
		return n, fmt.Errorf("start the query paragraph: %w", err)
	}
	return n, nil
}

// cancelQuery stops the live query (the route waits until it has stopped).
func cancelQuery(ctx context.Context, a *apiClient, n *liveNote) error {
	return a.call(ctx, http.MethodDelete, "/api/notebook/job/"+n.noteID+"/"+n.queryPID, nil, nil)
}
