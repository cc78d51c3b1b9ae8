package localflink

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// KafkaConfig says where the Kafka broker's jars are and where it keeps its
// data. The broker runs in KRaft combined mode (broker and controller in
// one JVM), one node, on loopback.
type KafkaConfig struct {
	Lib  string // directory of the broker's runtime jars (make kafka installs them); "" runs no broker
	Dir  string // data and config; default <cluster dir>/../kafka
	Heap string // -Xmx of the broker JVM, default 512m (about 0.4 GB resident)
}

func (k *KafkaConfig) setDefaults(clusterDir string) {
	if k.Dir == "" && clusterDir != "" {
		k.Dir = filepath.Join(filepath.Dir(filepath.Clean(clusterDir)), "kafka")
	}
	if k.Heap == "" {
		k.Heap = "512m"
	}
}

func (k *KafkaConfig) enabled() bool { return k.Lib != "" }

// check fails early, with what to do, when the broker's jars are missing.
func (k *KafkaConfig) check() error {
	if !k.enabled() {
		return nil
	}
	jars, _ := filepath.Glob(filepath.Join(k.Lib, "kafka_*.jar"))
	if len(jars) == 0 {
		return fmt.Errorf("no Kafka broker jars in %q: run 'make kafka', or start without the local broker (--kafka=false)", k.Lib)
	}
	return nil
}

// KafkaBootstrap is the local broker's bootstrap address, "" without one.
func (c *Cluster) KafkaBootstrap() string {
	if !c.cfg.Kafka.enabled() {
		return ""
	}
	return fmt.Sprintf("127.0.0.1:%d", c.ports.Kafka)
}

// KafkaCrashes returns how often the supervisor restarted the local broker
// and why it last exited; zeros when there is none or it never crashed.
func (c *Cluster) KafkaCrashes() (restarts int, last Exit) {
	if p := c.process(KafkaBroker); p != nil {
		return p.crashes()
	}
	return 0, Exit{}
}

// WaitKafkaReady waits until the local broker accepts connections. Without
// a broker it returns at once.
func (c *Cluster) WaitKafkaReady(ctx context.Context) error {
	addr := c.KafkaBootstrap()
	if addr == "" {
		return nil
	}
	for {
		err := ProbeKafka(ctx, addr)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("localflink: kafka not ready: %w (logs in %s)%s", err, c.LogDir(), c.crashTails())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// ProbeKafka reports whether a broker listens at addr (a TCP connection
// within two seconds): the broker opens its listener once the controller
// and the broker are up.
func ProbeKafka(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}

// kafkaPortsFile remembers the broker's ports between starts.
const kafkaPortsFile = "ports"

// stableKafkaPorts returns the broker's and controller's ports: those of
// the previous start when both are still free, else the fresh ones, which
// are then remembered. Tables that name the broker ('properties.bootstrap.
// servers' in a persistent catalog) so keep working after a restart.
func stableKafkaPorts(dir string, fresh ports) (broker, controller int, err error) {
	path := filepath.Join(dir, kafkaPortsFile)
	if b, err := os.ReadFile(path); err == nil {
		var pb, pc int
		if _, err := fmt.Sscanf(string(b), "%d %d", &pb, &pc); err == nil && portFree(pb) && portFree(pc) {
			return pb, pc, nil
		}
	}
	if err := writeFileAtomic(path, fmt.Sprintf("%d %d\n", fresh.Kafka, fresh.KafkaController)); err != nil {
		return 0, 0, err
	}
	return fresh.Kafka, fresh.KafkaController, nil
}

// portFree reports whether a loopback port can be bound now.
func portFree(port int) bool {
	if port <= 0 || port > 65535 {
		return false
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// prepareKafka writes the broker's configuration, formats its storage on
// first use, and returns its command line. p's Kafka ports are those of
// the previous start when they are free (stableKafkaPorts).
func prepareKafka(ctx context.Context, cfg Config, confDir string, p *ports) ([]string, error) {
	k := cfg.Kafka
	dataDir := filepath.Join(k.Dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	var err error
	if p.Kafka, p.KafkaController, err = stableKafkaPorts(k.Dir, *p); err != nil {
		return nil, fmt.Errorf("choose kafka ports: %w", err)
	}
	props := filepath.Join(k.Dir, "server.properties")
	if err := writeFileAtomic(props, kafkaProperties(dataDir, *p)); err != nil {
		return nil, fmt.Errorf("write kafka config: %w", err)
	}
	logConf := filepath.Join(confDir, "log4j-kafka.properties")
	if err := writeFileAtomic(logConf, log4jConfig); err != nil {
		return nil, fmt.Errorf("write kafka log config: %w", err)
	}
	cp := kafkaClasspath(cfg)
	if _, err := os.Stat(filepath.Join(dataDir, "meta.properties")); errors.Is(err, os.ErrNotExist) {
		if err := formatKafka(ctx, cfg.Java, cp, props); err != nil {
			return nil, err
		}
	}
	return []string{cfg.Java, "-Xms256m", "-Xmx" + k.Heap, "-XX:+UseG1GC",
		"-Dlog.file=" + filepath.Join(cfg.Dir, "log", KafkaBroker+".log"),
		"-Dlog4j2.configurationFile=file:" + logConf,
		"-Djava.io.tmpdir=" + filepath.Join(cfg.Dir, "tmp"),
		"-cp", cp, "kafka.Kafka", props}, nil
}

// kafkaClasspath is the broker's jars plus Flink's log4j SLF4J binding:
// Kafka's runtime brings log4j but no binding, and would log nothing.
func kafkaClasspath(cfg Config) string {
	parts := []string{filepath.Join(cfg.Kafka.Lib, "*")}
	binding, _ := filepath.Glob(filepath.Join(cfg.FlinkHome, "lib", "log4j-slf4j-impl-*.jar"))
	return strings.Join(append(parts, binding...), string(os.PathListSeparator))
}

// formatKafka formats the broker's storage with a new cluster id, as
// kafka-storage.sh format does. Transaction protocol version 1: with
// version 2 the Flink connector logs false "data loss" errors on every
// recovery of an exactly-once sink.
func formatKafka(ctx context.Context, java, cp, props string) error {
	id, err := newKafkaClusterID()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, java, "-cp", cp, "kafka.tools.StorageTool", "format",
		"--cluster-id="+id, "-c", props, "--feature", "transaction.version=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("format kafka storage: %w: %s", err, lastLines(out, 5))
	}
	return nil
}

// newKafkaClusterID returns a random cluster id as Kafka writes them: 16
// bytes in URL-safe base64 without padding, never starting with '-' (which
// a command line would take for an option).
func newKafkaClusterID() (string, error) {
	id := make([]byte, 16)
	for {
		if _, err := rand.Read(id); err != nil {
			return "", err
		}
		if s := base64.RawURLEncoding.EncodeToString(id); s[0] != '-' {
			return s, nil
		}
	}
}

// kafkaProperties is the broker's server.properties: one node that is
// broker and controller, on loopback, every replication factor 1. The
// controller quorum is static (controller.quorum.voters), so the broker
// keeps its data when Eddy picks other ports at its next start.
func kafkaProperties(dataDir string, p ports) string {
	lines := []string{
		"# Written by Eddy at every start of its local Kafka broker; edits are overwritten.",
		"process.roles=broker,controller",
		"node.id=1",
		fmt.Sprintf("controller.quorum.voters=1@127.0.0.1:%d", p.KafkaController),
		fmt.Sprintf("listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", p.Kafka, p.KafkaController),
		fmt.Sprintf("advertised.listeners=PLAINTEXT://127.0.0.1:%d", p.Kafka),
		"controller.listener.names=CONTROLLER",
		"inter.broker.listener.name=PLAINTEXT",
		"listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
		"log.dirs=" + dataDir,
		"num.partitions=1",
		"auto.create.topics.enable=true",
		"offsets.topic.replication.factor=1",
		"transaction.state.log.replication.factor=1",
		"transaction.state.log.min.isr=1",
		"share.coordinator.state.topic.replication.factor=1",
		"share.coordinator.state.topic.min.isr=1",
		"group.initial.rebalance.delay.ms=0",
		// The Flink connector's exactly-once sinks use a 1 h transaction
		// timeout; the broker's default maximum (15 min) would refuse them.
		"transaction.max.timeout.ms=3600000",
	}
	return strings.Join(lines, "\n") + "\n"
}
