package secret_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventgate/eventgate/internal/secret"
)

func TestSealOpen(t *testing.T) {
	key, err := secret.CreateKeyFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	box, _ := secret.NewBox(key)
	sealed := box.Seal("whsec_abc")
	if !strings.HasPrefix(sealed, "enc:v1:") || strings.Contains(sealed, "whsec_abc") {
		t.Fatalf("sealed %q", sealed)
	}
	if box.Seal("whsec_abc") == sealed {
		t.Fatal("two seals of one secret are equal: the nonce is not random")
	}
	if box.Seal(sealed) != sealed {
		t.Fatal("sealing twice must not nest")
	}
	if got, err := box.Open(sealed); err != nil || got != "whsec_abc" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if got, _ := box.Open("plain-from-before"); got != "plain-from-before" {
		t.Fatal("an unsealed legacy value must open as itself")
	}
	other, _ := secret.NewBox(bytes.Repeat([]byte{7}, 32))
	if _, err := other.Open(sealed); err != secret.ErrWrongKey {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestKeyFileIsCreatedPrivateAndReused(t *testing.T) {
	dir := t.TempDir()
	if _, err := secret.ReadKey("", dir); err != secret.ErrNoKeyFile {
		t.Fatalf("ReadKey without a key file: %v, want ErrNoKeyFile", err)
	}
	k1, err := secret.CreateKeyFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := secret.CreateKeyFile(dir); err == nil {
		t.Fatal("CreateKeyFile replaced an existing key file")
	}
	info, err := os.Stat(filepath.Join(dir, secret.KeyFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", info.Mode().Perm(), err)
	}
	k2, _ := secret.ReadKey("", dir)
	if !bytes.Equal(k1, k2) || len(k1) != 32 {
		t.Fatal("the key file was not reused")
	}
	if _, err := secret.ReadKey("not base64!", dir); err == nil {
		t.Fatal("a malformed EVENTGATE_MASTER_KEY was accepted")
	}
	short, _ := secret.ReadKey("c2hvcnQ=", dir)
	if _, err := secret.NewBox(short); err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Fatalf("short key: %v", err)
	}
}
