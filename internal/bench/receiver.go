package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The receiver is the webhook endpoint of a bench run. It runs as its own
// process (eventgate bench-receiver), so that its work is not counted as the
// gateway's nor competes inside the load generator's runtime.
//
// Each subscription points at a path that names it (its label): /fast,
// /slow?delay=2s. The receiver answers 204 (after the delay, if any), and
// records per label how many deliveries came, when the first and last came,
// and the publish→receive latency from the sent_ns the load generator put in
// the event data. GET /stats returns those tallies as JSON.

// labelStats is one label's tally as the receiver reports it.
type labelStats struct {
	Count   uint64      `json:"count"`
	NoStamp uint64      `json:"no_stamp"` // deliveries whose data had no sent_ns
	FirstNs int64       `json:"first_ns"` // receive times, Unix nanoseconds
	LastNs  int64       `json:"last_ns"`
	MinUs   int64       `json:"min_us"`
	MaxUs   int64       `json:"max_us"`
	Buckets [][2]uint64 `json:"buckets"` // latency histogram, sparse
}

func (s *labelStats) histogram() *Histogram { return fromSparse(s.Buckets, s.MinUs, s.MaxUs) }

// receiverStats is what GET /stats answers.
type receiverStats struct {
	Labels map[string]*labelStats `json:"labels"`
	// Connections counts the TCP connections the gateway opened: more than
	// its concurrency means it does not keep them alive.
	Connections uint64 `json:"connections"`
}

// count returns how many deliveries came to the labels, together.
func (rs receiverStats) count(labels ...string) uint64 {
	var n uint64
	for _, l := range labels {
		if s := rs.Labels[l]; s != nil {
			n += s.Count
		}
	}
	return n
}

type tally struct {
	count, noStamp uint64
	first, last    int64
	latency        Histogram
}

type receiver struct {
	mu          sync.Mutex
	labels      map[string]*tally
	connections uint64
	bufs        sync.Pool
}

// RunReceiver serves the bench receiver on addr until ctx ends. Its first
// line on out is {"addr": "<host:port>"}, which the load generator waits for.
func RunReceiver(ctx context.Context, addr string, out io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	rc := &receiver{labels: map[string]*tally{}, bufs: sync.Pool{New: func() any { return new(bytes.Buffer) }}}
	srv := &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ConnState: rc.countConnection}
	if err := json.NewEncoder(out).Encode(map[string]string{"addr": ln.Addr().String()}); err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/stats" {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rc.snapshot())
		return
	}
	buf := rc.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	_, err := buf.ReadFrom(io.LimitReader(r.Body, 1<<20))
	now := time.Now()
	if err != nil {
		rc.bufs.Put(buf)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	sent, stamped := sentNs(buf.Bytes())
	rc.bufs.Put(buf)
	rc.record(strings.Trim(r.URL.Path, "/"), now, sent, stamped)
	if d, err := time.ParseDuration(r.URL.Query().Get("delay")); err == nil {
		time.Sleep(d)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) countConnection(_ net.Conn, state http.ConnState) {
	if state == http.StateNew {
		rc.mu.Lock()
		rc.connections++
		rc.mu.Unlock()
	}
}

func (rc *receiver) record(label string, now time.Time, sent int64, stamped bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	t := rc.labels[label]
	if t == nil {
		t = &tally{first: now.UnixNano()}
		rc.labels[label] = t
	}
	t.count++
	t.last = now.UnixNano()
	if !stamped {
		t.noStamp++
		return
	}
	t.latency.Record(time.Duration(t.last - sent))
}

func (rc *receiver) snapshot() receiverStats {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := receiverStats{Labels: map[string]*labelStats{}, Connections: rc.connections}
	for label, t := range rc.labels {
		out.Labels[label] = &labelStats{
			Count: t.count, NoStamp: t.noStamp, FirstNs: t.first, LastNs: t.last,
			MinUs: t.latency.MinUs, MaxUs: t.latency.MaxUs, Buckets: t.latency.sparse(),
		}
	}
	return out
}

var sentKey = []byte(`"sent_ns":`)

// sentNs finds the load generator's send time in a delivery body without
// decoding it all: the receiver must stay cheap beside the gateway.
func sentNs(body []byte) (int64, bool) {
	i := bytes.Index(body, sentKey)
	if i < 0 {
		return 0, false
	}
	rest := bytes.TrimLeft(body[i+len(sentKey):], " ")
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	return n, err == nil
}

// fetchStats asks a receiver for its tallies.
func fetchStats(ctx context.Context, client *http.Client, base string) (receiverStats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/stats", nil)
	if err != nil {
		return receiverStats{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return receiverStats{}, fmt.Errorf("receiver stats: %w", err)
	}
	defer resp.Body.Close()
	var rs receiverStats
	if err := json.NewDecoder(resp.Body).Decode(&rs); err != nil {
		return rs, fmt.Errorf("receiver stats: %w", err)
	}
	return rs, nil
}
