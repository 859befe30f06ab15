package sealed_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/secret"
	"github.com/eventgate/eventgate/internal/source"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/sealed"
	"github.com/eventgate/eventgate/internal/store/sqlite"
	"github.com/eventgate/eventgate/internal/store/storetest"
)

func open(t *testing.T, dir string) store.Store {
	inner, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	key, err := secret.ReadKey("", dir)
	if errors.Is(err, secret.ErrNoKeyFile) {
		key, err = secret.CreateKeyFile(dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	box, _ := secret.NewBox(key)
	return sealed.New(inner, box)
}

// TestBehavesLikeTheStore: the decorator changes nothing a caller sees.
func TestBehavesLikeTheStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, t.TempDir()) })
}

// TestSecretsAreNotInTheDatabaseFile writes a subscription and checks the
// database file holds no trace of its secret, while reads return it.
func TestSecretsAreNotInTheDatabaseFile(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	const signing = "whsec_dGhpcyBpcyB0aGUgc2lnbmluZyBzZWNyZXQhIQ=="
	const clientSecret = "oauth-client-secret-that-must-not-leak"
	now := time.Now().UTC()
	sub := &event.Subscription{ID: "sub_1", Name: "x", Status: event.Active, Channel: event.Channel{Type: "webhook", Config: &webhook.Config{URL: "https://example.com",
		Auth: webhook.Auth{Type: webhook.AuthOAuth2, TokenURL: "https://example.com/token", ClientID: "id", ClientSecret: clientSecret}}},
		Secrets: []event.Secret{{Value: signing}}, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateSubscription(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	if sub.Secrets[0].Value != signing {
		t.Fatal("sealing changed the caller's subscription")
	}
	got, err := s.GetSubscription(context.Background(), "sub_1")
	if err != nil || got.Secrets[0].Value != signing || got.Channel.Config.(*webhook.Config).Auth.ClientSecret != clientSecret {
		t.Fatalf("read back %+v %+v, %v", got.Secrets, got.Channel.Config, err)
	}
	all, _ := s.AllSubscriptions(context.Background())
	if all[0].Secrets[0].Value != signing {
		t.Fatal("AllSubscriptions did not decrypt")
	}

	// A source's secret and, after a rotation, the one it replaced.
	const oldSourceSecret, newSourceSecret = "old-source-secret-that-must-not-leak", "new-source-secret-that-must-not-leak"
	src := &source.Source{ID: "src_1", Name: "s", EventType: source.Locator{Literal: "a.b"}, CreatedAt: now,
		Verify: source.Verify{Type: source.HMAC, Secret: oldSourceSecret, Header: "x-sig", Algorithm: "sha256", Encoding: "hex"}}
	if err := s.CreateSource(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	src.Verify.Rotate(newSourceSecret, time.Hour, now)
	if err := s.UpdateSource(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetSource(context.Background(), "src_1"); err != nil || got.Verify.Secret != newSourceSecret || got.Verify.PreviousSecret != oldSourceSecret {
		t.Fatalf("source read back %+v, %v", got, err)
	}

	for _, name := range []string{sqlite.FileName, sqlite.FileName + "-wal"} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		for _, secret := range []string{signing, "dGhpcyBpcyB0aGUgc2lnbmluZyBzZWNyZXQ", clientSecret, oldSourceSecret, newSourceSecret,
			base64.StdEncoding.EncodeToString([]byte(oldSourceSecret))[:24]} {
			if bytes.Contains(b, []byte(secret)) {
				t.Fatalf("%s holds a secret in clear text: %s", name, secret)
			}
		}
	}
}
