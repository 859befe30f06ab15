package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/api"
)

type pulled struct {
	Data []struct {
		Receipt    string          `json:"receipt"`
		DeliveryID string          `json:"delivery_id"`
		EventID    string          `json:"event_id"`
		Attempt    int             `json:"attempt"`
		Payload    json.RawMessage `json:"payload"`
	} `json:"data"`
}

type receiptStatuses struct {
	Data []struct{ Receipt, Status string } `json:"data"`
}

// pullSubscription creates a pull subscription; extra fields are merged in.
func (e *env) pullSubscription(extra map[string]any) string {
	e.t.Helper()
	body := map[string]any{"name": "pulled", "channel": map[string]any{"type": "pull", "visibility_timeout": "30s"}}
	for k, v := range extra {
		body[k] = v
	}
	var s subscription
	e.must(http.StatusCreated, "POST", "/v1/subscriptions", body, &s)
	return s.ID
}

// TestPullOverHTTP: the contract of pull, ack and nack, with its problems.
func TestPullOverHTTP(t *testing.T) {
	e := newEnv(t)
	sub := e.pullSubscription(map[string]any{"payload_format": "data"})
	evt := e.publish("order.created", `{"n": 1}`)

	var got pulled
	e.must(http.StatusOK, "POST", "/v1/subscriptions/"+sub+"/pull", `{"max_messages": 5, "wait": "1s"}`, &got)
	if len(got.Data) != 1 || got.Data[0].EventID != evt || got.Data[0].Attempt != 1 || string(got.Data[0].Payload) != `{"n":1}` {
		t.Fatalf("pulled %+v, want event %s's data on attempt 1", got, evt)
	}
	m := got.Data[0]
	e.must(http.StatusOK, "POST", "/v1/subscriptions/"+sub+"/pull", nil, &got) // no body: the defaults
	if len(got.Data) != 0 {
		t.Fatalf("a leased message was pulled again: %+v", got)
	}

	for _, bad := range []struct{ path, body, field string }{
		{"pull", `{"max_messages": 0}`, "max_messages"},
		{"pull", `{"max_messages": 1001}`, "max_messages"},
		{"pull", `{"wait": "21s"}`, "wait"},
		{"ack", `{"receipts": []}`, "receipts"},
		{"ack", `{"receipts": ["` + m.DeliveryID + `"]}`, "receipts[0]"},
		{"nack", `{"receipts": ["` + m.Receipt + `"], "delay": "-1s"}`, "delay"},
	} {
		code, h, b := e.do("POST", "/v1/subscriptions/"+sub+"/"+bad.path, bad.body)
		if code != http.StatusUnprocessableEntity || h.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(b), `"field":"`+bad.field+`"`) {
			t.Fatalf("%s %s = %d %s, want a 422 problem naming %s", bad.path, bad.body, code, b, bad.field)
		}
	}
	if code, _, b := e.do("POST", "/v1/subscriptions/"+sub+"/pull", `{"wait": 5}`); code != http.StatusBadRequest {
		t.Fatalf("wait as a number = %d %s, want 400", code, b)
	}
	hook := e.subscribe("https://example.com/hook", nil)
	code, h, b := e.do("POST", "/v1/subscriptions/"+hook.ID+"/pull", nil)
	if code != http.StatusConflict || h.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(b), `delivers over webhook, so it cannot be pulled`) {
		t.Fatalf("pulling a webhook subscription = %d %s, want a 409 problem saying how to make a pull one", code, b)
	}

	var acked receiptStatuses
	e.must(http.StatusOK, "POST", "/v1/subscriptions/"+sub+"/ack", map[string]any{"receipts": []string{m.Receipt, m.Receipt}}, &acked)
	if len(acked.Data) != 2 || acked.Data[0].Status != "acked" || acked.Data[1].Status != "stale" || acked.Data[0].Receipt != m.Receipt {
		t.Fatalf("ack = %+v, want acked then stale (acked already)", acked)
	}
	if d := e.waitStatus(evt, "succeeded"); d.AttemptCount != 1 || len(d.Attempts) != 1 {
		t.Fatalf("acked delivery %+v, want one attempt", d)
	}

	evt = e.publish("order.created", `{"n": 2}`)
	e.must(http.StatusOK, "POST", "/v1/subscriptions/"+sub+"/pull", `{"wait": "5s"}`, &got)
	e.must(http.StatusOK, "POST", "/v1/subscriptions/"+sub+"/nack", map[string]any{"receipts": []string{got.Data[0].Receipt}}, &acked)
	if acked.Data[0].Status != "nacked" {
		t.Fatalf("nack = %+v", acked)
	}
	e.must(http.StatusOK, "POST", "/v1/subscriptions/"+sub+"/pull", `{"wait": "5s"}`, &got)
	if len(got.Data) != 1 || got.Data[0].EventID != evt || got.Data[0].Attempt != 2 {
		t.Fatalf("after a nack pulled %+v, want event %s on attempt 2", got, evt)
	}
}

// sse reads Server-Sent Events from a stream.
type sse struct {
	r      *bufio.Reader
	cancel context.CancelFunc
}

type sseEvent struct{ event, id, data, comment string }

func (e *env) openStream(path string, headers ...string) *sse {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		e.t.Fatalf("GET %s = %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sse{r: bufio.NewReader(resp.Body), cancel: cancel}
	e.t.Cleanup(cancel)
	return s
}

// next reads one event, or one comment.
func (s *sse) next(t *testing.T) sseEvent {
	t.Helper()
	var ev sseEvent
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev != (sseEvent{}) {
				return ev
			}
		case strings.HasPrefix(line, ":"):
			ev.comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "event: "):
			ev.event = line[len("event: "):]
		case strings.HasPrefix(line, "id: "):
			ev.id = line[len("id: "):]
		case strings.HasPrefix(line, "data: "):
			if ev.data != "" {
				ev.data += "\n"
			}
			ev.data += line[len("data: "):]
		}
	}
}

// nextMessage skips keep-alives to the next message.
func (s *sse) nextMessage(t *testing.T) sseEvent {
	t.Helper()
	for {
		if ev := s.next(t); ev.id != "" {
			return ev
		}
	}
}

func (s *sse) lease(t *testing.T) string {
	t.Helper()
	ev := s.next(t)
	var l struct{ Lease string }
	if ev.event != "lease" || json.Unmarshal([]byte(ev.data), &l) != nil || l.Lease == "" {
		t.Fatalf("first event %+v, want the stream's lease", ev)
	}
	return l.Lease
}

// TestStream: messages arrive as events (id the delivery id, data the
// payload) acked through /ack with the lease; quiet streams send
// keep-alives; a broken stream's unacked messages come back at once to
// the reconnect; auto_ack acks on write.
func TestStream(t *testing.T) {
	defer api.SetStreamKeepAlive(50 * time.Millisecond)()
	e := newEnv(t)
	sub := e.pullSubscription(map[string]any{"channel": map[string]any{"type": "pull", "visibility_timeout": "12h"}})
	stream := e.openStream("/v1/subscriptions/" + sub + "/stream")
	lease := stream.lease(t)
	if ev := stream.next(t); ev.comment != "keep-alive" {
		t.Fatalf("a quiet stream sent %+v, want a keep-alive comment", ev)
	}
	first := e.publish("order.created", `{"n": 1}`)
	ev := stream.nextMessage(t)
	d := e.deliveries("event_id=" + first)[0]
	var payload struct{ ID string }
	if ev.id != d.ID || json.Unmarshal([]byte(ev.data), &payload) != nil || payload.ID != first {
		t.Fatalf("event %+v, want id %s and the envelope of %s", ev, d.ID, first)
	}
	var acked receiptStatuses
	e.must(http.StatusOK, "POST", "/v1/subscriptions/"+sub+"/ack", map[string]any{"receipts": []string{ev.id + "." + lease}}, &acked)
	if acked.Data[0].Status != "acked" {
		t.Fatalf("ack of a streamed message = %+v", acked)
	}

	second := e.publish("order.created", `{"n": 2}`)
	ev = stream.nextMessage(t)
	stream.cancel() // broken before the ack: with a visibility timeout of 12 h, only the hand-back brings it back
	again := e.openStream("/v1/subscriptions/"+sub+"/stream", "Last-Event-ID", ev.id)
	again.lease(t)
	if ev2 := again.nextMessage(t); ev2.id != ev.id {
		t.Fatalf("the reconnect got %+v, want %s again", ev2, ev.id)
	}
	again.cancel()

	auto := e.openStream("/v1/subscriptions/" + sub + "/stream?auto_ack=true")
	auto.lease(t)
	auto.nextMessage(t) // the second event, handed back again
	e.waitStatus(second, "succeeded")
	e.waitStatus(first, "succeeded")
}
