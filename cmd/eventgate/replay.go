package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/eventgate/eventgate/internal/event"
)

// replayCmd starts a replay through the API and shows its progress until
// its deliveries are done. Interrupting it leaves the replay running.
func replayCmd(args []string) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	api := fs.String("url", "http://127.0.0.1:8080", "the gateway's API base URL")
	key := fs.String("key", "", "an admin key, or a partner key for its own subscriptions (or set EVENTGATE_REPLAY_KEY)")
	sub := fs.String("subscription", "", "the subscription to replay into (sub_...)")
	from := fs.String("from", "", "start of the window, RFC 3339 (2026-01-02T15:04:05Z): events received at or after it")
	to := fs.String("to", "", "end of the window, RFC 3339: events received before it (default: now)")
	types := fs.String("event-types", "", "comma-separated event type globs that narrow the subscription's filter")
	pattern := fs.String("pattern", "", "an event pattern (JSON) that narrows the subscription's filter")
	poll := fs.Duration("poll", 500*time.Millisecond, "how often progress is read")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	req := map[string]any{"subscription_id": *sub, "from": *from, "to": *to}
	if *to == "" {
		req["to"] = time.Now().UTC().Format(time.RFC3339Nano)
	}
	if *types != "" {
		req["event_types"] = strings.Split(*types, ",")
	}
	if *pattern != "" {
		req["pattern"] = json.RawMessage(*pattern)
	}
	c := apiClient{base: strings.TrimSuffix(*api, "/"), key: *key}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var r event.Replay
	if err := c.call(ctx, "POST", "/v1/replays", req, &r); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "replay %s started; GET /v1/replays/%s shows it, DELETE cancels it\n", r.ID, r.ID)
	bar := progressbar.NewOptions64(-1, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(false), progressbar.OptionFullWidth())
	for {
		bar.Describe(fmt.Sprintf("%s: %d matched, %d delivered, %d waiting", r.Status, r.Matched, r.Delivered, r.Pending))
		if r.Created > 0 {
			bar.ChangeMax64(r.Created)
		}
		_ = bar.Set64(r.Delivered)
		if r.Status != event.ReplayRunning && r.Pending == 0 {
			_ = bar.Finish()
			fmt.Fprintf(os.Stderr, "\nreplay %s %s: %d events matched, %d delivered, %d could not be (see GET /v1/deliveries?status=dead)\n",
				r.ID, r.Status, r.Matched, r.Delivered, r.Created-r.Delivered)
			return nil
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(os.Stderr, "\nstopped watching; replay %s keeps running (cancel it with DELETE /v1/replays/%s)\n", r.ID, r.ID)
			return nil
		case <-time.After(*poll):
		}
		if err := c.call(ctx, "GET", "/v1/replays/"+r.ID, nil, &r); err != nil && ctx.Err() == nil {
			return err
		}
	}
}

// apiClient is the command line's plain HTTP client of the API.
type apiClient struct{ base, key string }

// call sends body as JSON and decodes the answer into out; an error answer
// becomes an error carrying the problem's detail.
func (c apiClient) call(ctx context.Context, method, path string, body, out any) error {
	var payload io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		payload = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, payload)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var problem struct {
			Detail string `json:"detail"`
		}
		if json.Unmarshal(answer, &problem) != nil || problem.Detail == "" {
			return fmt.Errorf("%s %s: %s", method, path, resp.Status)
		}
		return errors.New(problem.Detail)
	}
	return json.Unmarshal(answer, out)
}
