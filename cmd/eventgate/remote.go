package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/eventgate/eventgate/pkg/client"
)

// The commands in this file talk to a running gateway through pkg/client.

// remote adds --url and --key to fs and returns what starts a command
// that talks to the gateway: it parses args, makes the client and a
// context that Ctrl-C cancels. Every such command reads --url and --key
// from the same EVENTGATE_URL and EVENTGATE_KEY, whatever its own flags'
// variables are called: they name one gateway, whichever command asks.
func remote(fs *flag.FlagSet) func(args []string) (context.Context, *client.Client, context.CancelFunc, error) {
	url := fs.String("url", "http://127.0.0.1:8080", "the gateway's base URL (env EVENTGATE_URL)")
	key := fs.String("key", "", "an API key of the gateway (env EVENTGATE_KEY; required)")
	return func(args []string) (context.Context, *client.Client, context.CancelFunc, error) {
		if err := parseFlags(fs, args); err != nil {
			return nil, nil, nil, err
		}
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for name, value := range map[string]*string{"url": url, "key": key} {
			if v, ok := os.LookupEnv("EVENTGATE_" + strings.ToUpper(name)); ok && !given[name] {
				*value = v
			}
		}
		if *key == "" {
			return nil, nil, nil, errors.New("--key (or EVENTGATE_KEY) is required: an API key of the gateway at " + *url)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		return ctx, client.New(*url, *key), stop, nil
	}
}

// publishCmd runs `eventgate publish`: one event from flags (data from
// --data or stdin) or from stdin as a whole envelope, or a batch from a
// JSONL file.
func publishCmd(args []string) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	start := remote(fs)
	file := fs.String("file", "", "publish every event of this JSONL file (one envelope a line; - is stdin), in batches")
	typ := fs.String("type", "", "the event's type; without it stdin holds the whole envelope")
	data := fs.String("data", "", "the event's data as JSON or @file; default: read from stdin")
	id := fs.String("id", "", "the event's id (a repeat is a duplicate)")
	src := fs.String("source", "", "the event's source")
	subject := fs.String("subject", "", "the event's subject")
	severity := fs.String("severity", "", "debug, info, warning, error or critical")
	idemKey := fs.String("idempotency-key", "", "a repeat with this key within 24 h answers the original id and stores nothing")
	batchSize := fs.Int("batch-size", 500, "events per request with --file (at most 500)")
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	ctx, c, stop, err := start(args)
	if err != nil {
		return err
	}
	defer stop()
	if *file != "" {
		return publishFile(ctx, c, *file, *batchSize, *idemKey, *asJSON)
	}
	var ev client.EventInput
	if *typ == "" {
		if err := decodeStrict(os.Stdin, &ev); err != nil {
			return fmt.Errorf("reading the event envelope from stdin (or give --type): %w", err)
		}
	} else {
		ev = client.EventInput{ID: *id, Type: *typ, Source: *src, Subject: *subject, Severity: *severity}
		var err error
		if *data != "" {
			ev.Data, err = jsonArg("--data", *data)
		} else {
			ev.Data, err = io.ReadAll(os.Stdin)
		}
		if err != nil {
			return err
		}
		ev.Data = bytes.TrimSpace(ev.Data)
	}
	p, err := c.Publish(ctx, ev, *idemKey)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(map[string]any{"id": p.ID, "replayed": p.Replayed})
	}
	if p.Replayed {
		fmt.Println(p.ID, "(a repeat: nothing stored)")
		return nil
	}
	fmt.Println(p.ID)
	return nil
}

func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// publishFile publishes every line of a JSONL file in batches, with a
// progress bar on a terminal, and lists the lines refused.
func publishFile(ctx context.Context, c *client.Client, path string, batchSize int, idemKey string, asJSON bool) error {
	if batchSize < 1 || batchSize > 500 {
		return fmt.Errorf("--batch-size must be from 1 to 500, not %d", batchSize)
	}
	events, lines, err := readJSONL(path)
	if err != nil {
		return err
	}
	bar := progressbar.NewOptions(len(events), progressbar.OptionSetWriter(terminalOrDiscard(os.Stderr)),
		progressbar.OptionSetDescription("publishing"), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("events/s"), progressbar.OptionClearOnFinish())
	type refusal struct {
		Line   int                 `json:"line"`
		Status int                 `json:"status"`
		Detail string              `json:"detail"`
		Errors []client.FieldError `json:"errors,omitempty"`
	}
	var published []string
	var refused []refusal
	for start := 0; start < len(events); start += batchSize {
		end := min(start+batchSize, len(events))
		key := ""
		if idemKey != "" {
			key = fmt.Sprintf("%s@%d", idemKey, start) // each batch its own, so a rerun repeats none
		}
		results, err := c.PublishBatch(ctx, events[start:end], key)
		if err != nil {
			_ = bar.Clear()
			return fmt.Errorf("lines %d-%d: %w (%d events published before)", lines[start], lines[end-1], err, len(published))
		}
		for i, r := range results {
			if r.Error != nil {
				refused = append(refused, refusal{lines[start+i], r.Error.Status, r.Error.Detail, r.Error.Errors})
			} else {
				published = append(published, r.ID)
			}
		}
		_ = bar.Set(end)
	}
	_ = bar.Finish()
	if asJSON {
		if err := printJSON(map[string]any{"published": published, "refused": refused}); err != nil {
			return err
		}
	} else {
		fmt.Printf("published %d of %d events from %s\n", len(published), len(events), path)
		for _, r := range refused {
			fmt.Printf("line %d refused (%d): %s\n", r.Line, r.Status, r.Detail)
		}
	}
	if len(refused) > 0 {
		return fmt.Errorf("%d of %d events refused", len(refused), len(events))
	}
	return nil
}

// readJSONL reads one event envelope a line, skipping blank lines, and
// returns each event's line number.
func readJSONL(path string) ([]client.EventInput, []int, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		r = f
	}
	var events []client.EventInput
	var lines []int
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var ev client.EventInput
		if err := decodeStrict(bytes.NewReader(line), &ev); err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		events = append(events, ev)
		lines = append(lines, n)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(events) == 0 {
		return nil, nil, fmt.Errorf("%s holds no events", path)
	}
	return events, lines, nil
}

// terminalOrDiscard is w when it is a terminal: a progress bar in a pipe
// or a log is noise.
func terminalOrDiscard(w *os.File) io.Writer {
	if term.IsTerminal(int(w.Fd())) {
		return w
	}
	return io.Discard
}

// subscriptionsCmd runs `eventgate subscriptions list`.
func subscriptionsCmd(args []string) error {
	fs := flag.NewFlagSet("subscriptions", flag.ContinueOnError)
	return listCommand(fs, args, "usage: eventgate subscriptions list [--url URL --key KEY --limit N --json]",
		func(ctx context.Context, c *client.Client, pageSize int) iter.Seq2[client.Subscription, error] {
			return c.AllSubscriptions(ctx, client.ListOptions{Limit: pageSize})
		},
		"ID\tNAME\tSTATUS\tCHANNEL\tEVENT TYPES\tPARTNER", func(s client.Subscription) []any {
			types := strings.Join(s.Filter.EventTypes, ",")
			if types == "" {
				types = "*"
			}
			channel := s.Channel.URL // a webhook is best named by where it goes
			if channel == "" {
				channel = s.Channel.Type
			}
			return []any{s.ID, s.Name, s.Status, channel, types, orDash(s.PartnerID)}
		})
}

// deliveriesCmd runs `eventgate deliveries list`.
func deliveriesCmd(args []string) error {
	fs := flag.NewFlagSet("deliveries", flag.ContinueOnError)
	var q client.DeliveryQuery
	fs.StringVar(&q.SubscriptionID, "subscription", "", "only this subscription's deliveries")
	fs.StringVar(&q.EventID, "event", "", "only this event's deliveries")
	fs.StringVar(&q.Status, "status", "", "only deliveries in this status: pending, succeeded, failed or dead")
	return listCommand(fs, args, "usage: eventgate deliveries list [--url URL --key KEY --subscription ID --event ID --status S --limit N --json]",
		func(ctx context.Context, c *client.Client, pageSize int) iter.Seq2[client.Delivery, error] {
			q.Limit = pageSize
			return c.AllDeliveries(ctx, q)
		},
		"ID\tEVENT\tSUBSCRIPTION\tSTATUS\tATTEMPTS\tLAST RESULT\tUPDATED", func(d client.Delivery) []any {
			last := d.LastError
			if d.LastStatusCode != 0 && last == "" {
				last = fmt.Sprint(d.LastStatusCode)
			}
			return []any{d.ID, d.EventID, d.SubscriptionID, d.Status, d.AttemptCount, orDash(last), d.UpdatedAt.Local().Format(time.DateTime)}
		})
}

// listCommand runs a `list` subcommand: fs's own flags plus --url, --key,
// --limit and --json; it prints what all lists, as a table or JSON.
func listCommand[T any](fs *flag.FlagSet, args []string, usage string, all func(context.Context, *client.Client, int) iter.Seq2[T, error], header string, row func(T) []any) error {
	if len(args) == 0 || args[0] != "list" {
		return errors.New(usage)
	}
	start := remote(fs)
	limit := fs.Int("limit", 50, "list at most this many, newest first; 0 lists all")
	asJSON := fs.Bool("json", false, "print a JSON array")
	ctx, c, stop, err := start(args[1:])
	if err != nil {
		return err
	}
	defer stop()
	items, err := collect(all(ctx, c, pageSize(*limit)), *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(items)
	}
	return printTable(header, items, row)
}

// pageSize asks for no more per page than the listing shows.
func pageSize(limit int) int {
	if limit <= 0 || limit > 500 {
		return 500
	}
	return limit
}

// collect takes at most limit items (0: all) from seq.
func collect[T any](seq iter.Seq2[T, error], limit int) ([]T, error) {
	items := []T{}
	for item, err := range seq {
		if err != nil {
			return nil, err
		}
		items = append(items, item)
		if len(items) == limit {
			break
		}
	}
	return items, nil
}

func printTable[T any](header string, items []T, row func(T) []any) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, header)
	for _, item := range items {
		cells := row(item)
		for i, c := range cells {
			if i > 0 {
				fmt.Fprint(w, "\t")
			}
			fmt.Fprint(w, c)
		}
		fmt.Fprintln(w)
	}
	return w.Flush()
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
