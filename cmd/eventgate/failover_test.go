package main_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventgate/eventgate/internal/store/postgres/pgtest"
)

// TestFailoverLosesNothing runs three nodes on one PostgreSQL database,
// publishes through all three from four clients, kills one node with
// SIGKILL while it still owes deliveries, and starts it again. Every event
// that was answered 202 must arrive: the dead node's work is taken over by
// the others once its leases expire. Repeats are allowed only for events
// the killed node owned (sent, but killed before the outcome was stored).
func TestFailoverLosesNothing(t *testing.T) {
	const lease = 3 * time.Second // short, so that the takeover fits in a test
	env := []string{
		"EVENTGATE_ADMIN_KEY=" + key,
		"EVENTGATE_DATABASE_URL=" + pgtest.FreshSchema(t),
		"EVENTGATE_MASTER_KEY=" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))),
		"EVENTGATE_LEASE=" + lease.String(),
	}
	cl := &cluster{}
	for range 3 {
		cl.nodes = append(cl.nodes, start(t, t.TempDir(), env...))
	}
	sink := newSink(t)
	cl.nodes[0].subscribe(sink.URL, 2)
	for _, n := range cl.nodes {
		waitUntilRouted(t, n, sink)
	}

	sink.hold() // until the kill: every node builds a backlog
	var sent atomic.Int64
	done := load(4, 3*time.Second, func(body string) bool {
		cl.publish(int(sent.Add(1)), body) // round-robin over the nodes
		return true
	})

	const victim = 1
	killed := cl.node(victim)
	waitFor(t, "the node to be killed to owe deliveries", func() bool { return len(cl.ackedThrough(killed)) >= 20 && sink.held() > 0 })
	if err := killed.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-killed.exited
	killedAt := time.Now()
	owed := cl.ackedThrough(killed)
	backlog, _ := sink.missing(owed)
	sink.release()
	cl.replace(victim, start(t, t.TempDir(), env...))
	done()

	all := cl.ackedThrough(nil)
	deadline := killedAt.Add(lease + 60*time.Second)
	var takenOver time.Duration // until the killed node's backlog had arrived
	for {
		if left, _ := sink.missing(backlog); len(left) == 0 && takenOver == 0 {
			takenOver = time.Since(killedAt)
		}
		missing, dups := sink.missing(all)
		if len(missing) == 0 {
			t.Logf("%d acknowledged events over 3 nodes; the killed node owed %d undelivered of its %d, delivered by %v after the kill (lease %v); all arrived by %v; %d repeated deliveries (at-least-once)",
				len(all), len(backlog), len(owed), takenOver.Round(100*time.Millisecond), lease, time.Since(killedAt).Round(100*time.Millisecond), dups)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged events never arrived, e.g. %v", len(missing), len(all), missing[:min(5, len(missing))])
		}
		time.Sleep(100 * time.Millisecond)
	}
	victimOwned := map[string]bool{}
	for _, id := range owed {
		victimOwned[id] = true
	}
	for _, id := range sink.repeated() {
		if !victimOwned[id] {
			t.Errorf("event %s, owned by a node that stayed up, was delivered more than once", id)
		}
	}
}

// cluster is the test's own client: it spreads publishes over the nodes
// and remembers which node acknowledged what.
type cluster struct {
	mu    sync.Mutex
	nodes []*gateway
	acked map[*gateway][]string
}

func (c *cluster) node(i int) *gateway {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

func (c *cluster) replace(i int, g *gateway) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nodes[i] = g
}

// publish tries the nodes round robin from the turn-th, until one answers.
func (c *cluster) publish(turn int, body string) {
	for try := range len(c.nodes) {
		if c.post(c.node((turn+try)%len(c.nodes)), body) {
			return
		}
	}
}

// post publishes through node n and records what it acknowledges. It
// reports false when n did not answer (it is down).
func (c *cluster) post(n *gateway, body string) bool {
	code, resp, err := n.post("/v1/events", body)
	if err != nil {
		return false
	}
	if code == 202 {
		var out struct{ ID string }
		json.Unmarshal(resp, &out)
		c.mu.Lock()
		if c.acked == nil {
			c.acked = map[*gateway][]string{}
		}
		c.acked[n] = append(c.acked[n], out.ID)
		c.mu.Unlock()
	}
	return true
}

// ackedThrough returns the ids node acknowledged, or all with node nil.
func (c *cluster) ackedThrough(node *gateway) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []string
	for n, acked := range c.acked {
		if node == nil || n == node {
			ids = append(ids, acked...)
		}
	}
	return ids
}

// waitUntilRouted publishes probes through n until one arrives: a node
// learns of a subscription made through another within a poll interval.
func waitUntilRouted(t *testing.T, n *gateway, sink *webhookSink) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		code, body, err := n.post("/v1/events", `{"type":"probe","data":{}}`)
		if err != nil || code != 202 {
			t.Fatalf("probe: %d %s %v", code, body, err)
		}
		var out struct{ ID string }
		json.Unmarshal(body, &out)
		for wait := time.Now().Add(300 * time.Millisecond); time.Now().Before(wait); time.Sleep(20 * time.Millisecond) {
			if missing, _ := sink.missing([]string{out.ID}); len(missing) == 0 {
				return
			}
		}
	}
	t.Fatalf("node %s never routed to a subscription made on another node", n.url)
}

// repeated returns the ids delivered more than once.
func (s *webhookSink) repeated() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, n := range s.seen {
		if n > 1 {
			ids = append(ids, id)
		}
	}
	return ids
}

// TestMeasureThroughput is the bounded end-to-end load behind the numbers in
// docs/deployment.md. It runs only when asked, on loopback:
//
//	EVENTGATE_MEASURE=1 go test -run TestMeasureThroughput -v ./cmd/eventgate
//
// For SQLite with one node, and PostgreSQL with one node and with three, it
// publishes EVENTGATE_MEASURE_EVENTS events (default 20000) from 32 clients
// spread over the nodes to one subscription whose receiver answers at once,
// and reports deliveries/s from the first publish to the last delivery. On
// PostgreSQL it also reports, per delivered event, the transactions and row
// writes of the database (pg_stat_database) and the WAL bytes written
// (pg_current_wal_lsn, which counts the whole server's activity). Point
// EVENTGATE_TEST_DATABASE_URL at a database of its own for clean numbers.
func TestMeasureThroughput(t *testing.T) {
	if os.Getenv("EVENTGATE_MEASURE") != "1" {
		t.Skip("a measurement, not a test: set EVENTGATE_MEASURE=1 to run it")
	}
	events := 20000
	if n, err := strconv.Atoi(os.Getenv("EVENTGATE_MEASURE_EVENTS")); err == nil {
		events = n
	}
	// 32 clients keep 32 connections: the default keeps 2 per host.
	http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost = 64
	for _, run := range []struct {
		store string
		nodes int
	}{{"sqlite", 1}, {"postgres", 1}, {"postgres", 3}} {
		t.Run(fmt.Sprintf("%s-%d", run.store, run.nodes), func(t *testing.T) {
			env := []string{"EVENTGATE_ADMIN_KEY=" + key}
			var dbURL string
			if run.store == "postgres" {
				dbURL = pgtest.FreshSchema(t)
				env = append(env, "EVENTGATE_DATABASE_URL="+dbURL,
					"EVENTGATE_MASTER_KEY="+base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))))
			}
			cl := &cluster{}
			for range run.nodes {
				cl.nodes = append(cl.nodes, start(t, t.TempDir(), env...))
			}
			sink := newSink(t)
			cl.nodes[0].subscribe(sink.URL, 50)
			for _, n := range cl.nodes {
				waitUntilRouted(t, n, sink)
			}
			before := dbCounters(t, dbURL)
			probes := sink.delivered()
			began := time.Now()
			work := make(chan int)
			var wg sync.WaitGroup
			for range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range work {
						cl.post(cl.node(i%run.nodes), fmt.Sprintf(`{"type":"load.tick","data":{"i":%d,"pad":"%s"}}`, i, strings.Repeat("x", 200)))
					}
				}()
			}
			for i := range events {
				work <- i
			}
			close(work)
			wg.Wait()
			published := time.Since(began)
			acked := len(cl.ackedThrough(nil))
			for deadline := time.Now().Add(2 * time.Minute); sink.delivered()-probes < acked; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d deliveries arrived within 2 minutes", sink.delivered()-probes, acked)
				}
			}
			took := time.Since(began)
			t.Logf("%s, %d node(s): %d events published in %v (%.0f/s), all delivered in %v: %.0f deliveries/s",
				run.store, run.nodes, acked, published.Round(time.Millisecond), float64(acked)/published.Seconds(), took.Round(time.Millisecond), float64(acked)/took.Seconds())
			if dbURL != "" {
				time.Sleep(1500 * time.Millisecond) // the server publishes its statistics about once a second
				d := dbCounters(t, dbURL).minus(before)
				n := float64(acked)
				t.Logf("per delivered event: %.3f transactions, %.2f rows written, %.0f WAL bytes (totals: %d, %d, %d)",
					float64(d.xacts)/n, float64(d.rows)/n, float64(d.wal)/n, d.xacts, d.rows, d.wal)
			}
		})
	}
}

// delivered counts the distinct events received.
func (s *webhookSink) delivered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// counters are cumulative activity of a PostgreSQL database.
type counters struct{ xacts, rows, wal int64 }

func (a counters) minus(b counters) counters {
	return counters{a.xacts - b.xacts, a.rows - b.rows, a.wal - b.wal}
}

// dbCounters reads the counters of the database at url, or none for "".
func dbCounters(t *testing.T, url string) counters {
	t.Helper()
	if url == "" {
		return counters{}
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var c counters
	err = conn.QueryRow(ctx, `SELECT xact_commit, tup_inserted + tup_updated + tup_deleted, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint
		FROM pg_stat_database WHERE datname = current_database()`).Scan(&c.xacts, &c.rows, &c.wal)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
