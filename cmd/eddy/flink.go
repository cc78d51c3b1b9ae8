package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/localflink"
)

// runFlink runs only the local Flink cluster (JobManager, TaskManager, SQL
// Gateway) until ctx ends. Once it is ready it prints its endpoints as
// shell assignments, which the test harness uses to share one cluster
// between all test packages of a run.
func runFlink(ctx context.Context, args []string) error {
	def := DefaultConfig()
	fs := flag.NewFlagSet("flink", flag.ContinueOnError)
	dir := fs.String("dir", "./data/flink", "working directory for config, logs and state")
	home := fs.String("flink-home", def.FlinkHome, "Flink distribution directory")
	jar := fs.String("gateway-jar", def.GatewayJar, "the flink-sql-gateway jar")
	slots := fs.Int("taskmanager-slots", def.TaskManagerSlots, "task slots of the TaskManager")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	c, err := localflink.Start(ctx, localflink.Config{FlinkHome: *home, GatewayJar: *jar, Dir: *dir, TaskManagerSlots: *slots, Logger: log})
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
	log.Info("local flink cluster ready", "after", time.Since(start).Round(time.Millisecond))
	fmt.Printf("EDDY_TEST_FLINK_GATEWAY=%s\nEDDY_TEST_FLINK_REST=%s\n", c.GatewayURL(), c.RestURL())
	<-ctx.Done()
	return nil
}
