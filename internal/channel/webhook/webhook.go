// Package webhook delivers messages as signed HTTPS POSTs that follow the
// Standard Webhooks specification.
package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/eventgate/eventgate/internal/channel"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/netguard"
	"github.com/eventgate/eventgate/internal/sign"
)

// UserAgent identifies eventgate to receivers.
const UserAgent = "eventgate/1"

// drainLimit is how much of a long answer is read past the excerpt so the
// connection can be reused; anything longer closes the connection.
const drainLimit = 64 << 10

// Sender posts messages to webhook URLs.
type Sender struct {
	client *http.Client
	now    func() time.Time
}

// New returns a sender whose connections pass the guard.
func New(guard netguard.Guard) *Sender {
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           guard.Dialer().DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1000,
		MaxIdleConnsPerHost:   100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: event.MaxTimeout,
	}
	return &Sender{
		client: &http.Client{
			Transport: transport,
			// A webhook endpoint answers itself; following a redirect would
			// send the signed payload to a place nobody configured.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now: time.Now,
	}
}

// Send posts one message and reports what came of it.
func (s *Sender) Send(ctx context.Context, m *channel.Message) channel.Result {
	sub := m.Subscription
	keys, err := signingKeys(sub, s.now())
	if err != nil {
		return channel.Result{Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, sub.Channel.Timeout.D())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Channel.URL, bytes.NewReader(m.Body))
	if err != nil {
		return channel.Result{Err: err}
	}
	for name, value := range sub.Channel.Headers {
		req.Header.Set(name, value)
	}
	id, ts, sig := sign.Headers(keys, m.EventID, s.now(), m.Body)
	req.Header.Set("Content-Type", m.ContentType)
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Webhook-Id", id)
	req.Header.Set("Webhook-Timestamp", ts)
	req.Header.Set("Webhook-Signature", sig)

	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return channel.Result{Err: err, Latency: time.Since(start)}
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, event.MaxResponseExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	r := channel.Result{
		OK:           resp.StatusCode >= 200 && resp.StatusCode < 300,
		StatusCode:   resp.StatusCode,
		ResponseBody: string(excerpt),
		Latency:      time.Since(start),
		Gone:         resp.StatusCode == http.StatusGone,
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		r.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), s.now())
	}
	if !r.OK {
		r.Err = fmt.Errorf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return r
}

func signingKeys(sub *event.Subscription, now time.Time) ([]sign.Key, error) {
	secrets := sub.SigningSecrets(now)
	keys := make([]sign.Key, 0, len(secrets))
	for _, s := range secrets {
		k, err := sign.ParseSecret(s)
		if err != nil {
			return nil, fmt.Errorf("subscription %s: %w", sub.ID, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("subscription %s has no active signing secret", sub.ID)
	}
	return keys, nil
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
