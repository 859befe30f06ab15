package source

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/sign"
)

// Verification types.
const (
	// StandardWebhooks checks webhook-id, webhook-timestamp and
	// webhook-signature against a whsec_ secret, timestamp tolerance included.
	StandardWebhooks = "standard-webhooks"
	// HMAC checks an HMAC of the raw body carried in one header, as GitHub,
	// Shopify or Stripe-less providers send it. It has no timestamp.
	HMAC = "hmac"
)

// Verify says how a source tells its provider's requests from forgeries.
type Verify struct {
	Type string `json:"type"`
	// Secret is kept apart from the rest: stored in a column of its own (so
	// it can be encrypted there) and never shown after creation.
	Secret string `json:"-"`
	// PreviousSecret is the secret a rotation replaced: it keeps verifying
	// until PreviousExpiresAt, so the provider can switch without a gap.
	// Stored apart like Secret, never shown.
	PreviousSecret    string    `json:"-"`
	PreviousExpiresAt time.Time `json:"previous_secret_expires_at,omitzero"`
	// The rest applies to HMAC only: the header carrying the signature, the
	// hash, how the signature is written, and what precedes it ("sha256=").
	Header    string `json:"header,omitempty"`
	Algorithm string `json:"algorithm,omitempty"`
	Encoding  string `json:"encoding,omitempty"`
	Prefix    string `json:"prefix,omitempty"`
}

var algorithms = map[string]func() hash.Hash{"sha256": sha256.New, "sha1": sha1.New, "sha512": sha512.New}

var encodings = map[string]func(string) ([]byte, error){"hex": hex.DecodeString, "base64": base64.StdEncoding.DecodeString}

// Limits of a verification definition.
const (
	MaxSecretLength = 1024
	MaxPrefixLength = 64
)

// headerName is an HTTP field name (RFC 9110 token).
var headerName = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$")

func (v *Verify) applyDefaults() {
	if v.Type != HMAC {
		return
	}
	if v.Algorithm == "" {
		v.Algorithm = "sha256"
	}
	if v.Encoding == "" {
		v.Encoding = "hex"
	}
}

func (v *Verify) validate(p *event.Problems) {
	switch {
	case v.Secret == "":
		p.Add("verify.secret", "is required: the secret the provider signs with")
	case len(v.Secret) > MaxSecretLength:
		p.Add("verify.secret", fmt.Sprintf("is longer than %d characters", MaxSecretLength))
	}
	switch v.Type {
	case HMAC:
		v.validateHMAC(p)
	case StandardWebhooks:
		if _, err := sign.ParseSecret(v.Secret); err != nil && v.Secret != "" {
			p.Add("verify.secret", err.Error())
		}
		for _, f := range []struct{ name, value string }{{"header", v.Header}, {"algorithm", v.Algorithm}, {"encoding", v.Encoding}, {"prefix", v.Prefix}} {
			if f.value != "" {
				p.Add("verify."+f.name, "applies to hmac sources only; Standard Webhooks fixes the headers and the algorithm")
			}
		}
	case "":
		p.Add("verify.type", `is required: "hmac" or "standard-webhooks"`)
	default:
		p.Add("verify.type", fmt.Sprintf(`must be "hmac" or "standard-webhooks", not %q`, v.Type))
	}
}

func (v *Verify) validateHMAC(p *event.Problems) {
	switch {
	case v.Header == "":
		p.Add("verify.header", `is required for hmac sources: the header carrying the signature, e.g. "x-hub-signature-256"`)
	case !headerName.MatchString(v.Header):
		p.Add("verify.header", fmt.Sprintf("%q is not an HTTP header name", v.Header))
	}
	if algorithms[v.Algorithm] == nil {
		p.Add("verify.algorithm", fmt.Sprintf(`must be "sha256", "sha1" or "sha512", not %q`, v.Algorithm))
	}
	if encodings[v.Encoding] == nil {
		p.Add("verify.encoding", fmt.Sprintf(`must be "hex" or "base64", not %q`, v.Encoding))
	}
	if len(v.Prefix) > MaxPrefixLength {
		p.Add("verify.prefix", fmt.Sprintf("is longer than %d characters", MaxPrefixLength))
	}
}

// Rejection is a request that does not prove it comes from the provider.
// Its reason helps whoever configures the provider; it never holds the
// secret or the expected signature.
type Rejection struct {
	Reason string
	// Stale says the signature may be right but the timestamp is outside
	// the tolerance: a replay, or a skewed clock.
	Stale bool
}

func (r *Rejection) Error() string { return r.Reason }

func reject(format string, args ...any) error {
	return &Rejection{Reason: fmt.Sprintf(format, args...)}
}

// Check verifies a request's signature over its raw body, with the secret
// or, during a rotation's overlap, the previous one; a failure is a
// *Rejection, and says what the current secret found wrong.
func (v *Verify) Check(h http.Header, body []byte, now time.Time) error {
	err := v.checkWith(v.Secret, h, body, now)
	var rejection *Rejection
	if err != nil && v.PreviousSecret != "" && now.Before(v.PreviousExpiresAt) && errors.As(err, &rejection) && !rejection.Stale {
		if v.checkWith(v.PreviousSecret, h, body, now) == nil {
			return nil
		}
	}
	return err
}

// Rotate makes secret the one that verifies; the current one keeps
// verifying beside it for overlap (none when overlap is 0).
func (v *Verify) Rotate(secret string, overlap time.Duration, now time.Time) {
	v.PreviousSecret, v.PreviousExpiresAt = "", time.Time{}
	if overlap > 0 {
		v.PreviousSecret, v.PreviousExpiresAt = v.Secret, now.Add(overlap).UTC().Truncate(time.Microsecond)
	}
	v.Secret = secret
}

func (v *Verify) checkWith(secret string, h http.Header, body []byte, now time.Time) error {
	if v.Type == StandardWebhooks {
		return checkStandardWebhooks(secret, h, body, now)
	}
	return v.checkHMAC(secret, h, body)
}

func (v *Verify) checkHMAC(secret string, h http.Header, body []byte) error {
	value := h.Get(v.Header)
	if value == "" {
		return reject("the %s header is missing; the provider must sign each request", v.Header)
	}
	encoded, ok := strings.CutPrefix(value, v.Prefix)
	if !ok {
		return reject("the %s header does not start with %q", v.Header, v.Prefix)
	}
	got, err := encodings[v.Encoding](encoded)
	if err != nil {
		return reject("the signature in the %s header is not %s", v.Header, v.Encoding)
	}
	mac := hmac.New(algorithms[v.Algorithm], []byte(secret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return reject("the signature in the %s header does not match the body; check that the provider and this source share the secret", v.Header)
	}
	return nil
}

func checkStandardWebhooks(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := sign.ParseSecret(secret)
	if err != nil {
		return err // validated at creation: a stored secret that no longer parses is the gateway's fault
	}
	err = key.Verify(h.Get(StandardWebhooksID), h.Get("webhook-timestamp"), h.Get("webhook-signature"), body, now)
	if errors.Is(err, sign.ErrTimestamp) {
		return &Rejection{Reason: err.Error(), Stale: true}
	}
	if err != nil {
		return &Rejection{Reason: err.Error()}
	}
	return nil
}
