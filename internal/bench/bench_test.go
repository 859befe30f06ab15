package bench

import (
	"encoding/json"
	"os"
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
