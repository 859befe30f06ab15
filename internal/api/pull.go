package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/store"
)

type pullRequest struct {
	MaxMessages *int           `json:"max_messages"`
	Wait        event.Duration `json:"wait"`
}

type receiptsRequest struct {
	Receipts []string       `json:"receipts"`
	Delay    event.Duration `json:"delay"` // nack only
}

func (s *Server) pull(w http.ResponseWriter, r *http.Request) {
	var req pullRequest
	if r.ContentLength != 0 { // every field has a default: no body is {}
		if err := decode(w, r, MaxBody, &req); err != nil {
			fail(w, r, err)
			return
		}
	}
	msgs, err := s.g.Pull(r.Context(), caller(r), r.PathValue("id"), gateway.PullRequest{MaxMessages: req.MaxMessages, Wait: req.Wait.D()})
	if err != nil {
		fail(w, r, err)
		return
	}
	writeMessages(w, msgs)
}

// writeMessages writes a pull's answer as writeJSON would, but with each
// payload's bytes as they are: the gateway made sure they are JSON, and
// encoding/json would check and compact every payload again, a tenth of
// a drain's CPU.
func writeMessages(w http.ResponseWriter, msgs []*gateway.Message) {
	size := 16
	for _, m := range msgs {
		size += len(m.Payload) + 160
	}
	buf := make([]byte, 0, size)
	buf = append(buf, `{"data":[`...)
	for i, m := range msgs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(append(buf, `{"receipt":`...), m.Receipt)
		buf = appendJSONString(append(buf, `,"delivery_id":`...), m.DeliveryID)
		buf = appendJSONString(append(buf, `,"event_id":`...), m.EventID)
		buf = strconv.AppendInt(append(buf, `,"attempt":`...), int64(m.Attempt), 10)
		buf = append(append(append(buf, `,"payload":`...), m.Payload...), '}')
	}
	buf = append(buf, "]}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf)
}

func appendJSONString(buf []byte, s string) []byte {
	quoted, _ := json.Marshal(s) // a string always encodes
	return append(buf, quoted...)
}

func (s *Server) ack(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Receipts []string `json:"receipts"`
	}
	if err := decode(w, r, MaxBody, &req); err != nil {
		fail(w, r, err)
		return
	}
	statuses, err := s.g.Ack(r.Context(), caller(r), r.PathValue("id"), req.Receipts)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": statuses})
}

func (s *Server) nack(w http.ResponseWriter, r *http.Request) {
	var req receiptsRequest
	if err := decode(w, r, MaxBody, &req); err != nil {
		fail(w, r, err)
		return
	}
	statuses, err := s.g.Nack(r.Context(), caller(r), r.PathValue("id"), req.Receipts, req.Delay.D())
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": statuses})
}

// streamKeepAlive is how often a quiet stream sends a comment, so that
// proxies and load balancers keep the connection open.
var streamKeepAlive = 15 * time.Second

// streamWriteTimeout bounds one write of a stream to a client that reads
// nothing.
const streamWriteTimeout = time.Minute

// streamBatch bounds the messages one lease of a stream takes.
const streamBatch = 100

// stream sends a pull subscription's messages as Server-Sent Events: id
// the delivery id, data the payload. Its messages are leased under one
// token, announced first in a "lease" event: a message's receipt, for
// /ack and /nack, is its id, a dot, and that token. With auto_ack=true
// each message is acknowledged once written (at most once). When the
// connection breaks, what it leased and was not acknowledged is handed
// back (a failed attempt) at once, so a reconnect resumes with it.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	autoAck := r.URL.Query().Get("auto_ack") == "true"
	if v := r.URL.Query().Get("auto_ack"); v != "" && v != "true" && v != "false" {
		fail(w, r, newProblem(http.StatusBadRequest, "bad-parameter", "auto_ack must be true or false, not "+v+"."))
		return
	}
	who, id, lease := caller(r), r.PathValue("id"), store.NewLeaseToken()
	limit := streamBatch
	// The first pull answers refusals (404, 409) as problems, before the stream starts.
	msgs, err := s.g.Pull(r.Context(), who, id, gateway.PullRequest{MaxMessages: &limit, Lease: lease})
	if err != nil {
		fail(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	// The server's read and write timeouts are for requests, not for a
	// stream: no read deadline, and each write gets its own.
	_ = rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	var written []string // receipts written, the last maxHandBack, unless auto-acknowledged
	defer func() { s.handBack(who, id, written) }()
	_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	fmt.Fprintf(w, "event: lease\ndata: {\"lease\": %q}\n\n", lease)
	for {
		var frames strings.Builder
		for _, m := range msgs {
			frames.WriteString("id: " + m.DeliveryID + "\n")
			writeData(&frames, m.Payload)
		}
		if len(msgs) == 0 {
			frames.WriteString(": keep-alive\n\n")
		}
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := w.Write([]byte(frames.String())); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		receipts := make([]string, len(msgs))
		for i, m := range msgs {
			receipts[i] = m.Receipt
		}
		switch {
		case autoAck && len(msgs) > 0:
			if _, err := s.g.Ack(r.Context(), who, id, receipts); err != nil {
				slog.Error("acknowledging streamed messages failed; they come back after the visibility timeout", "subscription", id, "err", err)
				return
			}
		case !autoAck:
			written = append(written, receipts...)
			if over := len(written) - maxHandBack; over > 0 {
				written = append(written[:0], written[over:]...)
			}
		}
		msgs, err = s.g.Pull(r.Context(), who, id, gateway.PullRequest{MaxMessages: &limit, Wait: streamKeepAlive, Lease: lease})
		if err != nil {
			if r.Context().Err() == nil {
				problem, _ := json.Marshal(problemFor(r, err))
				fmt.Fprintf(w, "event: error\ndata: %s\n\n", problem)
			}
			return
		}
	}
}

// writeData writes a payload as the data lines of one event.
func writeData(b *strings.Builder, payload []byte) {
	for line := range strings.SplitSeq(string(payload), "\n") {
		b.WriteString("data: " + line + "\n")
	}
	b.WriteString("\n")
}

// maxHandBack bounds the receipts a stream remembers to hand back when it
// breaks; older ones have been acknowledged, or their lease ran out, by then.
const maxHandBack = 10_000

// handBack makes what a broken stream leased and was not acknowledged
// visible again; receipts acknowledged through /ack meanwhile are stale
// and left alone.
func (s *Server) handBack(who auth.Principal, id string, receipts []string) {
	if len(receipts) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for start := 0; start < len(receipts); start += gateway.MaxReceipts {
		chunk := receipts[start:min(start+gateway.MaxReceipts, len(receipts))]
		if _, err := s.g.Nack(ctx, who, id, chunk, 0); err != nil {
			slog.Error("handing back a broken stream's messages failed; they come back after the visibility timeout", "subscription", id, "err", err)
		}
	}
}
