package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/eventgate/eventgate/internal/api"
	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/metrics"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/tracing"
)

// A graceful stop exits within 10 s of SIGTERM (the README says so). Its
// parts, from the signal: open requests get up to httpBudget; sends in
// flight run until a second before gatewayBudget ends, and that second
// records their outcomes (dispatch's settleReserve); the 2 s after it close
// the store (SQLite checkpoints its log) and let the process exit.
const (
	gatewayBudget = 8 * time.Second
	httpBudget    = 3 * time.Second
)

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	data := fs.String("data", "./eventgate-data", "data directory: the embedded store, and the master key file unless EVENTGATE_MASTER_KEY is set")
	database := fs.String("database", "", "PostgreSQL URL (postgres://...) to share one database between nodes; empty: the embedded store")
	allowPrivate := fs.Bool("allow-private-targets", false, "let webhooks reach loopback, private and link-local addresses")
	poll := fs.Duration("poll-interval", time.Second, "how often the store is checked for retries that came due (and, with --database, for changes made through other nodes)")
	retention := fs.Duration("retention", 720*time.Hour, "delete events older than this whose deliveries are all final, with those deliveries (0: keep forever)")
	auditRetention := fs.Duration("audit-retention", 2160*time.Hour, "delete audit log entries older than this (0: keep forever)")
	lease := fs.Duration("lease", 30*time.Second, "advanced: how long a node's claim on work lasts without renewal, i.e. how long other nodes wait before taking a dead node's work over")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	strictTypes := fs.Bool("strict-event-types", false, "refuse events whose type is not in the event type catalog")
	maxConnsPerHost := fs.Int("max-conns-per-host", webhook.DefaultMaxConnsPerHost, "webhook deliveries in flight to one host at once, over all its subscriptions (each also keeps to its max_concurrency); beyond it they take turns, and a delivery's timeout starts when its turn comes")
	publishRate := fs.Float64("publish-rate-limit", 0, "events per second one API key may publish (0: no limit)")
	bodyMemory := fs.Int64("max-body-memory", api.DefaultBodyMemory>>20, "MiB that request bodies being read or handled may hold at once, over all requests; beyond it requests wait up to a second, then get 503 with Retry-After")
	metricsAddr := fs.String("metrics-addr", "", "address to serve Prometheus metrics on without authentication, e.g. 127.0.0.1:9090; empty: at /metrics on --addr, to admin keys only")
	metricsPerSubscription := fs.Bool("metrics-per-subscription", false, "add attempt metrics per subscription: a series per subscription, so only for deployments with few")
	var egressProxy *url.URL
	fs.Func("egress-proxy", "HTTP(S) proxy URL (http://proxy:3128) that carries every webhook and OAuth2 token request, so deliveries leave from its addresses; "+
		"destinations are then checked by URL only, and the proxy must refuse private addresses itself", func(v string) (err error) {
		egressProxy, err = parseProxyURL(v)
		return err
	})
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *retention != 0 && *retention < store.IdempotencyWindow {
		return fmt.Errorf("--retention %v: use 0 (keep forever) or at least %v, the idempotency window, whose keys refer to stored events", *retention, store.IdempotencyWindow)
	}
	if *maxConnsPerHost < 1 {
		return fmt.Errorf("--max-conns-per-host %d: use at least 1 (default %d)", *maxConnsPerHost, webhook.DefaultMaxConnsPerHost)
	}
	if *bodyMemory < api.MinBodyMemory>>20 {
		return fmt.Errorf("--max-body-memory %d: use at least %d (MiB), room for a largest batch (%d MiB) and other requests beside it", *bodyMemory, api.MinBodyMemory>>20, api.MaxBatchBody>>20)
	}
	if *lease < time.Second {
		return fmt.Errorf("--lease %v: use at least 1s (the default 30s suits most deployments)", *lease)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %v", err)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	gateway.TuneGC()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	stopTracing, err := tracing.Setup(ctx)
	if err != nil {
		return err
	}
	defer func() {
		flush, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond) // within the 2 s left after gatewayBudget
		defer cancel()
		if err := stopTracing(flush); err != nil {
			slog.Warn("sending the last spans", "err", err)
		}
	}()

	st, singleNode, err := openStore(ctx, *data, databaseURL(*database))
	if err != nil {
		return err
	}
	defer st.Close()
	m := metrics.New(metrics.Options{Stats: st, PerSubscription: *metricsPerSubscription})
	apiMetrics := m.Handler()
	if *metricsAddr != "" {
		apiMetrics = nil
	}
	g, err := gateway.Start(ctx, st, gateway.Config{
		AllowPrivateTargets: *allowPrivate,
		AdminKey:            os.Getenv("EVENTGATE_ADMIN_KEY"),
		SingleNode:          singleNode,
		PollInterval:        *poll,
		Lease:               *lease,
		Retention:           *retention,
		AuditRetention:      *auditRetention,
		StrictEventTypes:    *strictTypes,
		PublishRateLimit:    *publishRate,
		EgressProxy:         egressProxy,
		MaxConnsPerHost:     *maxConnsPerHost,
		MaxBodyMemory:       *bodyMemory << 20,
		Observer:            m,
		Metrics:             apiMetrics,
	})
	if err != nil {
		return err
	}
	m.KnowTypes(g.KnownEventType)
	if g.GeneratedAdminKey != "" {
		fmt.Fprintf(os.Stderr, "\n  First start: created an admin API key. It is shown only now; store it safely:\n\n    %s\n\n  (Set EVENTGATE_ADMIN_KEY to choose your own instead.)\n\n", g.GeneratedAdminKey)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		g.Shutdown(ctx)
		return err
	}
	srv := &http.Server{
		Handler:           api.New(g),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	where := slog.String("data", *data)
	if !singleNode {
		where = slog.String("store", "postgres") // never the url: it may hold a password
	}
	slog.Info("eventgate listening", "addr", ln.Addr().String(), where, "allow_private_targets", *allowPrivate)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if *metricsAddr != "" {
		metricsSrv, err := serveMetrics(*metricsAddr, m.Handler(), served)
		if err != nil {
			_ = srv.Close()
			g.Shutdown(ctx)
			return err
		}
		defer metricsSrv.Close()
	}

	select {
	case err := <-served:
		g.Shutdown(context.Background())
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down: no new requests; finishing deliveries in flight")
	deadline, cancel := context.WithTimeout(context.Background(), gatewayBudget)
	defer cancel()
	httpDeadline, cancelHTTP := context.WithTimeout(deadline, httpBudget)
	defer cancelHTTP()
	if err := srv.Shutdown(httpDeadline); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		slog.Warn("closing connections", "err", err)
	}
	g.Shutdown(deadline)
	slog.Info("stopped")
	return nil
}

// serveMetrics serves the metrics, unauthenticated, on their own listener;
// a failure to serve is sent to failed, like the API's.
func serveMetrics(addr string, h http.Handler, failed chan<- error) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute}
	slog.Info("serving metrics without authentication", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			select {
			case failed <- err:
			default:
			}
		}
	}()
	return srv, nil
}

// databaseURL also honours EVENTGATE_DATABASE_URL, the name operators expect.
func databaseURL(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return os.Getenv("EVENTGATE_DATABASE_URL")
}

// parseProxyURL accepts what http.Transport can use as an HTTP(S) proxy.
func parseProxyURL(v string) (*url.URL, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("want an http:// or https:// proxy URL, e.g. http://proxy.internal:3128")
	}
	return u, nil
}
