// Package auth makes and checks API keys. Keys carry a readable prefix
// (eg_adm_, eg_pub_, eg_ptn_) so a leaked key is recognisable by secret
// scanners; only their SHA-256 is stored.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// Scopes of API keys.
const (
	ScopeAdmin     = "admin"
	ScopePublisher = "publisher"
	ScopePartner   = "partner"
)

var scopePrefix = map[string]string{ScopeAdmin: "eg_adm_", ScopePublisher: "eg_pub_", ScopePartner: "eg_ptn_"}

// ErrUnauthenticated is a missing, unknown, expired or malformed key.
var ErrUnauthenticated = errors.New("unauthenticated")

// Hash is what is stored of a key: SHA-256 suffices for 256-bit random
// secrets, which no dictionary or brute force reaches.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// NewKey returns a fresh secret and its stored form.
func NewKey(scope, name string) (string, *store.Key) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	secret := scopePrefix[scope] + base64.RawURLEncoding.EncodeToString(raw)
	return secret, FromSecret(secret, scope, name)
}

// FromSecret returns the stored form of a given secret (for a key the
// operator chose, such as EVENTGATE_ADMIN_KEY).
func FromSecret(secret, scope, name string) *store.Key {
	return &store.Key{
		ID: event.NewID(event.PrefixKey), Name: name, Scope: scope,
		Prefix: secret[:min(len(secret), 11)], Hash: Hash(secret), CreatedAt: time.Now().UTC(),
	}
}

// Authenticate finds the key a bearer secret names.
func Authenticate(ctx context.Context, keys store.Keys, secret string, now time.Time) (*store.Key, error) {
	if len(secret) < 16 || len(secret) > 256 {
		return nil, ErrUnauthenticated
	}
	hash := Hash(secret)
	k, err := keys.KeyByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	// The lookup found the row by hash; comparing again in constant time
	// keeps a store that matched loosely from letting a wrong key through.
	if subtle.ConstantTimeCompare(k.Hash, hash) != 1 || (k.ExpiresAt != nil && now.After(*k.ExpiresAt)) {
		return nil, ErrUnauthenticated
	}
	return k, nil
}

// BearerToken extracts the secret of an "Authorization: Bearer <key>" header.
func BearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
