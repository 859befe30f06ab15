package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBackupUnderLoadRestoresEveryAckedEvent takes a backup of a gateway
// that publishing clients keep busy, restores it into a new data
// directory, serves it, and finds every event acknowledged before the
// backup started.
func TestBackupUnderLoadRestoresEveryAckedEvent(t *testing.T) {
	dir := t.TempDir()
	g := start(t, dir, "EVENTGATE_ADMIN_KEY="+key)
	var mu sync.Mutex
	var acked []string
	var stop atomic.Bool
	done := load(4, time.Minute, func(body string) bool {
		code, answer, err := g.post("/v1/events", body)
		if err != nil || stop.Load() {
			return false
		}
		if code == 202 {
			var out struct{ ID string }
			json.Unmarshal(answer, &out)
			mu.Lock()
			acked = append(acked, out.ID)
			mu.Unlock()
		}
		return true
	})
	defer done()
	waitFor(t, "events to be acknowledged", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 200
	})
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	backup := filepath.Join(t.TempDir(), "eventgate.backup")
	if out, err := exec.Command(binary, "backup", "--data", dir, "--to", backup).CombinedOutput(); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	stop.Store(true)
	done()
	if info, err := os.Stat(backup); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v; want it private (0600)", info, err)
	}

	restored := t.TempDir()
	keyFile, err := os.ReadFile(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "master.key"), keyFile, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(binary, "restore", "--from", backup, "--data", restored).CombinedOutput(); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if out, err := exec.Command(binary, "restore", "--from", backup, "--data", restored).CombinedOutput(); err == nil || !strings.Contains(string(out), "--force") {
		t.Fatalf("a second restore into the same directory: %v\n%s\nwant it refused, naming --force", err, out)
	}

	r := start(t, restored, "EVENTGATE_ADMIN_KEY="+key)
	stored := map[string]bool{}
	for after := ""; ; {
		var page struct {
			Data []struct{ ID string }
			Next *string
		}
		get(t, r.url+"/v1/events?limit=500&after="+url.QueryEscape(after), &page)
		for _, e := range page.Data {
			stored[e.ID] = true
		}
		if page.Next == nil {
			break
		}
		after = *page.Next
	}
	var missing []string
	for _, id := range before {
		if !stored[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d events acknowledged before the backup are not in it, e.g. %v", len(missing), len(before), missing[:min(5, len(missing))])
	}
	t.Logf("%d events acknowledged before the backup, all restored; %d more acknowledged while it ran; the backup holds %d", len(before), during, len(stored))
}

func get(t *testing.T, u string, out any) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(b, out) != nil {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
}
