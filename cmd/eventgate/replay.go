package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/eventgate/eventgate/pkg/client"
)

// replayCmd starts a replay through the API and shows its progress until
// its deliveries are done. Interrupting it leaves the replay running.
func replayCmd(args []string) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	start := remote(fs)
	sub := fs.String("subscription", "", "the subscription to replay into (sub_...)")
	from := fs.String("from", "", "start of the window, RFC 3339 (2026-01-02T15:04:05Z): events received at or after it")
	to := fs.String("to", "", "end of the window, RFC 3339: events received before it (default: now)")
	types := fs.String("event-types", "", "comma-separated event type globs that narrow the subscription's filter")
	pattern := fs.String("pattern", "", "an event pattern (JSON) that narrows the subscription's filter")
	poll := fs.Duration("poll", 500*time.Millisecond, "how often progress is read")
	ctx, c, stop, err := start(args)
	if err != nil {
		return err
	}
	defer stop()
	in := client.ReplayInput{SubscriptionID: *sub, To: time.Now().UTC()}
	if in.From, err = time.Parse(time.RFC3339Nano, *from); err != nil {
		return fmt.Errorf("--from must be an RFC 3339 time such as 2026-01-02T15:04:05Z: %w", err)
	}
	if *to != "" {
		if in.To, err = time.Parse(time.RFC3339Nano, *to); err != nil {
			return fmt.Errorf("--to must be an RFC 3339 time such as 2026-01-02T15:04:05Z: %w", err)
		}
	}
	if *types != "" {
		in.EventTypes = strings.Split(*types, ",")
	}
	if *pattern != "" {
		in.Pattern = json.RawMessage(*pattern)
	}
	r, err := c.CreateReplay(ctx, in)
	if err != nil {
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
		if !r.Running() {
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
		if r, err = c.GetReplay(ctx, r.ID); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}
