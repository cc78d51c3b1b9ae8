package flinktest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy/kernel/pyworker"
)

// EnvFlinkConf names the shared cluster's config.yaml, which Python
// workers read to use its catalog store and settings.
const EnvFlinkConf = "EDDY_TEST_FLINK_CONF"

// PythonWorkers returns how to start Python workers (under dir) that
// submit to the test cluster and share its catalog, as Eddy's local mode
// does: the cluster's Python and config.yaml, and the catalog and
// connector jars 'make flink' installed.
func PythonWorkers(t testing.TB, dir string) (*pyworker.Config, error) {
	ep := Cluster(t)
	conf := os.Getenv(EnvFlinkConf)
	if b := &binaryCluster; b.local != nil {
		conf = b.local.ConfigFile()
	}
	if ep.Python == "" || conf == "" {
		return nil, fmt.Errorf("the test cluster has no Python or no config file (%s=%q, %s=%q): run the tests through 'make test'", EnvPython, ep.Python, EnvFlinkConf, conf)
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	jars, _ := filepath.Glob(filepath.Join(root, ".flink", "connectors", "*.jar"))
	jars = append([]string{filepath.Join(root, ".flink", "catalog", "eddy-catalog.jar")}, jars...)
	rest := strings.TrimPrefix(ep.JobManager.URL(), "http://")
	host, port, _ := strings.Cut(rest, ":")
	return &pyworker.Config{
		Python:    ep.Python,
		Dir:       dir,
		ConfFile:  conf,
		Conf:      map[string]string{"execution.target": "remote", "rest.address": host, "rest.port": port},
		Classpath: jars,
	}, nil
}
