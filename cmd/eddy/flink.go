package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/localflink"
)

// runFlink runs only the local Flink cluster (JobManager, TaskManager, SQL
// Gateway, and a Kafka broker unless --kafka=false) until ctx ends. Once it
// is ready it prints its endpoints (and its Python, if any) as shell
// assignments, which the test harness uses to share one cluster between
// all test packages of a run. EDDY_TEST_FLINK_REST comes last: the harness
// waits for it.
func runFlink(ctx context.Context, args []string) error {
	def := DefaultConfig()
	fs := flag.NewFlagSet("flink", flag.ContinueOnError)
	dir := fs.String("dir", "./data", "working directory: Flink config, logs and state in flink/, the broker in kafka/")
	home := fs.String("flink-home", def.FlinkHome, "Flink distribution directory")
	jar := fs.String("gateway-jar", def.GatewayJar, "the flink-sql-gateway jar")
	slots := fs.Int("taskmanager-slots", def.TaskManagerSlots, "task slots of the TaskManager")
	connectors := fs.String("connectors-dir", def.ConnectorsDir, "directory of connector and format jars")
	catalogJar := fs.String("catalog-jar", def.CatalogJar, "the jar of Eddy's persistent catalog")
	kafka := fs.Bool("kafka", true, "run a local Kafka broker too")
	kafkaLib := fs.String("kafka-lib", def.KafkaLib, "directory of the Kafka broker's jars")
	python := fs.String("python", def.Python, "Python with apache-flink, for Python UDFs ('' for none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	catalogDir, err := filepath.Abs(filepath.Join(*dir, "catalog"))
	if err != nil {
		return err
	}
	lc := localflink.Config{FlinkHome: *home, GatewayJar: *jar, ConnectorJars: append(connectorJars(*connectors), *catalogJar),
		CatalogDir: catalogDir, Dir: filepath.Join(*dir, "flink"), TaskManagerSlots: *slots, Logger: log}
	if *python != "" {
		if lc.Python, err = filepath.Abs(*python); err != nil {
			return err
		}
	}
	if *kafka {
		lc.Kafka = localflink.KafkaConfig{Lib: *kafkaLib, Dir: filepath.Join(*dir, "kafka")}
	}
	c, err := localflink.Start(ctx, lc)
	if err != nil {
		return err
	}
	defer c.Close()
	readyCtx, cancel := context.WithTimeout(ctx, localReadyTimeout)
	defer cancel()
	start := time.Now()
	if err := c.WaitReady(readyCtx); err != nil {
		return err
	}
	if err := c.WaitKafkaReady(readyCtx); err != nil {
		return err
	}
	log.Info("local flink cluster ready", "after", time.Since(start).Round(time.Millisecond), "kafka", c.KafkaBootstrap())
	fmt.Printf("EDDY_TEST_KAFKA_BOOTSTRAP=%s\n", c.KafkaBootstrap())
	if lc.Python != "" {
		fmt.Printf("EDDY_TEST_PYTHON=%s\nEDDY_TEST_FLINK_CONF=%s\n", lc.Python, c.ConfigFile())
	}
	fmt.Printf("EDDY_TEST_FLINK_GATEWAY=%s\nEDDY_TEST_FLINK_REST=%s\n", c.GatewayURL(), c.RestURL())
	<-ctx.Done()
	return nil
}
