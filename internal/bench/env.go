package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"
)

// env is what one scenario (or one phase of it) runs against: a gateway,
// started fresh or given by --url, and a fresh receiver.
type env struct {
	r           *runner
	api         *apiClient
	receiverURL string
	receiver    *child
	gateway     *child // nil when the gateway is --url
	gatewayPID  int    // 0 when unknown
	dataDir     string
	subs        []string
	cpuMark     time.Duration
	stats       *http.Client
}

// openEnv starts the receiver and, unless --url is given, a gateway on a
// temporary data directory.
func (r *runner) openEnv() (_ *env, err error) {
	e := &env{r: r, stats: &http.Client{Timeout: 10 * time.Second}}
	defer func() {
		if err != nil {
			e.close(context.Background())
		}
	}()
	if e.receiver, e.receiverURL, err = startReceiver(r.cfg.Executable, r.cfg.ReceiverAddr); err != nil {
		return nil, err
	}
	base, key := r.cfg.URL, r.cfg.Key
	e.gatewayPID = r.cfg.GatewayPID
	if base == "" {
		if e.dataDir, err = os.MkdirTemp(r.cfg.TempDir, "eventgate-bench-"); err != nil {
			return nil, err
		}
		key = "eg_adm_bench-" + randomHex(16)
		var extra []string
		if r.cfg.Database != "" {
			extra = append(extra, "--database", r.cfg.Database)
		}
		if e.gateway, base, err = startGateway(r.cfg.Executable, e.dataDir, key, extra); err != nil {
			return nil, err
		}
		e.gatewayPID = e.gateway.pid()
	}
	e.api = newAPIClient(base, key, 256)
	e.markCPU()
	return e, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// close deletes what the bench created in a store that outlives the run
// (a --url gateway's, or a --database), and stops what it started.
func (e *env) close(ctx context.Context) error {
	var errs []error
	if e.api != nil && (e.gateway == nil || e.r.cfg.Database != "") {
		for _, id := range e.subs {
			if err := e.api.deleteSubscription(ctx, id); err != nil {
				errs = append(errs, fmt.Errorf("delete bench subscription %s: %w", id, err))
			}
		}
	}
	if e.gateway != nil {
		errs = append(errs, e.gateway.stop())
	}
	if e.receiver != nil {
		errs = append(errs, e.receiver.stop())
	}
	if e.dataDir != "" {
		errs = append(errs, os.RemoveAll(e.dataDir))
	}
	return errors.Join(errs...)
}

// subscribe creates a subscription that delivers to the receiver.
func (e *env) subscribe(ctx context.Context, s subscription) (string, error) {
	id, err := e.api.subscribe(ctx, e.receiverURL, s, e.r.cfg.MaxConcurrency)
	if id != "" {
		e.subs = append(e.subs, id)
	}
	return id, err
}

// subscribeMany creates n subscriptions, several at a time; sub(i) says
// what the i-th is.
func (e *env) subscribeMany(ctx context.Context, n int, sub func(i int) subscription) error {
	const parallel = 8
	ids := make([]string, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for i := range next {
				ids[i], errs[i] = e.api.subscribe(ctx, e.receiverURL, sub(i), e.r.cfg.MaxConcurrency)
			}
		})
	}
	e.r.prog.phase("creating subscriptions", int64(n))
	for i := range n {
		next <- i
		e.r.prog.set(int64(i))
	}
	close(next)
	wg.Wait()
	e.r.prog.done()
	for _, id := range ids {
		if id != "" {
			e.subs = append(e.subs, id)
		}
	}
	return errors.Join(errs...)
}

// markCPU starts counting the gateway's CPU time from now.
func (e *env) markCPU() {
	if e.gatewayPID == 0 {
		return
	}
	if u, err := readProc(e.gatewayPID); err == nil {
		e.cpuMark = u.CPU
	}
}

// gatewayCPU is the CPU the gateway process has used so far, and whether
// it could be read: to split one scenario's CPU between its phases.
func (e *env) gatewayCPU() (time.Duration, bool) {
	if e.gatewayPID == 0 {
		return 0, false
	}
	u, err := readProc(e.gatewayPID)
	return u.CPU, err == nil
}

// usage fills in what the gateway process spent since markCPU.
func (e *env) usage(res *Result) {
	if e.gatewayPID == 0 {
		return
	}
	u, err := readProc(e.gatewayPID)
	if err != nil {
		return
	}
	res.GatewayPeakRSS = u.PeakRSS
	res.GatewayCPU = (u.CPU - e.cpuMark).Seconds()
	if res.Deliveries > 0 && res.Extra != nil {
		// CPU per delivery suffers less than rates from other work on the machine.
		res.Extra["gateway_cpu_us_per_delivery"] = 1e6 * res.GatewayCPU / float64(res.Deliveries)
	}
	if e.gateway != nil {
		res.GatewayErrors = e.gateway.loggedErrors()
		res.Errors += res.GatewayErrors
	}
}

// await watches the receiver until want deliveries arrived at the labels,
// or none arrived for the stall timeout, and returns its tallies.
func (e *env) await(ctx context.Context, want int, labels ...string) (receiverStats, error) {
	e.r.prog.phase(labels[0]+": deliveries", int64(want))
	defer e.r.prog.done()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last uint64
	lastChange := time.Now()
	for {
		rs, err := fetchStats(ctx, e.stats, e.receiverURL)
		if err != nil {
			return rs, err
		}
		n := rs.count(labels...)
		e.r.prog.set(int64(n))
		if n >= uint64(want) || time.Since(lastChange) > e.r.cfg.Stall {
			return rs, nil
		}
		if n != last {
			last, lastChange = n, time.Now()
		}
		select {
		case <-ctx.Done():
			return rs, ctx.Err()
		case <-e.exited():
			return rs, fmt.Errorf("the gateway exited during the run (%v):\n%s", e.gateway.err, e.gateway.output())
		case <-tick.C:
		}
	}
}

// exited is closed when a gateway the bench started exits.
func (e *env) exited() <-chan struct{} {
	if e.gateway == nil {
		return nil
	}
	return e.gateway.done
}

// publish runs load while a progress bar follows the acknowledged events.
func (e *env) publish(label string, total int, p *publisher, load func() publishStats) publishStats {
	e.r.prog.phase(label+": publishing", int64(total))
	defer e.r.prog.done()
	done := make(chan publishStats, 1)
	go func() { done <- load() }()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case s := <-done:
			return s
		case <-tick.C:
			e.r.prog.set(p.acked.Load())
		}
	}
}
