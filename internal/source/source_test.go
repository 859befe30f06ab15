package source

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The expected signatures come from outside this code: GitHub's documented
// example (secret, "Hello, World!", sha256) and openssl dgst -hmac.
func TestHMACKnownAnswers(t *testing.T) {
	body := []byte("Hello, World!")
	cases := []struct {
		name      string
		verify    Verify
		signature string
	}{
		{"github sha256 hex", Verify{Header: "X-Hub-Signature-256", Prefix: "sha256="}, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
		{"sha1 hex", Verify{Header: "X-Hub-Signature", Algorithm: "sha1", Prefix: "sha1="}, "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"},
		{"sha512 base64", Verify{Header: "X-Signature", Algorithm: "sha512", Encoding: "base64"},
			"Ee01WmF+mBNOhCASp5RMz1nBAlbLGCNXvX46QgE/8Hw3b4wUz1zBkj2iC1HWQlay+4678QCqZ6YTJvYf6oERvA=="},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := c.verify
			v.Type, v.Secret = HMAC, "It's a Secret to Everybody"
			v.applyDefaults()
			h := http.Header{}
			h.Set(v.Header, c.signature)
			if err := v.Check(h, body, time.Now()); err != nil {
				t.Fatalf("a correct signature was refused: %v", err)
			}
			var rejection *Rejection
			if err := v.Check(h, []byte("Hello, World?"), time.Now()); !errors.As(err, &rejection) || rejection.Stale {
				t.Fatalf("a signature of another body: %v, want a rejection", err)
			}
			v.Secret += "!"
			if err := v.Check(h, body, time.Now()); !errors.As(err, &rejection) || strings.Contains(err.Error(), "Everybody") {
				t.Fatalf("another secret: %v, want a rejection that does not show the secret", err)
			}
		})
	}
}

func TestPaths(t *testing.T) {
	doc := map[string]any{"type": "a", "event": map[string]any{"kind": "b"}, "list": []any{"c"}}
	for path, want := range map[string]any{"$.type": "a", "$.event.kind": "b", "$.missing": nil, "$.type.deeper": nil, "$.list.0": nil} {
		steps, err := parsePath(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if got := lookup(doc, steps); got != want {
			t.Fatalf("%s found %v, want %v", path, got, want)
		}
	}
	for _, bad := range []string{"", "$", "$.", "type", "$..type", "$.a[0]", "$['a']", "$.*", "$.a.", "$." + strings.Repeat("a", 300)} {
		if _, err := parsePath(bad); err == nil {
			t.Fatalf("%q was accepted as a path", bad)
		}
	}
}

// TestRotatedSecretVerifiesUntilItExpires: after a rotation the old secret
// verifies beside the new one until its overlap ends, then not at all.
func TestRotatedSecretVerifiesUntilItExpires(t *testing.T) {
	body := []byte(`{"a":1}`)
	signed := func(secret string) http.Header {
		h := http.Header{}
		h.Set("X-Sig", hexHMAC(secret, body))
		return h
	}
	v := Verify{Type: HMAC, Secret: "old secret", Header: "X-Sig"}
	v.applyDefaults()
	now := time.Now()
	v.Rotate("new secret", time.Hour, now)
	for _, c := range []struct {
		secret string
		at     time.Time
		ok     bool
	}{
		{"new secret", now, true},
		{"old secret", now, true},
		{"old secret", now.Add(59 * time.Minute), true},
		{"old secret", now.Add(time.Hour), false},
		{"new secret", now.Add(time.Hour), true},
		{"a forged secret", now, false},
	} {
		if err := v.Check(signed(c.secret), body, c.at); (err == nil) != c.ok {
			t.Errorf("%s at +%v: %v, want ok=%v", c.secret, c.at.Sub(now), err, c.ok)
		}
	}
	v.Rotate("newest secret", 0, now)
	if err := v.Check(signed("new secret"), body, now); err == nil {
		t.Error("a rotation without overlap still verifies the secret it replaced")
	}
}

func hexHMAC(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
