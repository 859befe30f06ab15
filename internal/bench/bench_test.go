package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestEventBodiesAreValidAndStamped(t *testing.T) {
	shape := eventShape{typ: "bench.test", customers: 10}
	var batch struct {
		Events []struct {
			Type    string
			Subject string
			Data    struct {
				SentNs     int64  `json:"sent_ns"`
				CustomerID string `json:"customer_id"`
			}
		}
	}
	body := shape.body(nil, 12, 3, true)
	if err := json.Unmarshal(body, &batch); err != nil {
		t.Fatalf("batch body is not JSON: %v\n%s", err, body)
	}
	if len(batch.Events) != 3 {
		t.Fatalf("%d events, want 3", len(batch.Events))
	}
	e := batch.Events[0]
	if e.Type != "bench.test.c-2" || e.Subject != "orders/c-2/12" || e.Data.CustomerID != "c-2" || e.Data.SentNs == 0 {
		t.Fatalf("event 12 = %+v", e)
	}
	single := shape.body(nil, 5, 1, false)
	if !json.Valid(single) || len(single) < 900 || len(single) > 1100 {
		t.Fatalf("a single event should be JSON of about 1 KiB, got %d bytes", len(single))
	}
	if sent, ok := sentNs(single); !ok || sent < time.Now().Add(-time.Minute).UnixNano() {
		t.Fatalf("sentNs = %d, %v", sent, ok)
	}
}

func TestReadProcSelf(t *testing.T) {
	u, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u.PeakRSS <= 0 || u.RSS <= 0 || u.PeakRSS < u.RSS {
		t.Fatalf("implausible usage: %+v", u)
	}
}

// TestRunEndToEnd runs small scenarios against the real binary: a gateway
// and a receiver as child processes, as an operator would run bench.
func TestRunEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the eventgate binary")
	}
	bin := filepath.Join(t.TempDir(), "eventgate")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/eventgate").CombinedOutput(); err != nil {
		t.Fatalf("building eventgate: %v\n%s", err, out)
	}
	var out bytes.Buffer
	cfg := Config{
		Scenarios: []string{"single", "backlog", "rate", "pull"}, Events: 300, Rate: 300, Duration: time.Second,
		Executable: bin, Calibration: 300 * time.Millisecond, Stall: 10 * time.Second, TempDir: t.TempDir(), JSON: true,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Run(ctx, cfg, &out, io.Discard); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	var rep Report
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
