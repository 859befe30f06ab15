package sign_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/eventgate/eventgate/internal/sign"
)

// TestVerifiedByTheStandardLibrary proves receivers can check our
// signatures with the reference Standard Webhooks library, with either
// secret while two are active.
func TestVerifiedByTheStandardLibrary(t *testing.T) {
	oldSecret, newSecret := sign.NewSecret(), sign.NewSecret()
	var keys []sign.Key
	for _, s := range []string{oldSecret, newSecret} {
		k, err := sign.ParseSecret(s)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	body := []byte(`{"id":"evt_1","type":"order.created","data":{"n":1}}`)
	id, ts, sig := sign.Headers(keys, "evt_1", time.Now(), body)
	if n := len(strings.Fields(sig)); n != 2 {
		t.Fatalf("want one signature per key, got %d: %q", n, sig)
	}
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", sig)
	for _, secret := range []string{oldSecret, newSecret} {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, h); err != nil {
			t.Fatalf("reference library rejects our signature: %v", err)
		}
	}
	wh, _ := standardwebhooks.NewWebhook(sign.NewSecret())
	if err := wh.Verify(body, h); err == nil {
		t.Fatal("a third secret verified the signature")
	}
	tampered := append([]byte{}, body...)
	tampered[10] = 'X'
	wh, _ = standardwebhooks.NewWebhook(newSecret)
	if err := wh.Verify(tampered, h); err == nil {
		t.Fatal("a tampered body verified")
	}
}

func TestParseSecretRejectsBadSecrets(t *testing.T) {
	for _, s := range []string{"", "whsec_", "whsec_!!!", "whsec_c2hvcnQ="} {
		if _, err := sign.ParseSecret(s); err == nil {
			t.Errorf("ParseSecret(%q) accepted a bad secret", s)
		}
	}
	if !strings.HasPrefix(sign.NewSecret(), "whsec_") {
		t.Fatal("new secrets must carry the whsec_ prefix")
	}
}

func BenchmarkSign(b *testing.B) {
	k, _ := sign.ParseSecret(sign.NewSecret())
	body := []byte(strings.Repeat("x", 1024))
	now := time.Now()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		sign.Headers([]sign.Key{k}, "evt_01JABCDEF", now, body)
	}
}

func TestVerify(t *testing.T) {
	secret := sign.NewSecret()
	k, _ := sign.ParseSecret(secret)
	other, _ := sign.ParseSecret(sign.NewSecret())
	body := []byte(`{"a":1}`)
	now := time.Now()
	id, ts, sig := sign.Headers([]sign.Key{other, k}, "evt_1", now, body)
	if err := k.Verify(id, ts, sig, body, now); err != nil {
		t.Fatalf("valid message refused: %v", err)
	}
	// Standard Webhooks' own signature verifies with our Verify too.
	wh, _ := standardwebhooks.NewWebhook(secret)
	theirs, _ := wh.Sign("msg_1", now, body)
	if err := k.Verify("msg_1", ts, theirs, body, now); err != nil {
		t.Fatalf("the reference library's signature refused: %v", err)
	}
	cases := map[string]error{
		"tampered": k.Verify(id, ts, sig, []byte(`{"a":2}`), now),
		"stale":    k.Verify(id, ts, sig, body, now.Add(6*time.Minute)),
		"missing":  k.Verify(id, ts, "", body, now),
		"other id": k.Verify("evt_2", ts, sig, body, now),
	}
	want := map[string]error{"tampered": sign.ErrSignature, "stale": sign.ErrTimestamp, "missing": sign.ErrNoSignature, "other id": sign.ErrSignature}
	for name, err := range cases {
		if err != want[name] {
			t.Errorf("%s: %v, want %v", name, err, want[name])
		}
	}
}
