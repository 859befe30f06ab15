package main_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestReplayCommand: eventgate replay starts a replay, follows it to the
// end and says what it delivered; the receiver gets each event again.
func TestReplayCommand(t *testing.T) {
	sink := newSink(t)
	g := start(t, t.TempDir(), "EVENTGATE_ADMIN_KEY="+key)
	code, body, err := g.post("/v1/subscriptions", `{"name":"it","channel":{"type":"webhook","url":"`+sink.URL+`"}}`)
	var sub struct{ ID string }
	if err != nil || code != 201 || json.Unmarshal(body, &sub) != nil {
		t.Fatalf("subscribe: %d %s %v", code, body, err)
	}
	from := time.Now().UTC().Format(time.RFC3339Nano)
	var ids []string
	for range 3 {
		code, body, err := g.post("/v1/events", `{"type":"order.created","data":{}}`)
		var e struct{ ID string }
		if err != nil || code != 202 || json.Unmarshal(body, &e) != nil {
			t.Fatalf("publish: %d %s %v", code, body, err)
		}
		ids = append(ids, e.ID)
	}
	waitFor(t, "the live deliveries", func() bool { missing, _ := sink.missing(ids); return len(missing) == 0 })

	cmd := exec.Command(binary, "replay", "--url", g.url, "--subscription", sub.ID, "--from", from, "--poll", "50ms")
	cmd.Env = append(cmd.Environ(), "EVENTGATE_KEY="+key)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "done: 3 events matched, 3 delivered") {
		t.Fatalf("eventgate replay: %v\n%s", err, out)
	}
	if _, repeats := sink.missing(ids); repeats != 3 {
		t.Fatalf("the receiver got %d repeats, want each event once more", repeats)
	}

	cmd = exec.Command(binary, "replay", "--url", g.url, "--key", key, "--subscription", "sub_missing", "--from", from)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "names no subscription this key may replay into") {
		t.Fatalf("replay into a missing subscription: %v\n%s", err, out)
	}
}
