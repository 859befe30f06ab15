package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/api"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

const adminKey = "eg_adm_test-key-0123456789"

// env is a real gateway on a temporary SQLite store, served over HTTP.
type env struct {
	t   *testing.T
	g   *gateway.Gateway
	st  store.Store // for what the API does not show, such as stored secrets
	srv *httptest.Server
	api *api.Server
}

func newEnv(t *testing.T, mutate ...func(*gateway.Config)) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := gateway.Config{AdminKey: adminKey, AllowPrivateTargets: true, SingleNode: true, PollInterval: 20 * time.Millisecond}
	for _, m := range mutate {
		m(&cfg)
	}
	g, err := gateway.Start(context.Background(), st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := api.New(g)
	srv := httptest.NewServer(a)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		g.Shutdown(ctx)
		st.Close()
	})
	return &env{t: t, g: g, st: st, srv: srv, api: a}
}

// do sends a request with the admin key; body may be a string (sent as
// is) or a value (sent as JSON). Headers come in name, value pairs.
func (e *env) do(method, path string, body any, headers ...string) (int, http.Header, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	e.checkAnswer(method, path, resp.StatusCode, resp.Header, out)
	return resp.StatusCode, resp.Header, out
}

// must sends a request that must answer status, and decodes the answer into out.
func (e *env) must(status int, method, path string, body any, out any) {
	e.t.Helper()
	code, _, b := e.do(method, path, body)
	if code != status {
		e.t.Fatalf("%s %s = %d, want %d: %s", method, path, code, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decoding %s: %v", method, path, b, err)
		}
	}
}

type subscription struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
	Status string `json:"status"`
}

// subscribe creates a webhook subscription to url; extra fields are merged in.
func (e *env) subscribe(url string, extra map[string]any) subscription {
	e.t.Helper()
	body := map[string]any{"name": "test", "channel": map[string]any{"type": "webhook", "url": url}}
	for k, v := range extra {
		body[k] = v
	}
	var s subscription
	e.must(http.StatusCreated, "POST", "/v1/subscriptions", body, &s)
	return s
}

func (e *env) publish(typ string, data string) string {
	e.t.Helper()
	var out struct{ ID string }
	e.must(http.StatusAccepted, "POST", "/v1/events", `{"type":"`+typ+`","data":`+data+`}`, &out)
	return out.ID
}

type delivery struct {
	ID             string `json:"id"`
	SubscriptionID string `json:"subscription_id"`
	Status         string `json:"status"`
	AttemptCount   int    `json:"attempt_count"`
	LastError      string `json:"last_error"`
	Attempts       []struct {
		StatusCode   int     `json:"status_code"`
		Error        string  `json:"error"`
		ResponseBody string  `json:"response_body"`
		LatencyMs    float64 `json:"latency_ms"`
		At           time.Time
	} `json:"attempts"`
}

func (e *env) deliveries(query string) []delivery {
	e.t.Helper()
	var page struct{ Data []delivery }
	e.must(http.StatusOK, "GET", "/v1/deliveries?"+query, nil, &page)
	return page.Data
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitStatus waits until the event's only delivery reaches status.
func (e *env) waitStatus(eventID, status string) delivery {
	e.t.Helper()
	var d delivery
	waitFor(e.t, "delivery of "+eventID+" to be "+status, func() bool {
		ds := e.deliveries("event_id=" + eventID)
		if len(ds) == 1 && ds[0].Status == status {
			d = ds[0]
			return true
		}
		return false
	})
	e.must(http.StatusOK, "GET", "/v1/deliveries/"+d.ID, nil, &d)
	return d
}

// waitAllSucceeded waits until the store lists want deliveries for query,
// all succeeded. Deliveries are stored with their event, before the 202:
// once all succeeded, nothing more can be on its way.
func (e *env) waitAllSucceeded(query string, want int) {
	e.t.Helper()
	waitFor(e.t, fmt.Sprintf("%d deliveries (%s) to succeed", want, query), func() bool {
		ds := e.deliveries(query)
		return len(ds) == want && !slices.ContainsFunc(ds, func(d delivery) bool { return d.Status != "succeeded" })
	})
}

// receiver is a real HTTP server that records webhooks.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	respond func(w http.ResponseWriter, r *http.Request, n int) // n: requests so far, from 1
}

type received struct {
	Header http.Header
	Body   []byte
	At     time.Time
}

func newReceiver(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int)) *receiver {
	rc := &receiver{respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{r.Header.Clone(), body, time.Now()})
		n := len(rc.got)
		rc.mu.Unlock()
		if rc.respond != nil {
			rc.respond(w, r, n)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}
