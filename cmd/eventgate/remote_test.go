package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// cli runs the eventgate binary against g, with the key and URL from the
// environment as an operator sets them; stdin is fed to it. It answers
// stdout, stderr and the exit code.
func (g *gateway) cli(stdin string, args ...string) (string, string, int) {
	g.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "EVENTGATE_URL="+g.url, "EVENTGATE_KEY="+key)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		g.t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func TestPublishAndListCommands(t *testing.T) {
	g := start(t, t.TempDir(), "EVENTGATE_ADMIN_KEY="+key)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(receiver.Close)
	g.subscribe(receiver.URL, 10)

	out, stderr, code := g.cli(`{"order_id": 1}`, "publish", "--type", "order.created", "--subject", "order/1")
	id := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(id, "evt_") {
		t.Fatalf("publish with data on stdin: exit %d, %q %s", code, out, stderr)
	}
	out, _, code = g.cli(`{"type": "order.paid", "data": {}}`, "publish", "--idempotency-key", "k1")
	first := strings.TrimSpace(out)
	out, _, code = g.cli(`{"type": "order.paid", "data": {}}`, "publish", "--idempotency-key", "k1", "--json")
	var replay struct {
		ID       string
		Replayed bool
	}
	if err := json.Unmarshal([]byte(out), &replay); code != 0 || err != nil || replay.ID != first || !replay.Replayed {
		t.Fatalf("an envelope on stdin repeating an Idempotency-Key: exit %d, %s, first %s", code, out, first)
	}

	file := filepath.Join(t.TempDir(), "events.jsonl")
	var lines []string
	for i := range 7 {
		lines = append(lines, fmt.Sprintf(`{"type":"order.created","data":{"n":%d}}`, i))
	}
	lines = append(lines, "", `{"type":"Not A Type","data":{}}`)
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, code = g.cli("", "publish", "--file", file, "--batch-size", "3")
	if code != 2 || !strings.Contains(out, "published 7 of 8 events") || !strings.Contains(out, "line 9 refused (422)") || !strings.Contains(stderr, "1 of 8 events refused") {
		t.Fatalf("a JSONL file with a bad line: exit %d\n%s%s", code, out, stderr)
	}

	out, stderr, code = g.cli("", "subscriptions", "list")
	if rows := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(rows) != 2 || !strings.HasPrefix(rows[0], "ID ") || !strings.Contains(rows[1], receiver.URL) {
		t.Fatalf("subscriptions list: exit %d\n%s%s", code, out, stderr)
	}
	waitFor(t, "the first event's delivery to succeed", func() bool {
		out, _, _ := g.cli("", "deliveries", "list", "--event", id, "--json")
		var ds []struct{ Status string }
		return json.Unmarshal([]byte(out), &ds) == nil && len(ds) == 1 && ds[0].Status == "succeeded"
	})
	waitFor(t, "the 9 published events' deliveries to be listed", func() bool {
		out, _, code := g.cli("", "deliveries", "list", "--limit", "0")
		return code == 0 && strings.Count(out, "\n") == 1+9 // the header and every delivery
	})
	out, _, code = g.cli("", "deliveries", "list", "--limit", "5", "--json")
	var ds []struct{ ID string }
	if err := json.Unmarshal([]byte(out), &ds); code != 0 || err != nil || len(ds) != 5 {
		t.Fatalf("deliveries list --limit 5 --json: exit %d, %d items %v", code, len(ds), err)
	}

	_, stderr, code = g.cli("", "subscriptions", "list", "--key", "eg_adm_not-the-key-00000000")
	if code != 2 || !strings.Contains(stderr, "401 Unauthorized") {
		t.Fatalf("a wrong key: exit %d %s", code, stderr)
	}
}
