// Package webhook delivers messages as signed HTTPS POSTs that follow the
// Standard Webhooks specification.
package webhook

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

// Options configure a Sender.
type Options struct {
	// Guard refuses private destinations when a connection is made.
	Guard netguard.Guard
	// Proxy, when set, carries every request (deliveries and OAuth2 token
	// requests), so that they leave from the proxy's fixed addresses. The
	// guard then sees only the proxy's address: beyond the URL check made
	// when a subscription is saved, filtering destinations is the proxy's job.
	Proxy *url.URL
	// RootCAs, when set, replaces the system's trusted roots (for tests).
	RootCAs *x509.CertPool
	// MaxConnsPerHost is how many deliveries the dispatcher lets be in
	// flight to one host, and so its connections (default
	// DefaultMaxConnsPerHost; see Destination).
	MaxConnsPerHost int
}

// Sender posts messages to webhook URLs.
type Sender struct {
	opts   Options
	shared *http.Client // for every subscription without a client certificate
	// mtls holds a client per subscription with a client certificate,
	// tokenCaches the OAuth2 tokens of each subscription that uses them.
	mtls        perSubscription[*http.Client]
	tokenCaches perSubscription[*tokenCache]
	now         func() time.Time
}

// New returns a sender configured by opts.
func New(opts Options) *Sender {
	if opts.MaxConnsPerHost <= 0 {
		opts.MaxConnsPerHost = DefaultMaxConnsPerHost
	}
	s := &Sender{opts: opts, now: time.Now}
	s.shared = s.newClient(nil)
	s.mtls.retire = (*http.Client).CloseIdleConnections
	return s
}

// Send posts one message and reports what came of it.
func (s *Sender) Send(ctx context.Context, m *channel.Message) channel.Result {
	sub := m.Subscription
	cfg := configOf(sub)
	if cfg == nil {
		return channel.Result{Err: fmt.Errorf("subscription %s has a %q channel, not a webhook", sub.ID, sub.Channel.Type)}
	}
	keys, err := signingKeys(sub, s.now())
	if err != nil {
		return channel.Result{Err: err}
	}
	client, err := s.clientFor(sub.ID, cfg.ClientCert)
	if err != nil {
		return channel.Result{Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout.D())
	defer cancel()

	start := time.Now()
	resp, err := s.post(ctx, client, m, cfg, keys)
	if err != nil {
		return channel.Result{Err: err, Latency: time.Since(start)}
	}
	defer drain(resp)
	r := channel.Result{
		OK:           resp.StatusCode >= 200 && resp.StatusCode < 300,
		StatusCode:   resp.StatusCode,
		ResponseBody: excerpt(resp),
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

// post sends the message. When the endpoint refuses a fetched OAuth2
// token (401), which it may have revoked before it expired, the token is
// dropped and the request made once more with a fresh one.
func (s *Sender) post(ctx context.Context, client *http.Client, m *channel.Message, cfg *Config, keys []sign.Key) (*http.Response, error) {
	resp, renew, err := s.postOnce(ctx, client, m, cfg, keys)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || renew == nil {
		return resp, err
	}
	drain(resp)
	renew()
	resp, _, err = s.postOnce(ctx, client, m, cfg, keys)
	return resp, err
}

func (s *Sender) postOnce(ctx context.Context, client *http.Client, m *channel.Message, cfg *Config, keys []sign.Key) (*http.Response, func(), error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(m.Body))
	if err != nil {
		return nil, nil, err
	}
	for name, value := range cfg.Headers {
		req.Header.Set(name, value)
	}
	id, ts, sig := sign.Headers(keys, m.EventID, s.now(), m.Body)
	// Set directly, canonical already, on one backing array: Header.Set
	// allocates a slice per header, on every delivery.
	values := [...]string{m.ContentType, UserAgent, id, ts, sig}
	req.Header["Content-Type"] = values[0:1:1]
	req.Header["User-Agent"] = values[1:2:2]
	req.Header["Webhook-Id"] = values[2:3:3]
	req.Header["Webhook-Timestamp"] = values[3:4:4]
	req.Header["Webhook-Signature"] = values[4:5:5]
	if m.TraceParent != "" {
		req.Header["Traceparent"] = []string{m.TraceParent}
	}
	renew, err := s.authorize(ctx, req, m.Subscription, cfg)
	if err != nil {
		return nil, nil, err
	}
	// Straight to the transport: the client's redirect loop and header
	// copies buy nothing, since redirects are not followed. Errors are
	// wrapped as the client would, naming the method and URL.
	resp, err := client.Transport.RoundTrip(req)
	if err != nil {
		err = &url.Error{Op: "Post", URL: cfg.URL, Err: err}
	}
	return resp, renew, err
}

// excerpt reads the start of the answer's body, kept in the attempt log.
func excerpt(resp *http.Response) string {
	if resp.Body == http.NoBody { // 204, or Content-Length: 0
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, event.MaxResponseExcerpt))
	return string(b)
}

// drain reads what is left of a short answer, so that the connection can
// be reused, and closes it.
func drain(resp *http.Response) {
	if resp.Body != http.NoBody {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	}
	resp.Body.Close()
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
