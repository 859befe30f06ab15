package main_test

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/sign"
)

// startListen runs `eventgate listen` with env and returns its URL. The
// command gets no --addr: where it listens comes from the environment.
func startListen(t *testing.T, env ...string) string {
	t.Helper()
	cmd := exec.Command(binary, "listen", "--secret", listenSecret)
	cmd.Env = append(os.Environ(), env...)
	pipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(pipe)
	if !sc.Scan() {
		t.Fatalf("listen printed nothing: %v", sc.Err())
	}
	m := regexp.MustCompile(`on (http://\S+/)`).FindStringSubmatch(sc.Text())
	if m == nil {
		t.Fatalf("listen said %q", sc.Text())
	}
	go func() { // keep the pipe drained
		for sc.Scan() {
		}
	}()
	return m[1]
}

const listenSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestListenVerifiesAndRefusesBadSignatures: eventgate listen takes its
// address from EVENTGATE_LISTEN_ADDR, not the gateway's EVENTGATE_ADDR,
// answers 2xx to a valid signature and 401 to an invalid one.
func TestListenVerifiesAndRefusesBadSignatures(t *testing.T) {
	url := startListen(t, "EVENTGATE_ADDR=127.0.0.1:1", "EVENTGATE_LISTEN_ADDR=127.0.0.1:0")
	if strings.Contains(url, ":1/") {
		t.Fatalf("listen took the gateway's EVENTGATE_ADDR: %s", url)
	}
	key, err := sign.ParseSecret(listenSecret)
	if err != nil {
		t.Fatal(err)
	}
	send := func(signature string) int {
		body := `{"type":"order.created"}`
		req, _ := http.NewRequest("POST", url+"hook", strings.NewReader(body))
		now := time.Now()
		id, ts, sig := sign.Headers([]sign.Key{key}, "evt_1", now, []byte(body))
		if signature != "" {
			sig = signature
		}
		req.Header.Set("Webhook-Id", id)
		req.Header.Set("Webhook-Timestamp", ts)
		req.Header.Set("Webhook-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := send(""); code != http.StatusNoContent {
		t.Fatalf("a valid signature got %d, want 204", code)
	}
	if code := send("v1,bm90IHRoZSBzaWduYXR1cmUgb2YgdGhpcyBib2R5IGF0IGFsbCE="); code != http.StatusUnauthorized {
		t.Fatalf("an invalid signature got %d, want 401", code)
	}
}
