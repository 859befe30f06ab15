// Package bench measures a running eventgate end to end: the load
// generator (this process) publishes over the REST API, a gateway child
// process routes, stores and delivers, and a receiver child process takes
// the webhooks and measures publish→receive latency. Separate processes
// keep each side's CPU and memory its own, so the numbers mean what they say.
//
// Every run first measures the machine's raw loopback HTTP rate, and again
// before each scenario, and reports deliveries/s as a ratio to it: absolute
// rates vary between machines and between runs on a shared one, ratios
// much less.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Config is one bench run. Zero sizes take each scenario's defaults.
type Config struct {
	Scenarios []string // names, or "all"

	Events      int           // events per scenario
	Concurrency int           // publishing workers
	Rate        float64       // events/s of the fixed-rate scenarios
	Duration    time.Duration // length of the fixed-rate scenarios

	// MaxConcurrency is each bench subscription's max_concurrency.
	MaxConcurrency int

	URL, Key   string // an existing gateway to measure, instead of starting one
	GatewayPID int    // its process, for RSS and CPU (optional)
	Database   string // passed to the started gateway as --database
	TempDir    string // where started gateways keep their data

	ReceiverAddr string // where the receiver listens (reachable by the gateway)
	Executable   string // the eventgate binary, for the child processes

	Calibration time.Duration // how long the loopback calibration runs
	Stall       time.Duration // give up waiting when no delivery came for this long
	JSON        bool
}

// runner carries a run's configuration and reporting to the scenarios.
type runner struct {
	cfg  Config
	prog *progress
}

func (r *runner) events(def int) int { return orDefault(r.cfg.Events, def) }

func (r *runner) workers(def int) int { return orDefault(r.cfg.Concurrency, def) }

func (r *runner) rate(def float64) float64 { return orDefault(r.cfg.Rate, def) }

func (r *runner) duration() time.Duration { return orDefault(r.cfg.Duration, 10*time.Second) }

func orDefault[T int | float64 | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// withEnv runs fn against a fresh gateway and receiver and adds what the
// processes spent to its result.
func (r *runner) withEnv(ctx context.Context, fn func(*env) (*Result, error)) (*Result, error) {
	e, err := r.openEnv()
	if err != nil {
		return nil, err
	}
	loadCPU := selfCPU()
	res, err := fn(e)
	if res != nil {
		e.usage(res)
		res.LoadCPU = (selfCPU() - loadCPU).Seconds()
		if u, perr := readProc(e.receiver.pid()); perr == nil {
			res.ReceiverCPU = u.CPU.Seconds()
		}
	}
	if cerr := e.close(context.Background()); cerr != nil && err == nil && res != nil {
		res.Warnings = append(res.Warnings, cerr.Error())
	}
	return res, err
}

// Run measures the chosen scenarios and writes the report to out (a table,
// or JSON); progress and notes go to log.
func Run(ctx context.Context, cfg Config, out, log io.Writer) error {
	chosen, err := choose(cfg.Scenarios)
	if err != nil {
		return err
	}
	cfg.Calibration = orDefault(cfg.Calibration, 2*time.Second)
	cfg.Stall = orDefault(cfg.Stall, 30*time.Second)
	cfg.MaxConcurrency = orDefault(cfg.MaxConcurrency, 50)
	if cfg.ReceiverAddr == "" {
		cfg.ReceiverAddr = "127.0.0.1:0"
	}
	r := &runner{cfg: cfg, prog: newProgress(log)}
	rep := &Report{Machine: describeMachine(cfg)}

	failed := 0
	for _, sc := range chosen {
		// Calibrating before each scenario, not once, keeps the ratio true
		// when other work on the machine comes and goes during a long run.
		cal, err := calibrate(ctx, cfg.Calibration)
		if err != nil {
			return fmt.Errorf("calibration: %w", err)
		}
		if rep.Calibration.RequestsPerSec == 0 {
			rep.Calibration = cal
		}
		fmt.Fprintf(log, "%s: %s (calibration %.0f requests/s)\n", sc.name, sc.about, cal.RequestsPerSec)
		res, err := sc.run(ctx, r)
		if err != nil {
			failed++
			res = &Result{Scenario: sc.name, Failure: err.Error()}
			fmt.Fprintf(log, "%s failed: %v\n", sc.name, err)
		}
		res.Calibration = cal.RequestsPerSec
		res.Ratio = res.DeliveriesPerSec / cal.RequestsPerSec
		rep.Results = append(rep.Results, res)
		if ctx.Err() != nil {
			break
		}
	}
	judge(rep)
	if cfg.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.writeText(out)
	}
	if err == nil && failed > 0 {
		err = fmt.Errorf("%d of %d scenarios failed", failed, len(chosen))
	}
	return err
}

func choose(names []string) ([]scenario, error) {
	if len(names) == 0 || (len(names) == 1 && names[0] == "all") {
		return scenarios, nil
	}
	var out []scenario
	for _, n := range names {
		s, ok := findScenario(strings.TrimSpace(n))
		if !ok {
			return nil, fmt.Errorf("unknown scenario %q; choose from:\n%s", n, ScenarioNames())
		}
		out = append(out, s)
	}
	return out, nil
}
