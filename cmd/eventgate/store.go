package main

import (
	"context"
	"errors"
	"os"

	"github.com/eventgate/eventgate/internal/secret"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/postgres"
	"github.com/eventgate/eventgate/internal/store/sealed"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

// openStore opens PostgreSQL when databaseURL is set, else the embedded
// SQLite store in dataDir, and wraps it so secrets are encrypted at rest.
// It reports whether this node owns the store alone.
func openStore(ctx context.Context, dataDir, databaseURL string) (store.Store, bool, error) {
	masterKey := os.Getenv("EVENTGATE_MASTER_KEY")
	if databaseURL != "" && masterKey == "" {
		return nil, false, errors.New("with --database every node must encrypt secrets with the same key: set EVENTGATE_MASTER_KEY to base64 of 32 random bytes (openssl rand -base64 32) on each node")
	}
	key, err := secret.LoadKey(masterKey, dataDir)
	if err != nil {
		return nil, false, err
	}
	box, err := secret.NewBox(key)
	if err != nil {
		return nil, false, err
	}
	var st store.Store
	if databaseURL != "" {
		st, err = postgres.Open(ctx, databaseURL)
	} else {
		st, err = sqlite.Open(ctx, dataDir)
	}
	if err != nil {
		return nil, false, err
	}
	return sealed.New(st, box), databaseURL == "", nil
}
