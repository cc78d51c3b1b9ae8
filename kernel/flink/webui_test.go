package flink_test

import (
	"testing"

	"github.com/eddy-notebooks/eddy/kernel/flink"
)

func TestJobManager_WithWebUI(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	direct := flink.NewJobManager("http://10.0.0.5:8081", nil)
	proxied := direct.WithWebUI("/flink/")
	for _, c := range []struct {
		name             string
		jm               *flink.JobManager
		webUI, job, rest string
	}{
		{"direct", direct, "http://10.0.0.5:8081", "http://10.0.0.5:8081/#/job/running/" + id + "/overview", "http://10.0.0.5:8081"},
		{"proxied", proxied, "/flink", "/flink/#/job/running/" + id + "/overview", "http://10.0.0.5:8081"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.jm.WebUIURL(); got != c.webUI {
				t.Errorf("WebUIURL() = %q, want %q", got, c.webUI)
			}
			if got := c.jm.JobURL(id); got != c.job {
				t.Errorf("JobURL() = %q, want %q", got, c.job)
			}
			if got := c.jm.URL(); got != c.rest {
				t.Errorf("URL() = %q, want %q: REST calls still go to the JobManager", got, c.rest)
			}
		})
	}
}
