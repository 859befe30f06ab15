package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the eventgate command built once for these tests: they run
// the real process, as an operator would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "eventgate-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "eventgate")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building eventgate: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const key = "eg_adm_integration-test-key-000"

// gateway is a running eventgate process.
type gateway struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
	exited chan error
}

var listening = regexp.MustCompile(`msg="eventgate listening" addr=(\S+)`)

// start runs `eventgate serve` on dir and waits until it listens.
func start(t *testing.T, dir string, env ...string) *gateway {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--poll-interval", "50ms")
	cmd.Env = append(os.Environ(), append([]string{"EVENTGATE_ALLOW_PRIVATE_TARGETS=true"}, env...)...)
	g := &gateway{t: t, cmd: cmd, stderr: &syncBuffer{}, exited: make(chan error, 1)}
	pipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			g.stderr.WriteString(sc.Text() + "\n")
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		g.exited <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	select {
	case a := <-addr:
		g.url = "http://" + a
	case <-time.After(20 * time.Second):
		t.Fatalf("eventgate did not start:\n%s", g.stderr.String())
	}
	return g
}

func (g *gateway) post(path, body string) (int, []byte, error) {
	req, _ := http.NewRequest("POST", g.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, nil
}

func (g *gateway) subscribe(url string, concurrency int) {
	g.t.Helper()
	code, body, err := g.post("/v1/subscriptions", fmt.Sprintf(`{"name":"it","channel":{"type":"webhook","url":%q},"max_concurrency":%d,"retry_policy":{"min_backoff":"200ms","max_backoff":"1s"}}`, url, concurrency))
	if err != nil || code != 201 {
		g.t.Fatalf("subscribe: %d %s %v", code, body, err)
	}
}

// load publishes from several clients for a while, each event a distinct
// body, until the time is up or send reports the gateway gone. The returned
// function waits for the clients to stop.
func load(clients int, d time.Duration, send func(body string) bool) (wait func()) {
	ctx, stop := context.WithTimeout(context.Background(), d)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				if !send(fmt.Sprintf(`{"type":"load.tick","data":{"client":%d,"i":%d}}`, c, i)) {
					return
				}
			}
		}()
	}
	return func() { wg.Wait(); stop() }
}

// webhookSink counts deliveries by webhook-id. While held, it takes
// requests but answers none until released: a test decides when
// deliveries are pending, instead of racing the gateway with a slow sink.
type webhookSink struct {
	*httptest.Server
	mu       sync.Mutex
	seen     map[string]int
	gate     chan struct{} // open (closed) while not held
	inFlight int           // requests taken and not answered
}

func newSink(t *testing.T) *webhookSink {
	s := &webhookSink{seen: map[string]int{}, gate: make(chan struct{})}
	close(s.gate)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		s.mu.Lock()
		gate := s.gate
		s.inFlight++
		s.mu.Unlock()
		<-gate
		s.mu.Lock()
		s.inFlight--
		s.seen[r.Header.Get("Webhook-Id")]++
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	t.Cleanup(s.release) // before Close, which waits for the held requests
	return s
}

// hold makes the sink keep the requests it takes unanswered.
func (s *webhookSink) hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.gate:
		s.gate = make(chan struct{})
	default: // held already
	}
}

// release answers the held requests and those to come.
func (s *webhookSink) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.gate:
	default:
		close(s.gate)
	}
}

// held counts the requests waiting for release.
func (s *webhookSink) held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
	}
}

// missing returns the ids not received yet and the number of repeats.
func (s *webhookSink) missing(ids []string) (missing []string, duplicates int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if s.seen[id] == 0 {
			missing = append(missing, id)
		}
	}
	for _, n := range s.seen {
		duplicates += n - 1
	}
	return missing, duplicates
}

// TestKill9LosesNothing publishes from several clients, kills the gateway
// with SIGKILL mid-load, restarts it on the same data, and checks that every
// event that was answered 202 arrives.
func TestKill9LosesNothing(t *testing.T) {
	dir := t.TempDir()
	// A held receiver keeps a backlog of pending deliveries at the kill.
	sink := newSink(t)
	sink.hold()
	g := start(t, dir, "EVENTGATE_ADMIN_KEY="+key)
	g.subscribe(sink.URL, 4)

	var mu sync.Mutex
	var acked []string
	done := load(4, time.Minute, func(body string) bool { // until the kill
		code, answer, err := g.post("/v1/events", body)
		if err != nil {
			return false // the gateway is gone
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
	waitFor(t, "load, and deliveries in flight", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 100 && sink.held() > 0
	})
	if err := g.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	done()
	<-g.exited
	mu.Lock()
	ids := append([]string(nil), acked...)
	mu.Unlock()
	before, _ := sink.missing(ids)
	sink.release()

	start(t, dir, "EVENTGATE_ADMIN_KEY="+key)
	deadline := time.Now().Add(60 * time.Second)
	for {
		missing, dups := sink.missing(ids)
		if len(missing) == 0 {
			t.Logf("%d acknowledged events; %d were not yet delivered at the kill; all arrived after restart; %d duplicate deliveries (at-least-once)", len(ids), len(before), dups)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged events never arrived, e.g. %v", len(missing), len(ids), missing[:min(5, len(missing))])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSIGTERMFinishesInFlightAndExits: a graceful stop lets deliveries in
// flight finish, exits within 10 s, and leaves the rest for the next start.
func TestSIGTERMFinishesInFlightAndExits(t *testing.T) {
	dir := t.TempDir()
	sink := newSink(t)
	sink.hold()
	g := start(t, dir, "EVENTGATE_ADMIN_KEY="+key)
	g.subscribe(sink.URL, 10)
	var ids []string
	for i := range 40 {
		code, body, err := g.post("/v1/events", fmt.Sprintf(`{"type":"slow.tick","data":%d}`, i))
		if err != nil || code != 202 {
			t.Fatalf("publish: %d %s %v", code, body, err)
		}
		var out struct{ ID string }
		json.Unmarshal(body, &out)
		ids = append(ids, out.ID)
	}
	waitFor(t, "ten deliveries in flight", func() bool { return sink.held() == 10 })
	began := time.Now()
	g.cmd.Process.Signal(syscall.SIGTERM)
	waitFor(t, "the stop to begin", func() bool { return strings.Contains(g.stderr.String(), "shutting down") })
	sink.release() // the deliveries in flight finish during the stop
	select {
	case err := <-g.exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, g.stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("eventgate did not exit after SIGTERM")
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Fatalf("graceful stop took %v, want under 10s", took)
	}
	if !strings.Contains(g.stderr.String(), "stopped") {
		t.Fatalf("no orderly stop in the log:\n%s", g.stderr.String())
	}
	missing, _ := sink.missing(ids)
	if len(missing) == len(ids) {
		t.Fatal("nothing was delivered before the stop; in-flight deliveries must finish")
	}
	start(t, dir, "EVENTGATE_ADMIN_KEY="+key)
	deadline := time.Now().Add(30 * time.Second)
	for len(missing) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries left by the stop were never sent", len(missing))
		}
		time.Sleep(100 * time.Millisecond)
		missing, _ = sink.missing(ids)
	}
}

// TestFirstStartPrintsAdminKeyOnce: without EVENTGATE_ADMIN_KEY the first
// start makes a key, shows it once, and it works.
func TestFirstStartPrintsAdminKeyOnce(t *testing.T) {
	dir := t.TempDir()
	g := start(t, dir)
	m := regexp.MustCompile(`eg_adm_[A-Za-z0-9_-]{20,}`).FindString(g.stderr.String())
	if m == "" {
		t.Fatalf("no admin key printed:\n%s", g.stderr.String())
	}
	req, _ := http.NewRequest("GET", g.url+"/v1/subscriptions", nil)
	req.Header.Set("Authorization", "Bearer "+m)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the printed key does not work: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	g.cmd.Process.Signal(syscall.SIGTERM)
	<-g.exited
	db, _ := os.ReadFile(filepath.Join(dir, "eventgate.db"))
	if bytes.Contains(db, []byte(m)) {
		t.Fatal("the admin key is stored in clear text")
	}
	again := start(t, dir)
	if strings.Contains(again.stderr.String(), "eg_adm_") {
		t.Fatal("a second start printed a new admin key")
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	out, err := exec.Command(binary, "serve", "--log-level", "loud").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--log-level") {
		t.Fatalf("bad flag: %v %s", err, out)
	}
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "EVENTGATE_POLL_INTERVAL=soon")
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "EVENTGATE_POLL_INTERVAL") {
		t.Fatalf("bad environment value: %v %s", err, out)
	}
}

// Settings that cannot work are refused at start, naming the flag and
// what to use instead.
func TestServeRefusesUnworkableSettings(t *testing.T) {
	for _, tc := range []struct{ flag, value, says string }{
		{"--max-conns-per-host", "0", "use at least 1"},
		{"--lease", "10ms", "use at least 1s"},
		{"--retention", "1h", "at least"},
	} {
		cmd := exec.Command(binary, "serve", tc.flag, tc.value)
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.flag) || !strings.Contains(string(out), tc.says) {
			t.Errorf("serve %s %s: %v %s", tc.flag, tc.value, err, out)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and many readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestFilterTestCommand(t *testing.T) {
	run := func(args ...string) (int, string) {
		out, err := exec.Command(binary, append([]string{"filter", "test"}, args...)...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		return 0, string(out)
	}
	pattern := `{"data":{"total":[{"numeric":[">",100]}]}}`
	if code, out := run("--pattern", pattern, "--event", `{"type":"a","data":{"total":150}}`); code != 0 || !strings.Contains(out, "match") {
		t.Fatalf("match: exit %d %s", code, out)
	}
	if code, out := run("--pattern", pattern, "--event", `{"type":"a","data":{"total":50}}`); code != 1 || !strings.Contains(out, "no match") {
		t.Fatalf("no match: exit %d %s", code, out)
	}
	if code, out := run("--pattern", `{"data":{"total":[{"numeric":[">"]}]}}`, "--event", `{}`); code != 2 || !strings.Contains(out, "$.data.total") {
		t.Fatalf("bad pattern: exit %d %s", code, out)
	}
}
