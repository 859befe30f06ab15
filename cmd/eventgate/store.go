package main

import (
	"context"
	"errors"
	"fmt"
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
	key, err := secret.ReadKey(masterKey, dataDir)
	firstStart := errors.Is(err, secret.ErrNoKeyFile)
	if err != nil && !firstStart {
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
	if firstStart {
		key, err = createMasterKey(ctx, st, dataDir)
	}
	var box *secret.Box
	if err == nil {
		box, err = secret.NewBox(key)
	}
	if err != nil {
		st.Close()
		return nil, false, err
	}
	return sealed.New(st, box), databaseURL == "", nil
}

// createMasterKey writes a new master.key, unless the store already holds
// secrets: they were sealed with a key that is missing now, and a new one
// would not open them but would stand in the way of restoring the old.
func createMasterKey(ctx context.Context, st store.Store, dataDir string) ([]byte, error) {
	subs, _, err := st.ListSubscriptions(ctx, store.SubscriptionQuery{Page: store.Page{Limit: 1}})
	if err != nil {
		return nil, err
	}
	sources, _, err := st.ListSources(ctx, store.Page{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(subs) > 0 || len(sources) > 0 {
		return nil, fmt.Errorf("%s has no %s, but its store holds secrets sealed with one: restore %s from your backup into %s, or set EVENTGATE_MASTER_KEY to it",
			dataDir, secret.KeyFile, secret.KeyFile, dataDir)
	}
	return secret.CreateKeyFile(dataDir)
}
