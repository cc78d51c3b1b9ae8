package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/inspect"
)

// TestInspectAPI: a paragraph that has run no job has nothing to inspect
// (404); while its streaming query runs, GET …/inspect answers the job's
// inspection, its operators from the source on, in the documented shape
// (every response of a test server is checked against openapi.json).
func TestInspectAPI(t *testing.T) {
	ts, _ := mustOpenRunServer(t, 8)
	id := ts.mustCreateNote(t, "inspect api",
		"%flink.ssql\nCREATE TEMPORARY TABLE clicks (k INT) WITH ('connector'='datagen','rows-per-second'='20','fields.k.min'='1','fields.k.max'='3');\n"+
			"SELECT k, COUNT(*) AS c FROM clicks GROUP BY k",
		"%md\nno job here")
	n := ts.mustGetNote(t, id)
	p := func(i int) string { return n.Paragraphs[i].ID }
	path := func(i int) string { return "/api/v1/notebook/" + id + "/paragraph/" + p(i) + "/inspect" }

	notFound := func(path, want string) {
		t.Helper()
		if code, body := ts.raw(t, http.MethodGet, path, "", ""); code != http.StatusNotFound || !strings.Contains(body, want) {
			t.Fatalf("GET %s: %d %s, want 404 mentioning %q", path, code, body, want)
		}
	}
	notFound(path(0), "no job to inspect")
	notFound("/api/v1/notebook/"+id+"/paragraph/paragraph_1_1/inspect", "paragraph_1_1")

	ts.do(t, http.MethodPost, "/api/notebook/job/"+id+"/"+p(0), nil).mustOK(t, nil)
	defer ts.do(t, http.MethodDelete, "/api/notebook/job/"+id+"/"+p(0), nil)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var ins inspect.Inspection
		code := ts.native(t, http.MethodGet, path(0), nil, &ins)
		if code == http.StatusOK {
			if len(ins.Operators) > 0 && ins.Operators[0].RecordsOut > 0 {
				if !strings.HasPrefix(ins.Operators[0].Name, "Source: clicks") || !ins.Operators[0].Source || ins.JobState != "RUNNING" {
					t.Fatalf("inspection %+v: want the running job, source clicks first", ins)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no inspection with records: last answer %d %+v", code, ins)
		}
		time.Sleep(200 * time.Millisecond)
	}
	notFound(path(1), "no job to inspect")
}
