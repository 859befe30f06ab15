package api_test

import (
	"bufio"
	"context"
	"github.com/eventgate/eventgate/internal/auth"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/source"
)

// TestUnknownIngestURLAnsweredBeforeTheBody: a request to an ingest URL
// that names no source is answered 404 without waiting for its body, so
// that unauthenticated connections cannot make the gateway hold buffers.
func TestUnknownIngestURLAnsweredBeforeTheBody(t *testing.T) {
	e := newEnv(t)
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Announce a body and send none of it.
	if _, err := conn.Write([]byte("POST /ingest/src_nothing HTTP/1.1\r\nHost: eventgate\r\nContent-Type: application/json\r\nContent-Length: 262144\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a hang fails instead of blocking the suite
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("%s; want 404 problem+json", resp.Status)
	}
}

// TestBodyBudgetCoversEveryBody: publishing, batches, ingest URLs and
// the other endpoints all read their bodies within the budget: with a
// budget too small for any, each is answered 503 with Retry-After.
func TestBodyBudgetCoversEveryBody(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) { c.MaxBodyMemory = 1 })
	// Made without a request body, which the budget would refuse.
	src := &source.Source{Name: "github", Verify: source.Verify{Type: "hmac", Secret: githubSecret, Header: "x-hub-signature-256", Prefix: "sha256="},
		EventType: source.Locator{Header: "x-github-event"}}
	if err := e.g.CreateSource(context.Background(), auth.Admin, src); err != nil {
		t.Fatal(err)
	}
	body := `{"type":"order.created","data":{}}`
	for _, c := range []struct{ path, body string }{
		{"/v1/events", body},
		{"/v1/events/batch", `{"events":[` + body + `]}`},
		{"/ingest/" + src.ID, body},
		{"/v1/subscriptions", `{"name":"x","channel":{"type":"webhook","url":"http://127.0.0.1:9/"}}`},
	} {
		code, h, answer := e.do("POST", c.path, c.body, githubHeaders(c.body, "push", "d-1")...)
		if code != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || !strings.Contains(string(answer), "--max-body-memory") {
			t.Errorf("%s with no body memory: %d, Retry-After %q, %s; want 503 with Retry-After", c.path, code, h.Get("Retry-After"), answer)
		}
	}
}
