package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// apiClient speaks to the gateway's REST API with keep-alive connections.
type apiClient struct {
	base, key string
	http      *http.Client
}

func newAPIClient(base, key string, conns int) *apiClient {
	transport := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &apiClient{base: base, key: key, http: &http.Client{Transport: transport, Timeout: 2 * time.Minute}}
}

// apiError is an answer outside 2xx.
type apiError struct {
	Status int
	Body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

// call sends body (JSON, or nothing) and returns the answer's body when
// its status is 2xx.
func (c *apiClient) call(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, &apiError{Status: resp.StatusCode, Body: string(bytes.TrimSpace(answer))}
	}
	return answer, nil
}

// subscription is what the bench asks the gateway to deliver to the receiver.
type subscription struct {
	label  string // the receiver path, which tallies it
	query  string // e.g. "?delay=2s"
	filter map[string]any
	paused bool
}

// bench subscriptions retry quickly: a failure shows as a delay, not a stall.
var benchRetry = map[string]any{"min_backoff": "200ms", "max_backoff": "2s"}

func (c *apiClient) subscribe(ctx context.Context, receiverURL string, s subscription, maxConcurrency int) (string, error) {
	spec := map[string]any{
		"name":            "bench " + s.label,
		"channel":         map[string]any{"type": "webhook", "url": receiverURL + "/" + s.label + s.query},
		"retry_policy":    benchRetry,
		"max_concurrency": maxConcurrency,
	}
	if s.filter != nil {
		spec["filter"] = s.filter
	}
	body, _ := json.Marshal(spec)
	answer, err := c.call(ctx, http.MethodPost, "/v1/subscriptions", body)
	if err != nil {
		return "", fmt.Errorf("create subscription: %w", err)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(answer, &created); err != nil {
		return "", err
	}
	if s.paused {
		return created.ID, c.setPaused(ctx, created.ID, true)
	}
	return created.ID, nil
}

func (c *apiClient) setPaused(ctx context.Context, id string, paused bool) error {
	action := "/resume"
	if paused {
		action = "/pause"
	}
	_, err := c.call(ctx, http.MethodPost, "/v1/subscriptions/"+id+action, nil)
	return err
}

func (c *apiClient) deleteSubscription(ctx context.Context, id string) error {
	_, err := c.call(ctx, http.MethodDelete, "/v1/subscriptions/"+id, nil)
	return err
}

var (
	idField    = []byte(`"id":`)
	errorField = []byte(`"error":`)
)

// publish posts events (one, or a batch) and counts how many the gateway
// acknowledged and how many it refused. Counting fields instead of
// decoding keeps the load generator cheap.
func (c *apiClient) publish(ctx context.Context, body []byte, batch bool) (acked, refused int, err error) {
	path := "/v1/events"
	if batch {
		path = "/v1/events/batch"
	}
	answer, err := c.call(ctx, http.MethodPost, path, body)
	if err != nil {
		return 0, 0, err
	}
	if !batch {
		return 1, 0, nil
	}
	// An entry is {"id": ...} or {"error": {problem}}, and problems carry no id.
	return bytes.Count(answer, idField), bytes.Count(answer, errorField), nil
}
