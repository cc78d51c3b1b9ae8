package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/applications"
	appsqlite "github.com/eddy-notebooks/eddy/applications/sqlite"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
)

// mustOpenAppServer is mustOpenRunServer with applications on the
// notebook cluster (the session target) sharing its KPU ledger.
func mustOpenAppServer(t *testing.T, capacity int) *testServer {
	t.Helper()
	ep := flinktest.Cluster(t)
	ts, m := mustOpenRunServer(t, capacity)
	apps := applications.NewManager(applications.Config{
		NoteJobs: m,
		Store:    appsqlite.NewStore(ts.store),
		Notes:    ts.store,
		Capacity: m.Ledger(),
		Gateway:  ep.Gateway,
		Runners: map[string]applications.Runner{
			applications.TargetSession: &applications.SessionRunner{Gateway: ep.Gateway, JobManager: ep.JobManager, LocalState: true},
		},
		DefaultTarget: applications.TargetSession,
		Dir:           filepath.Join(t.TempDir(), "applications"),
	})
	if err := apps.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts.cfg.Applications = apps
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := apps.Close(ctx); err != nil {
			t.Errorf("close applications: %v", err)
		}
	})
	return ts
}

// raw sends a body with a content type and returns the status and body.
func (ts *testServer) raw(t *testing.T, method, path, contentType, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", contentType)
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestApplicationsAPI drives every application route on the real cluster;
// every answer is checked against the OpenAPI document.
func TestApplicationsAPI(t *testing.T) {
	ts := mustOpenAppServer(t, 3)
	noteID := ts.mustCreateNote(t, "orders pipeline",
		"%md\n# Orders",
		"%flink.ssql\nCREATE TEMPORARY TABLE o (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '${rate=5}');\nCREATE TEMPORARY TABLE s (id BIGINT) WITH ('connector' = 'blackhole')",
		"%flink.ssql\nINSERT INTO s SELECT id FROM o",
		"%flink.ssql\nSELECT * FROM o")
	badID := ts.mustCreateNote(t, "bad", "%flink.ssql\nINSERT INTO nowhere_at_all SELECT 1")

	var prev applications.Preview
	if code := ts.native(t, http.MethodPost, "/api/v1/applications/preview", map[string]string{"noteId": noteID}, &prev); code != http.StatusOK {
		t.Fatalf("preview: %d", code)
	}
	if len(prev.Excluded) != 2 || len(prev.Forms) != 1 || prev.Forms[0].Value != "5" || !strings.Contains(prev.Plan, "s") {
		t.Fatalf("preview %+v", prev)
	}
	var refused struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details struct {
			ParagraphID string `json:"paragraphId"`
			Reason      string `json:"reason"`
		} `json:"details"`
	}
	code, body := ts.raw(t, http.MethodPost, "/api/v1/applications/preview", "application/json", `{"noteId":"`+badID+`"}`)
	if err := json.Unmarshal([]byte(body), &refused); err != nil || code != http.StatusBadRequest ||
		refused.Details.ParagraphID == "" || !strings.Contains(refused.Details.Reason, "nowhere_at_all") {
		t.Fatalf("preview of a bad note: %d %s", code, body)
	}
	if code, body := ts.raw(t, http.MethodPost, "/api/v1/applications", "application/json", `{"noteId":"`+noteID+`","name":"x","paralelism":2}`); code != http.StatusBadRequest || !strings.Contains(body, "paralelism") {
		t.Fatalf("a misspelt field: %d %s", code, body)
	}

	var a applications.Application
	if code := ts.native(t, http.MethodPost, "/api/v1/applications", map[string]any{"noteId": noteID, "name": "orders", "tags": map[string]string{"team": "payments"}}, &a); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	path := "/api/v1/applications/" + a.ID
	var list struct {
		Applications []applications.Application `json:"applications"`
		Quotas       applications.Quotas        `json:"quotas"`
	}
	if ts.native(t, http.MethodGet, "/api/v1/applications", nil, &list); len(list.Applications) != 1 || list.Quotas.Applications != 100 {
		t.Fatalf("list %+v", list)
	}
	if code, body := ts.raw(t, http.MethodGet, path+"/spec?format=yaml", "", ""); code != http.StatusOK || !strings.Contains(body, "name: orders") || !strings.Contains(body, "team: payments") {
		t.Fatalf("spec: %d %s", code, body)
	}
	// Exported for the Flink Kubernetes Operator (the schema is checked in
	// the applications package); bad parameters are refused.
	code, body = ts.raw(t, http.MethodGet, path+"/manifest?target=kubernetes&namespace=flink-apps", "", "")
	if code != http.StatusOK || !strings.Contains(body, "kind: FlinkDeployment") || !strings.Contains(body, "namespace: flink-apps") ||
		!strings.Contains(body, "pipeline.max-parallelism: \"128\"") || !strings.Contains(body, "kind: ConfigMap") {
		t.Fatalf("manifest: %d %s", code, body)
	}
	for _, q := range []string{"", "?target=helm", "?target=kubernetes&namespce=x", "?target=kubernetes&namespace=Not_A_Label"} {
		if code, body := ts.raw(t, http.MethodGet, path+"/manifest"+q, "", ""); code != http.StatusBadRequest {
			t.Fatalf("manifest%s: %d %s", q, code, body)
		}
	}
	// A stopped application takes a new parallelism for its next start;
	// bad ones are refused.
	if code := ts.native(t, http.MethodPut, path, map[string]int{"parallelism": 2}, &a); code != http.StatusAccepted || a.Parallelism != 2 || a.Status != applications.StatusReady || a.KPUs != 3 {
		t.Fatalf("rescale a stopped application: %d %+v", code, a)
	}
	for _, b := range []string{`{}`, `{"parallelism":0}`, `{"parallelizm":1}`, `{"parallelism":129}`, `{"parallelism":"one"}`} {
		if code, body := ts.raw(t, http.MethodPut, path, "application/json", b); code != http.StatusBadRequest {
			t.Fatalf("PUT %s: %d %s", b, code, body)
		}
	}
	if code := ts.native(t, http.MethodPut, path, map[string]int{"parallelism": 1}, &a); code != http.StatusAccepted || a.Parallelism != 1 {
		t.Fatalf("rescale back: %d %+v", code, a)
	}
	spec := "apiVersion: eddy/v1\nkind: Application\nname: orders\nnoteId: " + noteID + "\nversion: 1\nparallelism: 1\ntarget: session\ntags: {team: payments}\ncheckpointIntervalMs: 60000\n"
	for _, tc := range []struct{ spec, want string }{
		{spec, `"action":"unchanged"`},
		{strings.Replace(spec, "payments", "billing", 1), `"action":"updated"`},
		{strings.Replace(spec, "name: orders", "name: orders-copy", 1), `"action":"created"`},
	} {
		if code, body := ts.raw(t, http.MethodPost, "/api/v1/applications/apply", "application/yaml", tc.spec); code != http.StatusOK || !strings.Contains(body, tc.want) {
			t.Fatalf("apply: %d %s, want %s", code, body, tc.want)
		}
	}
	if code, body := ts.raw(t, http.MethodPost, "/api/v1/applications/apply", "application/yaml", spec+"paralelism: 3\n"); code != http.StatusBadRequest {
		t.Fatalf("apply with a misspelt key: %d %s", code, body)
	}
	if code, _ := ts.raw(t, http.MethodPost, path+"/start", "application/json", `{"restore":"SOMETIME"}`); code != http.StatusBadRequest {
		t.Fatalf("start with a bad restore: %d", code)
	}

	if code := ts.native(t, http.MethodPost, path+"/start", map[string]any{"restore": "NONE"}, &a); code != http.StatusAccepted || a.Status != applications.StatusStarting {
		t.Fatalf("start: %d %s", code, a.Status)
	}
	// The second application would need 2 KPUs; 1 of 3 is free.
	var copyApp applications.Application
	var all struct {
		Applications []applications.Application `json:"applications"`
	}
	ts.native(t, http.MethodGet, "/api/v1/applications", nil, &all)
	for _, x := range all.Applications {
		if x.Name == "orders-copy" {
			copyApp = x
		}
	}
	var capErr struct {
		Code    string `json:"code"`
		Details struct {
			Holders []struct {
				ApplicationName string `json:"applicationName"`
			} `json:"holders"`
		} `json:"details"`
	}
	code, body = ts.raw(t, http.MethodPost, "/api/v1/applications/"+copyApp.ID+"/start", "application/json", `{}`)
	if err := json.Unmarshal([]byte(body), &capErr); err != nil || code != http.StatusServiceUnavailable ||
		capErr.Code != "capacity_exceeded" || len(capErr.Details.Holders) != 1 || capErr.Details.Holders[0].ApplicationName != "orders" {
		t.Fatalf("a start without capacity: %d %s", code, body)
	}
	for deadline := time.Now().Add(2 * time.Minute); a.Status != applications.StatusRunning; time.Sleep(200 * time.Millisecond) {
		ts.native(t, http.MethodGet, path, nil, &a)
		if time.Now().After(deadline) || a.Status == applications.StatusFailed {
			t.Fatalf("not running: %+v", a)
		}
	}
	var sn applications.Snapshot
	if code := ts.native(t, http.MethodPost, path+"/snapshots", nil, &sn); code != http.StatusCreated || sn.Trigger != "manual" {
		t.Fatalf("snapshot: %d %+v", code, sn)
	}
	if code := ts.native(t, http.MethodDelete, path, nil, nil); code != http.StatusConflict {
		t.Fatalf("delete while running: %d", code)
	}
	if code := ts.native(t, http.MethodPost, path+"/versions", nil, nil); code != http.StatusConflict {
		t.Fatalf("rebuild while running: %d", code)
	}
	// The answer is the application as it is then: still stopping, or, a
	// session-target job being cancelled at once, stopped already.
	if code := ts.native(t, http.MethodPost, path+"/stop", map[string]bool{"snapshot": false}, &a); code != http.StatusAccepted ||
		a.Status != applications.StatusForceStopping && a.Status != applications.StatusReady {
		t.Fatalf("force stop: %d %s", code, a.Status)
	}
	for deadline := time.Now().Add(time.Minute); a.Status != applications.StatusReady; time.Sleep(200 * time.Millisecond) {
		ts.native(t, http.MethodGet, path, nil, &a)
		if time.Now().After(deadline) {
			t.Fatalf("not stopped: %+v", a)
		}
	}
	var vs struct {
		Versions []applications.Version `json:"versions"`
	}
	if code := ts.native(t, http.MethodPost, path+"/versions", nil, nil); code != http.StatusCreated {
		t.Fatalf("rebuild: %d", code)
	}
	if ts.native(t, http.MethodGet, path+"/versions", nil, &vs); len(vs.Versions) != 2 || vs.Versions[0].Number != 2 {
		t.Fatalf("versions %+v", vs)
	}
	var evs struct {
		Events []applications.Event `json:"events"`
	}
	if ts.native(t, http.MethodGet, path+"/events", nil, &evs); len(evs.Events) < 6 || evs.Events[0].Kind != "version" {
		t.Fatalf("events %+v", evs)
	}
	if code := ts.native(t, http.MethodDelete, path+"/snapshots/"+sn.ID, nil, nil); code != http.StatusNoContent {
		t.Fatalf("delete snapshot: %d", code)
	}
	if code := ts.native(t, http.MethodDelete, path+"/snapshots/"+sn.ID, nil, nil); code != http.StatusNotFound {
		t.Fatalf("delete a deleted snapshot: %d", code)
	}
	if code := ts.native(t, http.MethodDelete, path, nil, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if code := ts.native(t, http.MethodGet, path, nil, nil); code != http.StatusNotFound {
		t.Fatalf("get a deleted application: %d", code)
	}
}

// TestApplicationsAPI_Update drives an update through the route: a dry
// run reports the diff and the state check and changes nothing; a change
// that loses state is refused with 409 and the check in the error's
// details, then allowed; a deploy with state of a note that runs no
// INSERT is refused saying so.
func TestApplicationsAPI_Update(t *testing.T) {
	ts := mustOpenAppServer(t, 4)
	noteID := ts.mustCreateNote(t, "counts",
		"%flink.ssql\nCREATE TEMPORARY TABLE src (id BIGINT, k INT) WITH ('connector' = 'datagen', 'rows-per-second' = '5', 'fields.k.min' = '1', 'fields.k.max' = '3');\nCREATE TEMPORARY TABLE out_counts (k INT, n BIGINT) WITH ('connector' = 'blackhole')",
		"%flink.ssql\nINSERT INTO out_counts SELECT k, COUNT(*) FROM src GROUP BY k")
	insert := ts.mustGetNote(t, noteID).Paragraphs[1].ID
	setInsert := func(text string) {
		t.Helper()
		ts.do(t, http.MethodPut, "/api/notebook/"+noteID+"/paragraph/"+insert, map[string]string{"text": text}).mustOK(t, nil)
	}

	// The note runs no INSERT job: there is no state to take over.
	code, body := ts.raw(t, http.MethodPost, "/api/v1/applications", "application/json", `{"noteId":"`+noteID+`","name":"counts","withState":true,"target":"session"}`)
	if code != http.StatusBadRequest || !strings.Contains(body, "runs no INSERT job") {
		t.Fatalf("create with state, nothing running: %d %s", code, body)
	}
	var a applications.Application
	if code := ts.native(t, http.MethodPost, "/api/v1/applications", map[string]any{"noteId": noteID, "name": "counts", "target": "session", "withState": false, "allowNonRestoredState": false}, &a); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	path := "/api/v1/applications/" + a.ID
	if code, body := ts.raw(t, http.MethodPost, path+"/update", "application/json", `{"dry_run":true}`); code != http.StatusBadRequest || !strings.Contains(body, "dry_run") {
		t.Fatalf("a misspelt field: %d %s", code, body)
	}

	// A filter on a stateless path: every operator restores.
	setInsert("%flink.ssql\nINSERT INTO out_counts SELECT k, COUNT(*) FROM src WHERE id > 0 GROUP BY k")
	var rep applications.UpdateReport
	if code := ts.native(t, http.MethodPost, path+"/update", map[string]bool{"dryRun": true}, &rep); code != http.StatusOK ||
		rep.From != 1 || rep.To != 2 || !strings.Contains(rep.Diff, "+") || !strings.Contains(rep.Diff, "id > 0") ||
		rep.Check == nil || !rep.Check.Compatible || len(rep.Check.Operators) == 0 || rep.Application != nil {
		t.Fatalf("dry run: %d %+v", code, rep)
	}
	var vs struct {
		Versions []applications.Version `json:"versions"`
	}
	if ts.native(t, http.MethodGet, path+"/versions", nil, &vs); len(vs.Versions) != 1 || len(vs.Versions[0].CompiledPlan) == 0 {
		t.Fatalf("a dry run stored a version, or version 1 has no plan: %+v", vs.Versions)
	}

	// Other keys: the aggregate's state cannot be restored. Refused, with
	// the check and the diff in the details; nothing changes.
	setInsert("%flink.ssql\nINSERT INTO out_counts SELECT CAST(id % 7 AS INT), COUNT(*) FROM src GROUP BY CAST(id % 7 AS INT)")
	var refused struct {
		Code    string                    `json:"code"`
		Message string                    `json:"message"`
		Details applications.StateRefusal `json:"details"`
	}
	code, body = ts.raw(t, http.MethodPost, path+"/update", "application/json", `{}`)
	if err := json.Unmarshal([]byte(body), &refused); err != nil || code != http.StatusConflict || refused.Code != "conflict" ||
		refused.Details.Check == nil || refused.Details.Check.Compatible || refused.Details.Diff == "" {
		t.Fatalf("an update losing state: %d %s", code, body)
	}
	lost := 0
	for _, op := range refused.Details.Check.Operators {
		if !op.Restorable {
			lost++
			if op.Reason == "" || !strings.Contains(refused.Message, op.Description) {
				t.Errorf("operator %+v: no reason, or not named in %q", op, refused.Message)
			}
		}
	}
	if lost == 0 {
		t.Fatalf("no operator lost: %+v", refused.Details.Check)
	}
	if ts.native(t, http.MethodGet, path, nil, &a); a.Version != 1 {
		t.Fatalf("a refused update changed the version: %+v", a)
	}

	// Allowed: version 2 is current, READY (it runs from the next start),
	// and keeps its check.
	rep = applications.UpdateReport{}
	if code := ts.native(t, http.MethodPost, path+"/update", map[string]bool{"allowNonRestoredState": true}, &rep); code != http.StatusOK ||
		rep.Application == nil || rep.Application.Version != 2 || rep.Application.Status != applications.StatusReady || rep.Check == nil || rep.Check.Compatible {
		t.Fatalf("update allowing non-restored state: %d %+v", code, rep)
	}
	if ts.native(t, http.MethodGet, path+"/versions", nil, &vs); len(vs.Versions) != 2 || vs.Versions[0].Number != 2 ||
		!vs.Versions[0].AllowNonRestoredState || vs.Versions[0].StateCheck == nil || len(vs.Versions[0].CompiledPlan) == 0 {
		t.Fatalf("versions after the update: %+v", vs.Versions)
	}
	if code := ts.native(t, http.MethodPost, "/api/v1/applications/nope/update", map[string]bool{"dryRun": true}, nil); code != http.StatusNotFound {
		t.Fatalf("update of no application: %d", code)
	}
}
