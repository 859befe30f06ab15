package bench

import (
	"context"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/api"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

// TestServeForProfiling runs a gateway inside the test process, wired as
// `eventgate serve` wires it, so that go test's -cpuprofile and
// -memprofile profile the gateway while `eventgate bench --url` drives it
// from outside. With EVENTGATE_PROFILE_PPROF set it also serves
// /debug/pprof/ on that address, to profile one phase of a scenario. It is
// skipped unless EVENTGATE_PROFILE_ADDR is set; see docs/performance.md for
// the commands.
func TestServeForProfiling(t *testing.T) {
	addr := os.Getenv("EVENTGATE_PROFILE_ADDR")
	if addr == "" {
		t.Skip("set EVENTGATE_PROFILE_ADDR (and EVENTGATE_PROFILE_KEY) to serve a gateway for profiling")
	}
	key := os.Getenv("EVENTGATE_PROFILE_KEY")
	gateway.TuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if d, err := time.ParseDuration(os.Getenv("EVENTGATE_PROFILE_FOR")); err == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, err := gateway.Start(ctx, st, gateway.Config{AllowPrivateTargets: true, AdminKey: key, SingleNode: true, PollInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: api.New(g), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	if pprofAddr := os.Getenv("EVENTGATE_PROFILE_PPROF"); pprofAddr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		go http.ListenAndServe(pprofAddr, mux)
	}
	t.Logf("gateway for profiling at http://%s until interrupted", ln.Addr())
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 9*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	g.Shutdown(shutdown)
}
