package main_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var servingMetrics = regexp.MustCompile(`msg="serving metrics without authentication" addr=(\S+)`)

// TestMetricsAddrServesWithoutAKeyAndNotOnTheAPI: the real binary with
// --metrics-addr (from the environment) serves the metrics there without
// a key, and the API's /metrics says where they are.
func TestMetricsAddrServesWithoutAKeyAndNotOnTheAPI(t *testing.T) {
	g := start(t, t.TempDir(), "EVENTGATE_ADMIN_KEY="+key, "EVENTGATE_METRICS_ADDR=127.0.0.1:0")
	var addr string
	waitFor(t, "the metrics listener", func() bool {
		m := servingMetrics.FindStringSubmatch(g.stderr.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	})
	if code, body, err := g.post("/v1/events", `{"type":"order.created","data":{}}`); err != nil || code != http.StatusAccepted {
		t.Fatalf("publish: %d %s %v", code, body, err)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "eventgate_publish_duration_seconds_count 1\n") {
		t.Fatalf("GET /metrics on --metrics-addr without a key = %d, want 200 counting the publish:\n%s", resp.StatusCode, body)
	}
	req, _ := http.NewRequest("GET", g.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "--metrics-addr") {
		t.Fatalf("GET /metrics on the API with --metrics-addr = %d %s, want 404 naming --metrics-addr", resp.StatusCode, body)
	}
}
