package sqlite_test

import (
	"context"
	"strings"
	"testing"

	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/sqlite"
	"github.com/eventgate/eventgate/internal/store/storetest"
)

func open(t *testing.T) store.Store {
	s, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) { storetest.Run(t, open) }

func TestDataDirectoryIsLocked(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := sqlite.Open(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "in use by another eventgate process") {
		t.Fatalf("second open: %v, want a clear 'in use' error", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateKey(context.Background(), &store.Key{ID: "key_1", Name: "k", Scope: "admin", Prefix: "p", Hash: []byte("h")}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("reopen (migrations must be idempotent): %v", err)
	}
	defer s.Close()
	if n, _ := s.CountKeys(context.Background(), "admin"); n != 1 {
		t.Fatalf("after reopen: %d keys, want 1", n)
	}
}
