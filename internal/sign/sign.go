// Package sign implements Standard Webhooks signatures
// (https://www.standardwebhooks.com): receivers can verify eventgate's
// deliveries with any Standard Webhooks or Svix library.
package sign

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix marks a Standard Webhooks secret.
const SecretPrefix = "whsec_"

// secretBytes is the size of generated secrets (the spec asks for 24 to 64).
const secretBytes = 32

// NewSecret returns a fresh random secret in the whsec_ format.
func NewSecret() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Key is a decoded secret, ready to sign.
type Key []byte

// ParseSecret decodes a whsec_ secret.
func ParseSecret(secret string) (Key, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(raw) < 24 {
		return nil, fmt.Errorf("a signing secret must be %q followed by base64 of 24 to 64 bytes", SecretPrefix)
	}
	return raw, nil
}

// Signature returns "v1,<base64 HMAC-SHA256 of id.timestamp.body>".
func (k Key) Signature(id string, ts time.Time, body []byte) string {
	var sig strings.Builder
	k.appendSignature(&sig, id, ts.Unix(), body)
	return sig.String()
}

// encodedSumLen is the length of a SHA-256 sum in padded base64, and
// signatureLen that of one "v1,<base64 HMAC-SHA256>".
const (
	encodedSumLen = (sha256.Size + 2) / 3 * 4
	signatureLen  = len("v1,") + encodedSumLen
)

// appendSignature writes k's signature to sig. It signs on every
// delivery, so it builds the signed prefix and the encoding in place.
func (k Key) appendSignature(sig *strings.Builder, id string, unix int64, body []byte) {
	mac := hmac.New(sha256.New, k)
	prefix := make([]byte, 0, len(id)+24)
	prefix = append(prefix, id...)
	prefix = append(prefix, '.')
	prefix = strconv.AppendInt(prefix, unix, 10)
	prefix = append(prefix, '.')
	mac.Write(prefix)
	mac.Write(body)
	var sum [sha256.Size]byte
	var encoded [encodedSumLen]byte
	base64.StdEncoding.Encode(encoded[:], mac.Sum(sum[:0]))
	sig.WriteString("v1,")
	sig.Write(encoded[:])
}

// Headers returns the webhook-id, webhook-timestamp and webhook-signature
// header values, with one signature per key (several during rotation).
func Headers(keys []Key, id string, ts time.Time, body []byte) (webhookID, timestamp, signature string) {
	var sigs strings.Builder
	sigs.Grow(len(keys) * (signatureLen + 1))
	for i, k := range keys {
		if i > 0 {
			sigs.WriteByte(' ')
		}
		k.appendSignature(&sigs, id, ts.Unix(), body)
	}
	return id, strconv.FormatInt(ts.Unix(), 10), sigs.String()
}

// Tolerance is how far a webhook-timestamp may be from now before a
// signed message is refused as a replay.
const Tolerance = 5 * time.Minute

// Verification errors.
var (
	ErrNoSignature = errors.New("missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrTimestamp   = errors.New("webhook-timestamp is more than 5 minutes from now (a replay, or a skewed clock)")
	ErrSignature   = errors.New("no signature matches the secret")
)

// Verify checks a Standard Webhooks message against a secret: the
// timestamp must be within Tolerance of now and one of the signatures must
// match, compared in constant time.
func (k Key) Verify(id, timestamp, signatures string, body []byte, now time.Time) error {
	if id == "" || timestamp == "" || signatures == "" {
		return ErrNoSignature
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	ts := time.Unix(secs, 0)
	if now.Sub(ts).Abs() > Tolerance {
		return ErrTimestamp
	}
	want := []byte(k.Signature(id, ts, body))
	for _, sig := range strings.Fields(signatures) {
		if hmac.Equal([]byte(sig), want) {
			return nil
		}
	}
	return ErrSignature
}
