// Command eddy is the Eddy notebook server.
//
//	eddy serve [flags]   run the server (the default sub-command)
//	eddy flink [flags]   run only the local Flink cluster (used by the test harness)
//
// main only handles signals and the exit code; Main does the wiring.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// shutdownTimeout bounds the whole ordered shutdown after SIGTERM.
const shutdownTimeout = 60 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	args := os.Args[1:]
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = runServe(ctx, args)
	case "flink":
		err = runFlink(ctx, args)
	case "help", "-h", "--help":
		fmt.Println("usage: eddy serve [flags] | eddy flink [flags]   (-h lists the flags)")
	default:
		err = fmt.Errorf("unknown command %q (try 'eddy serve -h')", cmd)
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "eddy:", err)
		os.Exit(1)
	}
}

// runServe parses flags, runs Main until ctx ends, then shuts down in order.
func runServe(ctx context.Context, args []string) error {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Token == "" && cfg.TokenFile == "" {
		cfg.Token = os.Getenv("EDDY_TOKEN")
	}
	// Nothing Eddy starts (the Flink and Kafka JVMs, and the job code in
	// them) may read the token from its environment.
	os.Unsetenv("EDDY_TOKEN")
	m := NewMain(cfg)
	if err := m.Run(ctx); err != nil {
		closeCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		_ = m.Close(closeCtx)
		return err
	}
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "eddy: shutting down")
	closeCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	return m.Close(closeCtx)
}
