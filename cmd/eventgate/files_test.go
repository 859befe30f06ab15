package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDataFilesArePrivate: after a real start, the data directory is 0700
// and the database, its -wal and -shm, and master.key are 0600, also when
// the directory existed wider before.
func TestDataFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	g := start(t, dir, "EVENTGATE_ADMIN_KEY="+key)
	g.subscribe("http://127.0.0.1:9/hook", 1) // a write, so that the WAL holds something
	modes := map[string]os.FileMode{".": 0o700, "eventgate.db": 0o600, "eventgate.db-wal": 0o600, "eventgate.db-shm": 0o600, "master.key": 0o600}
	for name, want := range modes {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v, want %v", name, got, want)
		}
	}
}

// TestStartWithoutMasterKeyWritesNone: a start that fails for want of the
// master key leaves no new master.key behind, which would stand in the way
// of restoring the real one.
func TestStartWithoutMasterKeyWritesNone(t *testing.T) {
	dir := t.TempDir()
	g := start(t, dir, "EVENTGATE_ADMIN_KEY="+key)
	g.subscribe("http://127.0.0.1:9/hook", 1) // its signing secret is sealed with master.key
	g.cmd.Process.Signal(syscall.SIGTERM)
	<-g.exited
	keyFile := filepath.Join(dir, "master.key")
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	cmd.Env = append(os.Environ(), "EVENTGATE_ADMIN_KEY="+key, "EVENTGATE_MASTER_KEY=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "restore master.key") {
		t.Fatalf("a start without the master key of a store with secrets: %v\n%s", err, out)
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Fatalf("the failed start wrote a master.key: %v", err)
	}

	empty := t.TempDir()
	cmd = exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--data", empty, "--database", "postgres://127.0.0.1:1/none")
	cmd.Env = append(os.Environ(), "EVENTGATE_MASTER_KEY=")
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "EVENTGATE_MASTER_KEY") {
		t.Fatalf("--database without EVENTGATE_MASTER_KEY: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(empty, "master.key")); !os.IsNotExist(err) {
		t.Fatalf("the refused start wrote a master.key: %v", err)
	}
}
