// Package channeltest is the conformance suite every channel kind passes,
// the way storetest serves every store: a real gateway on a sealed SQLite
// store, driven through its HTTP API, delivers to a real receiver that
// the kind's Harness runs.
package channeltest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/api"
	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/secret"
	"github.com/eventgate/eventgate/internal/store/sealed"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

// Harness is what a kind supplies: a receiver at the other end of its
// channel, which can be told to fail. A kind that pushes (webhook) runs
// a server and records what it accepts; a kind that does not (pull)
// takes deliveries from the gateway in Consume.
type Harness interface {
	// Channel is the channel object of a subscription that reaches the
	// receiver, e.g. {"type": "webhook", "url": ..., "auth": ...}.
	Channel() map[string]any
	// Secrets are the values of the channel's secret fields, which must
	// never leave the gateway nor be stored in clear; none for a kind
	// without secrets.
	Secrets() []string
	// FailNext makes the receiver refuse the next n deliveries with a
	// failure worth retrying (a 503, a nack).
	FailNext(n int)
	// FailPermanently makes the receiver refuse every delivery from now on
	// with a failure not worth retrying (a 410 Gone; for a kind that
	// cannot tell, a refusal on every try).
	FailPermanently()
	// Accepted counts, by event id, the deliveries the receiver accepted.
	Accepted() map[string]int
	// Consume takes the subscription's deliveries from g until ctx ends,
	// for a kind that does not push; a kind that pushes returns at once.
	Consume(ctx context.Context, g *gateway.Gateway, subscriptionID string)
	// BadChannels are channel objects with one wrong setting each, by the
	// field a validation error must name ("channel.url").
	BadChannels() map[string]map[string]any
}

// Run runs the suite; newHarness makes a fresh receiver for each test.
// The tests change the default slog logger while they run, so a kind's
// test must not run them in parallel with others.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("DeliversExactlyOnceThroughTransientFailures", func(t *testing.T) { deliversExactlyOnce(t, newHarness(t)) })
	t.Run("ReportsAPermanentFailure", func(t *testing.T) { reportsPermanentFailure(t, newHarness(t)) })
	t.Run("ConfigErrorsNameTheField", func(t *testing.T) { configErrorsNameTheField(t, newHarness(t)) })
	t.Run("SecretsNeverLeave", func(t *testing.T) { secretsNeverLeave(t, newHarness(t)) })
}

const adminKey = "eg_adm_channeltest-key-0123456789"

// retryFast retries within the tests' patience: up to 5 tries, 100ms apart.
var retryFast = map[string]any{"max_attempts": 5, "min_backoff": "100ms", "max_backoff": "100ms"}

// env is a running gateway on a sealed SQLite store, served over HTTP,
// with its log captured.
type env struct {
	t       *testing.T
	dir     string
	g       *gateway.Gateway
	srv     *httptest.Server
	log     *lockedBuffer
	answers bytes.Buffer // every API answer, to search for secrets
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, dir: t.TempDir(), log: &lockedBuffer{}}
	previous := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.MultiWriter(e.log, os.Stderr), &slog.HandlerOptions{Level: slog.LevelDebug})))
	inner, err := sqlite.Open(context.Background(), e.dir)
	if err != nil {
		t.Fatal(err)
	}
	key, err := secret.CreateKeyFile(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	st := sealed.New(inner, box)
	e.g, err = gateway.Start(context.Background(), st, gateway.Config{AdminKey: adminKey, AllowPrivateTargets: true, SingleNode: true, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(api.New(e.g))
	t.Cleanup(func() {
		e.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		e.g.Shutdown(ctx)
		inner.Close()
		slog.SetDefault(previous)
	})
	return e
}

// call sends a request with the admin key and answers the status and body.
func (e *env) call(method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	e.answers.Write(out)
	return resp.StatusCode, out
}

// must sends a request that must answer status, and decodes the answer into out.
func (e *env) must(status int, method, path string, body, out any) {
	e.t.Helper()
	code, b := e.call(method, path, body)
	if code != status {
		e.t.Fatalf("%s %s = %d, want %d: %s", method, path, code, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decoding %s: %v", method, path, b, err)
		}
	}
}

// subscribe creates a subscription over h's channel, consumed by h while
// the test runs.
func (e *env) subscribe(h Harness) string {
	e.t.Helper()
	var sub struct{ ID string }
	e.must(http.StatusCreated, "POST", "/v1/subscriptions", map[string]any{"name": "conformance", "channel": h.Channel(), "retry_policy": retryFast}, &sub)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Consume(ctx, e.g, sub.ID) }()
	e.t.Cleanup(func() { cancel(); <-done })
	return sub.ID
}

func (e *env) publish(n int) []string {
	e.t.Helper()
	ids := make([]string, n)
	for i := range ids {
		var out struct{ ID string }
		e.must(http.StatusAccepted, "POST", "/v1/events", map[string]any{"type": "conformance.checked", "data": map[string]int{"n": i}}, &out)
		ids[i] = out.ID
	}
	return ids
}

type delivery struct {
	ID      string `json:"id"`
	EventID string `json:"event_id"`
	Status  string `json:"status"`
}

func (e *env) deliveries(subscriptionID string) []delivery {
	e.t.Helper()
	var page struct{ Data []delivery }
	e.must(http.StatusOK, "GET", "/v1/deliveries?subscription_id="+subscriptionID, nil, &page)
	return page.Data
}

// waitFor polls cond for up to 20 s: deliveries take their retries' time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func deliversExactlyOnce(t *testing.T, h Harness) {
	e := newEnv(t)
	sub := e.subscribe(h)
	h.FailNext(3)
	ids := e.publish(10)
	waitFor(t, "every delivery to succeed", func() bool {
		for _, d := range e.deliveries(sub) {
			if d.Status != "succeeded" {
				return false
			}
		}
		return len(ids) > 0
	})
	accepted := h.Accepted()
	for _, id := range ids {
		if accepted[id] != 1 {
			t.Errorf("event %s was accepted %d times, want exactly once", id, accepted[id])
		}
	}
	if len(accepted) != len(ids) {
		t.Errorf("the receiver accepted %d events, want %d", len(accepted), len(ids))
	}
}

func reportsPermanentFailure(t *testing.T, h Harness) {
	e := newEnv(t)
	sub := e.subscribe(h)
	h.FailPermanently()
	e.publish(1)
	waitFor(t, "the delivery to be dead", func() bool {
		ds := e.deliveries(sub)
		return len(ds) == 1 && ds[0].Status == "dead"
	})
	if n := len(h.Accepted()); n != 0 {
		t.Errorf("the receiver accepted %d events while failing permanently", n)
	}
}

func configErrorsNameTheField(t *testing.T, h Harness) {
	e := newEnv(t)
	bad := h.BadChannels()
	unknown := h.Channel()
	unknown["no_such_setting"] = true
	bad["channel.no_such_setting"] = unknown
	for field, channel := range bad {
		code, body := e.call("POST", "/v1/subscriptions", map[string]any{"name": "bad", "channel": channel})
		var p struct {
			Errors []struct{ Field string }
		}
		_ = json.Unmarshal(body, &p)
		if code < 400 || code >= 500 || len(p.Errors) == 0 || p.Errors[0].Field != field {
			t.Errorf("creating with %v = %d %s; want a problem naming %s", channel, code, body, field)
		}
	}
}

func secretsNeverLeave(t *testing.T, h Harness) {
	e := newEnv(t)
	sub := e.subscribe(h)
	h.FailNext(1) // a failed try logs and records its error
	e.publish(2)
	waitFor(t, "both deliveries to succeed", func() bool {
		ds := e.deliveries(sub)
		return len(ds) == 2 && ds[0].Status == "succeeded" && ds[1].Status == "succeeded"
	})
	var read map[string]any
	e.must(http.StatusOK, "GET", "/v1/subscriptions/"+sub, nil, &read)
	e.must(http.StatusOK, "GET", "/v1/subscriptions", nil, nil)
	// What a client read back keeps the stored secrets when sent back.
	e.must(http.StatusOK, "PATCH", "/v1/subscriptions/"+sub, map[string]any{"channel": read["channel"]}, nil)
	for _, d := range e.deliveries(sub) {
		e.must(http.StatusOK, "GET", "/v1/deliveries/"+d.ID, nil, nil)
	}
	h.FailNext(1)
	e.publish(1)
	waitFor(t, "the delivery after sending back the redacted channel to succeed", func() bool {
		ds := e.deliveries(sub)
		return len(ds) == 3 && ds[0].Status == "succeeded" && ds[1].Status == "succeeded" && ds[2].Status == "succeeded"
	})

	// Whatever logs a subscription, or its channel, as the gateway holds it.
	held, err := e.g.GetSubscription(context.Background(), auth.Admin, sub)
	if err != nil {
		t.Fatal(err)
	}
	slog.Info("channeltest: the subscription as held", "subscription", held, "channel", held.Channel)
	textLog := slog.New(slog.NewTextHandler(e.log, nil))
	textLog.Info("channeltest: the subscription as held, in text", "subscription", held, "channel", held.Channel)

	places := map[string][]byte{"API answers": e.answers.Bytes(), "the log": e.log.Bytes()}
	for _, name := range []string{sqlite.FileName, sqlite.FileName + "-wal"} {
		b, err := os.ReadFile(filepath.Join(e.dir, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		places["the database file "+name] = b
	}
	if len(e.log.Bytes()) == 0 {
		t.Fatal("nothing was logged: the log check would prove nothing")
	}
	for _, s := range h.Secrets() {
		for where, b := range places {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s hold the secret %q", where, s)
			}
		}
	}
}

// lockedBuffer is a log destination that goroutines share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
