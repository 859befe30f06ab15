package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/eventgate/eventgate/internal/secret"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

// backupCmd copies the embedded store, also while a gateway serves from it.
func backupCmd(args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	data := fs.String("data", "./eventgate-data", "the data directory of the embedded store (for PostgreSQL use pg_dump; see docs/operations.md)")
	to := fs.String("to", "", "the file to write the copy to; it must not exist")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *to == "" {
		return errors.New("--to is required: the file to write the backup to")
	}
	if _, err := os.Stat(*to); err == nil {
		return fmt.Errorf("%s exists; choose a new file, so that no backup is overwritten", *to)
	}
	if err := sqlite.Backup(context.Background(), *data, *to); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "backed up %s to %s. Its secrets are sealed with the master key, which is not in the backup: keep %s/%s (or EVENTGATE_MASTER_KEY) safe apart from it.\n",
		*data, *to, *data, secret.KeyFile)
	return nil
}

// restoreCmd puts a backup in place as a data directory's store.
func restoreCmd(args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	from := fs.String("from", "", "the backup file that eventgate backup wrote")
	data := fs.String("data", "./eventgate-data", "the data directory to restore into; no gateway may be running on it")
	force := fs.Bool("force", false, "replace the database the data directory holds")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *from == "" {
		return errors.New("--from is required: the backup file to restore")
	}
	ctx := context.Background()
	if err := sqlite.Restore(ctx, *from, *data, *force); err != nil {
		return err
	}
	if err := checkMasterKey(ctx, *data); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "restored %s into %s\n", *from, *data)
	return nil
}

// checkMasterKey makes sure the master key that serve will use opens the
// restored secrets: a backup is only usable with the key it was sealed with.
func checkMasterKey(ctx context.Context, dir string) error {
	if _, err := secret.ReadKey(os.Getenv("EVENTGATE_MASTER_KEY"), dir); errors.Is(err, secret.ErrNoKeyFile) {
		fmt.Fprintf(os.Stderr, "note: %s has no %s and EVENTGATE_MASTER_KEY is not set: copy the %s of the node the backup was taken from into it (or set the variable) before serving; serve refuses to start without it.\n",
			dir, secret.KeyFile, secret.KeyFile)
		return nil
	}
	st, _, err := openStore(ctx, dir, "")
	if err != nil {
		return err
	}
	defer st.Close()
	_, _, err = st.ListSubscriptions(ctx, store.SubscriptionQuery{Page: store.Page{Limit: 1}})
	if err == nil {
		_, _, err = st.ListSources(ctx, store.Page{Limit: 1})
	}
	if err != nil {
		return fmt.Errorf("restored into %s, but the master key does not open its secrets (%v): serve it with the %s (or EVENTGATE_MASTER_KEY) of the node the backup was taken from", dir, err, secret.KeyFile)
	}
	return nil
}
