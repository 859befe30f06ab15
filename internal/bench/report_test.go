package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestVerdictsCarryTheLoadAverage: a verdict taken on a busy machine says
// so, in the text and in the JSON.
func TestVerdictsCarryTheLoadAverage(t *testing.T) {
	r := &Result{Scenario: "single", LoadAvg1: 3.25, Targets: []Target{{Goal: "deliveries/s ≥ 0.25 × calibration", Met: false, Actual: "0.20 ×"}}}
	rep := &Report{Machine: Machine{CPUs: 2}, Results: []*Result{r}}
	var text bytes.Buffer
	if err := rep.writeText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "MISSED (0.20 ×; load average 3.25 on 2 CPUs)") {
		t.Fatalf("the verdict does not say how busy the machine was:\n%s", text.String())
	}
	j, _ := json.Marshal(r)
	if !bytes.Contains(j, []byte(`"load_average_1m":3.25`)) {
		t.Fatalf("JSON result without the load average: %s", j)
	}
}
