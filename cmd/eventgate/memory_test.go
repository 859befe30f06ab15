package main_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSlowBatchBodiesStayWithinMemory: 300 clients announce 8 MB batches
// and trickle them in; the gateway holds what arrived within its body
// budget, refuses the rest with 503 and Retry-After, and its resident set
// stays under 200 MB (it grew to 1.3 GB with 200 such clients when
// buffers were sized by Content-Length).
func TestSlowBatchBodiesStayWithinMemory(t *testing.T) {
	const (
		clients  = 300
		announce = 8_000_000
		chunk    = 16 << 10
		every    = 50 * time.Millisecond // per client: 320 KB/s, 96 MB/s in all
		trickle  = 5 * time.Second       // then each client gives up
		limitRSS = 200 << 20
	)
	g := start(t, t.TempDir(), "EVENTGATE_ADMIN_KEY="+key)
	pid := g.cmd.Process.Pid
	before := procKB(t, pid, "VmRSS")

	piece := []byte(strings.Repeat(`{"type":"load.tick","data":{"pad":"`+strings.Repeat("x", chunk-64)+`"}},`, 1))
	var mu sync.Mutex
	answers := map[string]int{}
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answer := slowBatch(g.url, announce, piece, every, trickle)
			mu.Lock()
			answers[answer]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	peak, now := procKB(t, pid, "VmHWM"), procKB(t, pid, "VmRSS")
	t.Logf("RSS %d MB before, peak %d MB, %d MB after; answers %v", before>>10, peak>>10, now>>10, answers)
	if peak<<10 > limitRSS {
		t.Errorf("the gateway's resident set peaked at %d MB; want under %d MB", peak>>10, limitRSS>>20)
	}
	if answers["503 1"] == 0 {
		t.Errorf("no client was refused with 503 and Retry-After: 1 (answers %v); the budget did not bind", answers)
	}
	if code, body, err := g.post("/v1/events", `{"type":"after.load","data":{}}`); err != nil || code != 202 {
		t.Fatalf("publishing after the slow clients: %d %s %v", code, body, err)
	}
}

// slowBatch announces a batch of size bytes and sends piece after piece,
// one each every, until trickle has passed or the gateway answers. It
// returns the answer's status and Retry-After, or "no answer".
func slowBatch(url string, size int, piece []byte, every, trickle time.Duration) string {
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		return "dial: " + err.Error()
	}
	defer conn.Close()
	go func() {
		fmt.Fprintf(conn, "POST /v1/events/batch HTTP/1.1\r\nHost: eventgate\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"events\":[", key, size)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for end := time.Now().Add(trickle); time.Now().Before(end); <-tick.C {
			if _, err := conn.Write(piece); err != nil {
				return // answered and closed
			}
		}
		conn.Close() // gives up: the gateway sees the body end early
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return "no answer"
	}
	resp.Body.Close()
	return strings.TrimSpace(fmt.Sprint(resp.StatusCode, " ", resp.Header.Get("Retry-After")))
}

// procKB reads a field of /proc/<pid>/status, in KiB.
func procKB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("reading the gateway's memory needs Linux /proc: %v", err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if value, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("/proc/%d/status %s: %v", pid, field, err)
			}
			return kb
		}
	}
	t.Fatalf("/proc/%d/status has no %s", pid, field)
	return 0
}
