package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/eventgate/eventgate/internal/store/postgres"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

// migrate applies the schema migrations the store lacks and exits. serve
// applies them too, under an advisory lock, so this is only needed when
// the schema should change before the nodes of a new release start (or
// with a database role that serve runs without DDL rights).
func migrate(args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	data := fs.String("data", "./eventgate-data", "data directory of the embedded store")
	database := fs.String("database", "", "PostgreSQL URL (postgres://...); empty: the embedded store in --data")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if url := databaseURL(*database); url != "" {
		if err := postgres.Migrate(ctx, url); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "eventgate: the PostgreSQL schema is up to date")
		return nil
	}
	st, err := sqlite.Open(ctx, *data)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "eventgate: the embedded store in %s is up to date\n", *data)
	return st.Close()
}
