package api_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
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
