package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/eventgate/eventgate/internal/api"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

// shutdownBudget bounds a graceful stop: SIGTERM to exit within 10 s.
const shutdownBudget = 9 * time.Second

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	data := fs.String("data", "./eventgate-data", "data directory of the embedded store")
	allowPrivate := fs.Bool("allow-private-targets", false, "let webhooks reach loopback, private and link-local addresses")
	poll := fs.Duration("poll-interval", time.Second, "how often the store is checked for retries that came due")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	strictTypes := fs.Bool("strict-event-types", false, "refuse events whose type is not in the event type catalog")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %v", err)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	st, err := sqlite.Open(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	g, err := gateway.Start(ctx, st, gateway.Config{
		AllowPrivateTargets: *allowPrivate,
		AdminKey:            os.Getenv("EVENTGATE_ADMIN_KEY"),
		SingleNode:          true,
		PollInterval:        *poll,
		StrictEventTypes:    *strictTypes,
	})
	if err != nil {
		return err
	}
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
	slog.Info("eventgate listening", "addr", ln.Addr().String(), "data", *data, "allow_private_targets", *allowPrivate)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		g.Shutdown(context.Background())
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down: no new requests; finishing deliveries in flight")
	deadline, cancel := context.WithTimeout(context.Background(), shutdownBudget)
	defer cancel()
	httpDeadline, cancelHTTP := context.WithTimeout(deadline, 3*time.Second)
	defer cancelHTTP()
	if err := srv.Shutdown(httpDeadline); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		slog.Warn("closing connections", "err", err)
	}
	g.Shutdown(deadline)
	slog.Info("stopped")
	return nil
}
