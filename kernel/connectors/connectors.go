// Package connectors keeps the connector and format jars of Eddy's local
// Flink cluster: those that ship with Eddy and those added later by Maven
// coordinates, which take effect when the Flink JVMs restart.
package connectors

import (
	"archive/zip"
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/atomicfile"
)

// factoryService is where a jar lists its Flink table factories.
const factoryService = "META-INF/services/org.apache.flink.table.factories.Factory"

// Connector is one jar on the cluster's classpath.
type Connector struct {
	File      string   `json:"file"`      // the jar's file name
	Origin    string   `json:"origin"`    // "bundled" (ships with Eddy) or "added"
	Factories []string `json:"factories"` // the table factories it provides (class names)
}

// Origins of a connector jar.
const (
	Bundled = "bundled"
	Added   = "added"
)

// Suggestion is a connector or format jar known to work with Eddy's Flink
// (2.3), to add by its coordinates.
type Suggestion struct {
	Coordinates string   `json:"coordinates"`
	Provides    []string `json:"provides"` // the 'connector' or 'format' identifiers it adds
	Description string   `json:"description"`
	Installed   bool     `json:"installed"` // its jar is on the classpath already
}

// suggestions are single-jar SQL artifacts on Maven Central built for
// Flink 2.3 (checked by TestSuggestions_OnMavenCentral). Absent: ORC
// (flink-sql-orc needs Hadoop's classes, which the cluster lacks) and the
// connectors released separately (JDBC, Elasticsearch, Kinesis, ...): for
// Flink 2.x they are not on Maven Central yet, or need several jars.
var suggestions = []Suggestion{
	{Coordinates: "org.apache.flink:flink-sql-avro-confluent-registry:2.3.0", Provides: []string{"avro-confluent", "debezium-avro-confluent"},
		Description: "Avro with a Confluent Schema Registry: topics written by Confluent serializers, or Debezium change events."},
	{Coordinates: "org.apache.flink:flink-sql-protobuf:2.3.0", Provides: []string{"protobuf"},
		Description: "Protocol Buffers messages; the classes generated for them must be on the classpath too."},
}

// Service lists the cluster's connector jars and adds new ones. It is safe
// for concurrent use; adds run one at a time.
type Service struct {
	Bundled []string // jars that ship with Eddy, on the classpath from the start
	Dir     string   // where added jars are kept (on the classpath too)
	// Fetch returns the local path of a jar given by Maven coordinates.
	Fetch func(ctx context.Context, coords string) (string, error)
	// Restart restarts the Flink JVMs with the given jars on their
	// classpath and waits until the cluster is ready; nil when Eddy does
	// not run the cluster (remote mode), which refuses adds.
	Restart func(ctx context.Context, jars []string) error
	// JobsRunning counts the cluster's running jobs, which a restart ends.
	JobsRunning func(ctx context.Context) (int, error)

	mu sync.Mutex
}

// CanAdd reports whether connectors can be added: only to a cluster Eddy runs.
func (s *Service) CanAdd() bool { return s.Restart != nil }

// Jars returns every connector jar for the classpath: bundled, then added.
func (s *Service) Jars() []string {
	added, _ := filepath.Glob(filepath.Join(s.Dir, "*.jar"))
	sort.Strings(added)
	return append(append([]string(nil), s.Bundled...), added...)
}

// List returns the cluster's connector jars with the factories each provides.
func (s *Service) List(ctx context.Context) ([]Connector, error) {
	var out []Connector
	for _, j := range s.Jars() {
		origin := Added
		if filepath.Dir(j) != filepath.Clean(s.Dir) {
			origin = Bundled
		}
		factories, err := Factories(j)
		if err != nil {
			return nil, err
		}
		out = append(out, Connector{File: filepath.Base(j), Origin: origin, Factories: factories})
	}
	return out, nil
}

// Suggestions returns the jars known to work with Eddy's Flink that can be
// added by their coordinates, each marked when it is installed already.
func (s *Service) Suggestions() []Suggestion {
	have := map[string]bool{}
	for _, j := range s.Jars() {
		have[filepath.Base(j)] = true
	}
	out := make([]Suggestion, len(suggestions))
	for i, sg := range suggestions {
		out[i] = sg
		out[i].Installed = have[jarName(sg.Coordinates)]
	}
	return out
}

// jarName is the file name of the jar at group:artifact:version.
func jarName(coords string) string {
	parts := strings.Split(coords, ":")
	if len(parts) != 3 {
		return ""
	}
	return parts[1] + "-" + parts[2] + ".jar"
}

// Add fetches the jar at Maven coordinates, checks that it provides Flink
// table factories, puts it on the cluster's classpath and restarts the
// Flink JVMs. A restart ends running jobs, so while any runs Add refuses
// unless force is set. Bad coordinates, a failed download or checksum, or
// a jar that is no connector change nothing.
func (s *Service) Add(ctx context.Context, coords string, force bool) (Connector, error) {
	if s.Restart == nil {
		return Connector{}, eddy.Errorf(eddy.EUNAVAILABLE, "Eddy does not run this Flink cluster: put the connector's jar in lib/ of the JobManager, the TaskManagers and the SQL Gateway")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src, err := s.Fetch(ctx, coords)
	if err != nil {
		return Connector{}, err
	}
	factories, err := Factories(src)
	if err != nil {
		return Connector{}, err
	}
	if len(factories) == 0 {
		return Connector{}, eddy.Errorf(eddy.EINVALID, "%s provides no Flink table factory: it is not a SQL connector or format (for connectors, use the flink-sql-connector-… artifact)", coords)
	}
	name := filepath.Base(src)
	for _, j := range s.Jars() {
		if filepath.Base(j) == name {
			return Connector{}, eddy.Errorf(eddy.ECONFLICT, "%s is installed already", name)
		}
	}
	if n, err := s.JobsRunning(ctx); err != nil {
		return Connector{}, err
	} else if n > 0 && !force {
		return Connector{}, eddy.Errorf(eddy.ECONFLICT, "%d Flink job%s running: adding a connector restarts the cluster's JVMs, which ends %s; stop %s first, or add with force",
			n, plural(n, " is", "s are"), plural(n, "it", "them"), plural(n, "it", "them"))
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return Connector{}, err
	}
	dest := filepath.Join(s.Dir, name)
	if err := copyFile(src, dest); err != nil {
		return Connector{}, err
	}
	if err := s.Restart(ctx, s.Jars()); err != nil {
		// Take the jar out again so the cluster comes back as it was.
		_ = os.Remove(dest)
		if rerr := s.Restart(context.WithoutCancel(ctx), s.Jars()); rerr != nil {
			err = fmt.Errorf("%w; restarting without it failed too: %v", err, rerr)
		}
		return Connector{}, eddy.Wrap(eddy.EUNAVAILABLE, err, "the cluster did not come back with %s; it was removed again", name)
	}
	return Connector{File: name, Origin: Added, Factories: factories}, nil
}

// Factories returns the Flink table factories a jar declares.
func Factories(jar string) ([]string, error) {
	zr, err := zip.OpenReader(jar)
	if err != nil {
		return nil, eddy.Wrap(eddy.EINVALID, err, "%s is not a jar", filepath.Base(jar))
	}
	defer zr.Close()
	var out []string
	for _, f := range zr.File {
		if f.Name != factoryService {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, eddy.Wrap(eddy.EINVALID, err, "%s: unreadable %s", filepath.Base(jar), factoryService)
		}
		sc := bufio.NewScanner(io.LimitReader(rc, 1<<20))
		for sc.Scan() {
			line, _, _ := strings.Cut(sc.Text(), "#")
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, line)
			}
		}
		rc.Close()
	}
	sort.Strings(out)
	return out, nil
}

// copyFile copies src to dest atomically.
func copyFile(src, dest string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return atomicfile.Write(dest, in)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
