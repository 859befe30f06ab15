// Package secret encrypts secrets at rest with AES-256-GCM under one
// master key, so a copy of the database alone reveals none of them.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// sealedPrefix marks a sealed value; the version lets the scheme change.
const sealedPrefix = "enc:v1:"

// KeyFile is the master key's file in the data directory when
// EVENTGATE_MASTER_KEY is not set.
const KeyFile = "master.key"

// Box seals and opens secrets.
type Box struct{ aead cipher.AEAD }

// NewBox returns a box for a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("the master key must be 32 bytes (base64 of 32 random bytes, e.g. from: openssl rand -base64 32), not %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// ErrNoKeyFile means EVENTGATE_MASTER_KEY is not set and the data
// directory holds no key file.
var ErrNoKeyFile = errors.New("no master key: EVENTGATE_MASTER_KEY is not set and the data directory has no " + KeyFile)

// ReadKey returns the master key: from encoded (base64, as in
// EVENTGATE_MASTER_KEY) when it is set, else from the key file in dir;
// ErrNoKeyFile when there is none.
func ReadKey(encoded, dir string) ([]byte, error) {
	if encoded != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
		if err != nil {
			return nil, fmt.Errorf("EVENTGATE_MASTER_KEY is not base64: %v", err)
		}
		return key, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, KeyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoKeyFile
	}
	if err != nil {
		return nil, fmt.Errorf("read master key: %w", err)
	}
	return ReadKey(string(b), "")
}

// CreateKeyFile makes a new master key and writes it to the key file in
// dir, mode 0600; it never replaces an existing one.
func CreateKeyFile(dir string) ([]byte, error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	// O_EXCL: two processes starting at once must not each write a key.
	f, err := os.OpenFile(filepath.Join(dir, KeyFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create master key file: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		return nil, err
	}
	return key, f.Sync()
}

// Seal encrypts a secret; sealing a sealed value or "" returns it as is.
func (b *Box) Seal(plain string) string {
	if plain == "" || strings.HasPrefix(plain, sealedPrefix) {
		return plain
	}
	nonce := make([]byte, b.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := b.aead.Seal(nonce, nonce, []byte(plain), nil)
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out)
}

// ErrWrongKey means a sealed value does not open with this master key.
var ErrWrongKey = errors.New("a stored secret does not decrypt with this master key (was EVENTGATE_MASTER_KEY or master.key changed?)")

// Open decrypts a sealed secret; a value that was never sealed (stored
// before encryption was turned on) is returned as is.
func (b *Box) Open(stored string) (string, error) {
	rest, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return stored, nil
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", ErrWrongKey
	}
	plain, err := b.aead.Open(nil, raw[:b.aead.NonceSize()], raw[b.aead.NonceSize():], nil)
	if err != nil {
		return "", ErrWrongKey
	}
	return string(plain), nil
}
