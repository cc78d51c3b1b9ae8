package applications_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/applications"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
)

// benchRows is how many rows the benchmark's bounded job reads, as fast as
// it can (datagen's default is 10,000 rows per second).
const benchRows = 5_000_000

// BenchmarkPromote runs the same bounded statement set (a datagen of
// benchRows rows into a blackhole) two ways in one run: promoted to an
// application on its own cluster (the standalone target: JVMs start,
// SqlDriver runs the script), and submitted to the notebook cluster
// through a gateway session, as a note's INSERT paragraph is (the session
// target does exactly that). It reports the seconds from the start to
// every task running for both, and the rows per second of both jobs (from
// the JobManagers' job durations), with the ratios standalone/session.
func BenchmarkPromote(b *testing.B) {
	ep := flinktest.Cluster(b)
	root, err := flinktest.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	script := fmt.Sprintf(`SET 'execution.runtime-mode' = 'streaming';
CREATE TEMPORARY TABLE src (id BIGINT, v STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '%d',
  'rows-per-second' = '1000000000');
CREATE TEMPORARY TABLE snk (id BIGINT, v STRING) WITH ('connector' = 'blackhole');
EXECUTE STATEMENT SET
BEGIN
INSERT INTO snk SELECT id, v FROM src;
END;
`, benchRows)
	for i := range b.N {
		dir := b.TempDir()
		base, err := flinktest.LocalConfig(root, dir, false)
		if err != nil {
			b.Fatal(err)
		}
		base.CatalogDir = "" // no notebook cluster of its own: the in-memory catalog
		spec := applications.RunSpec{AppID: fmt.Sprintf("bench%d", i), Name: "eddy-app:bench", JobID: fmt.Sprintf("%032x", 0xbe000+i),
			Version: &applications.Version{Number: 1, Script: script, Settings: map[string]string{}}, Parallelism: 1,
			CheckpointInterval: time.Minute, Dir: filepath.Join(dir, "app"), RunDir: "run-1"}
		standalone := &applications.StandaloneRunner{Base: func() localflink.Config { return base }, SlotsPerTaskManager: 1}
		session := &applications.SessionRunner{Gateway: ep.Gateway, JobManager: ep.JobManager, LocalState: true}

		upApp, rowsApp := promote(ctx, b, standalone, spec)
		spec.Dir = filepath.Join(dir, "session")
		upSession, rowsSession := promote(ctx, b, session, spec)
		b.ReportMetric(upApp.Seconds(), "s-to-running-standalone")
		b.ReportMetric(upSession.Seconds(), "s-to-running-session")
		b.ReportMetric(upApp.Seconds()/upSession.Seconds(), "to-running-ratio")
		b.ReportMetric(rowsApp, "rows/s-standalone")
		b.ReportMetric(rowsSession, "rows/s-session")
		b.ReportMetric(rowsApp/rowsSession, "rows/s-ratio")
	}
}

// promote starts a run, measures the time until all its tasks run, waits
// for the job to finish and returns its rows per second.
func promote(ctx context.Context, b *testing.B, r applications.Runner, spec applications.RunSpec) (time.Duration, float64) {
	b.Helper()
	start := time.Now()
	run, err := r.Start(ctx, spec)
	if err != nil {
		b.Fatal(err)
	}
	defer run.Close()
	jm := run.JobManager()
	var up time.Duration
	for {
		d, err := jm.Job(ctx, run.JobID())
		if err == nil && up == 0 && (d.TasksRunning() || d.State == flink.JobFinished) {
			up = time.Since(start)
		}
		if err == nil && flink.JobTerminal(d.State) {
			if d.State != flink.JobFinished {
				b.Fatalf("job %s ended %s", run.JobID(), d.State)
			}
			break
		}
		if ctx.Err() != nil {
			b.Fatalf("job %s did not finish: %v", run.JobID(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, jm.URL()+"/jobs/"+run.JobID(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var job struct {
		Duration int64 `json:"duration"` // milliseconds, from the job's start to its end
	}
	if err := json.NewDecoder(resp.Body).Decode(&job); err != nil || job.Duration <= 0 {
		b.Fatalf("job duration: %v %d", err, job.Duration)
	}
	return up, benchRows / (float64(job.Duration) / 1000)
}
