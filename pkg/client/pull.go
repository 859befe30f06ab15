package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strings"
	"time"
)

// Message is one message pulled from a pull subscription: the payload a
// webhook of the subscription would carry, and the receipt that
// acknowledges it.
type Message struct {
	Receipt    string          `json:"receipt"`
	DeliveryID string          `json:"delivery_id"`
	EventID    string          `json:"event_id"`
	Attempt    int             `json:"attempt"`
	Payload    json.RawMessage `json:"payload"`
}

// ReceiptStatus says what an ack or nack did with one receipt: acked,
// nacked, or stale when its lease was gone.
type ReceiptStatus struct {
	Receipt string `json:"receipt"`
	Status  string `json:"status"`
}

// PullOptions bound a pull: at most MaxMessages (default 10, at most
// 1000), waiting up to Wait (at most 20s) for the first.
type PullOptions struct {
	MaxMessages int      `json:"max_messages,omitempty"`
	Wait        Duration `json:"wait,omitzero"`
}

// Pull leases a pull subscription's messages (a long poll); acknowledge
// each with Ack, or hand it back with Nack, before its visibility timeout.
func (c *Client) Pull(ctx context.Context, subscriptionID string, opts PullOptions) ([]Message, error) {
	var out struct{ Data []Message }
	_, err := c.do(ctx, request{method: http.MethodPost, path: pathOf(subscriptions, subscriptionID, "pull"), body: opts, want: http.StatusOK}, &out)
	return out.Data, err
}

// Ack marks pulled messages delivered.
func (c *Client) Ack(ctx context.Context, subscriptionID string, receipts ...string) ([]ReceiptStatus, error) {
	return c.receipts(ctx, subscriptionID, "ack", map[string]any{"receipts": receipts})
}

// Nack hands pulled messages back, visible again after delay; each counts
// as a failed try.
func (c *Client) Nack(ctx context.Context, subscriptionID string, delay time.Duration, receipts ...string) ([]ReceiptStatus, error) {
	return c.receipts(ctx, subscriptionID, "nack", map[string]any{"receipts": receipts, "delay": Duration(delay)})
}

func (c *Client) receipts(ctx context.Context, subscriptionID, action string, body any) ([]ReceiptStatus, error) {
	var out struct{ Data []ReceiptStatus }
	_, err := c.do(ctx, request{method: http.MethodPost, path: pathOf(subscriptions, subscriptionID, action), body: body, want: http.StatusOK}, &out)
	return out.Data, err
}

// Stream reads a pull subscription's messages as Server-Sent Events until
// ctx ends or the stream breaks (the error says why). Acknowledge each by
// its Receipt; with autoAck the gateway acknowledges a message once it is
// written (at most once). Messages left unacknowledged when the stream
// breaks come back at once to the next pull or stream.
func (c *Client) Stream(ctx context.Context, subscriptionID string, autoAck bool) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+pathOf(subscriptions, subscriptionID, "stream")+fmt.Sprintf("?auto_ack=%t", autoAck), nil)
		if err != nil {
			yield(Message{}, err)
			return
		}
		req.Header.Set("Authorization", "Bearer "+c.key)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := c.http.Do(req)
		if err != nil {
			yield(Message{}, err)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			yield(Message{}, answerError(resp, answer))
			return
		}
		var lease string
		for ev, err := range sseEvents(resp) {
			if err != nil {
				yield(Message{}, err)
				return
			}
			switch ev.name {
			case "lease":
				var l struct{ Lease string }
				if err := json.Unmarshal([]byte(ev.data), &l); err != nil {
					yield(Message{}, fmt.Errorf("eventgate: the stream's lease event %q: %w", ev.data, err))
					return
				}
				lease = l.Lease
			case "error": // the stream's end, said as a problem
				e := &Error{}
				if json.Unmarshal([]byte(ev.data), e) != nil {
					e.Detail = ev.data
				}
				yield(Message{}, e)
				return
			default:
				m := Message{DeliveryID: ev.id, Receipt: ev.id + "." + lease, Payload: json.RawMessage(ev.data)}
				if !yield(m, nil) {
					return
				}
			}
		}
	}
}

// sseEvent is one Server-Sent Event.
type sseEvent struct{ name, id, data string }

// sseEvents reads the events of a text/event-stream, skipping comments.
func sseEvents(resp *http.Response) iter.Seq2[sseEvent, error] {
	return func(yield func(sseEvent, error) bool) {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 64<<20)
		var ev sseEvent
		var data []string
		for sc.Scan() {
			line := sc.Text()
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch {
			case line == "":
				if len(data) > 0 || ev.name != "" {
					ev.data = strings.Join(data, "\n")
					if !yield(ev, nil) {
						return
					}
				}
				ev, data = sseEvent{}, nil
			case field == "": // a comment: keep-alive
			case field == "event":
				ev.name = value
			case field == "id":
				ev.id = value
			case field == "data":
				data = append(data, value)
			}
		}
		err := sc.Err()
		if err == nil {
			err = fmt.Errorf("eventgate: the stream ended")
		}
		yield(sseEvent{}, err)
	}
}
