package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/bench"
)

// TestBenchCommand runs small scenarios of `eventgate bench` as an
// operator would: a gateway and a receiver run as its child processes.
func TestBenchCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a gateway and a receiver as child processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, progress bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, "bench", "--scenario", "single,backlog,rate,pull", "--events", "300", "--rate", "300", "--duration", "1s",
		"--calibrate", "300ms", "--stall", "10s", "--tmp", t.TempDir(), "--json")
	cmd.Stdout, cmd.Stderr = &out, &progress
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench: %v\n%s\n%s", err, out.String(), progress.String())
	}
	var rep bench.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	if rep.Calibration.RequestsPerSec <= 0 || len(rep.Results) != 4 {
		t.Fatalf("calibration %+v, %d results", rep.Calibration, len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Events != 300 || r.Deliveries < 300 || r.Errors != 0 {
			t.Errorf("%s: %d events, %d deliveries, %d errors (%s); want 300, 300, 0", r.Scenario, r.Events, r.Deliveries, r.Errors, r.FirstError)
		}
		if r.DeliveriesPerSec <= 0 || r.Calibration <= 0 || r.Ratio <= 0 || r.GatewayPeakRSS <= 0 || len(r.Targets) == 0 {
			t.Errorf("%s: incomplete result %+v", r.Scenario, r)
		}
		if (r.Latency == nil) != (r.Scenario == "backlog") {
			t.Errorf("%s: latency %+v", r.Scenario, r.Latency)
		}
	}
}
