package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/eventgate/eventgate/internal/bench"
)

// benchCommand runs bench, or the receiver that bench starts as a child
// process (bench-receiver, left out of the usage: it is not for people).
func benchCommand(cmd string, args []string) error {
	if cmd == "bench-receiver" {
		return benchReceiver(args)
	}
	return benchCmd(args)
}

// benchCmd measures the gateway end to end (see internal/bench).
func benchCmd(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: eventgate bench [flags]\n\nMeasures a gateway end to end: this process publishes, a gateway and a\nreceiver run as child processes. Scenarios:\n\n%s\nFlags:\n", bench.ScenarioNames())
		fs.PrintDefaults()
	}
	var cfg bench.Config
	scenario := fs.String("scenario", "all", "comma-separated scenarios to run, or all")
	fs.IntVar(&cfg.Events, "events", 0, "events per scenario (0: each scenario's default)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 0, "publishing workers (0: each scenario's default)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "events/s of the rate and slow-endpoint scenarios (0: 1000 and 200)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "length of the rate and slow-endpoint scenarios (0: 10s)")
	fs.IntVar(&cfg.MaxConcurrency, "max-concurrency", 50, "max_concurrency of the bench subscriptions")
	fs.StringVar(&cfg.URL, "url", "", "measure the gateway at this URL instead of starting one (needs --key)")
	fs.StringVar(&cfg.Key, "key", "", "admin API key of the --url gateway")
	fs.IntVar(&cfg.GatewayPID, "gateway-pid", 0, "process id of the --url gateway, to report its RSS and CPU")
	fs.StringVar(&cfg.Database, "database", "", "passed to the started gateway as --database (default: SQLite in a temporary directory)")
	fs.StringVar(&cfg.TempDir, "tmp", "", "directory for the started gateways' data (default: the system's)")
	fs.StringVar(&cfg.ReceiverAddr, "receiver-addr", "127.0.0.1:0", "where the receiver listens; the gateway must reach it")
	fs.DurationVar(&cfg.Calibration, "calibrate", 3*time.Second, "how long the loopback calibration runs")
	fs.DurationVar(&cfg.Stall, "stall", 30*time.Second, "stop waiting for deliveries when none came for this long")
	fs.BoolVar(&cfg.JSON, "json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (cfg.URL == "") != (cfg.Key == "") {
		return errors.New("--url and --key go together")
	}
	cfg.Scenarios = strings.Split(*scenario, ",")
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the eventgate binary for the child processes: %w", err)
	}
	cfg.Executable = exe
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return bench.Run(ctx, cfg, os.Stdout, os.Stderr)
}

// benchReceiver is the webhook receiver that bench starts as a child process.
func benchReceiver(args []string) error {
	fs := flag.NewFlagSet("bench-receiver", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return bench.RunReceiver(ctx, *addr, os.Stdout)
}
