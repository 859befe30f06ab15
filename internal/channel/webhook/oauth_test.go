package webhook_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/channel/webhook/webhooktest"
	"github.com/eventgate/eventgate/internal/netguard"
)

var allowAll = webhook.Options{Guard: netguard.Guard{AllowPrivate: true}}

func oauthChannel(ts *webhooktest.TokenServer, scope string) func(*webhook.Config) {
	return func(c *webhook.Config) {
		c.Auth = webhook.Auth{Type: webhook.AuthOAuth2, TokenURL: ts.TokenURL(), ClientID: ts.ClientID, ClientSecret: ts.ClientSecret(), Scope: scope}
	}
}

func TestOAuth2TokenIsReusedUntilItExpires(t *testing.T) {
	ts := webhooktest.NewTokenServer(t)
	// oauth2 counts a token as expired 10 s early, so this one lives 2 s.
	ts.ExpiresIn.Store(12)
	rc := newReceiver(t, always(http.StatusNoContent))
	s := webhook.New(allowAll)
	sub := subscription(rc.URL, oauthChannel(ts, "orders:write events"))

	fetched := time.Now()
	for range 3 {
		if r := send(s, sub); !r.OK {
			t.Fatalf("send: %+v", r)
		}
	}
	if ts.Issued() != 1 {
		t.Fatalf("%d tokens fetched for 3 deliveries, want 1 reused", ts.Issued())
	}
	time.Sleep(time.Until(fetched.Add(2100 * time.Millisecond)))
	if r := send(s, sub); !r.OK {
		t.Fatalf("send after expiry: %+v", r)
	}
	want := []string{"Bearer token-1", "Bearer token-1", "Bearer token-1", "Bearer token-2"}
	if got := rc.authorizations(); !slices.Equal(got, want) || ts.Issued() != 2 {
		t.Fatalf("receiver got %q with %d tokens fetched, want %q: an expired token must be replaced", got, ts.Issued(), want)
	}
	if got := ts.Scopes(); got[0] != "orders:write events" {
		t.Fatalf("token request scope %q", got[0])
	}
}

func TestOAuth2RefusedTokenIsRenewedOnce(t *testing.T) {
	ts := webhooktest.NewTokenServer(t)
	var acceptNone atomic.Bool
	rc := newReceiver(t, func(auth string) int {
		if auth == "Bearer token-1" || acceptNone.Load() {
			return http.StatusUnauthorized // token-1 was revoked before it expired
		}
		return http.StatusNoContent
	})
	s := webhook.New(allowAll)
	sub := subscription(rc.URL, oauthChannel(ts, ""))

	if r := send(s, sub); !r.OK {
		t.Fatalf("a revoked token must be replaced and the request made again: %+v", r)
	}
	if got, want := rc.authorizations(), []string{"Bearer token-1", "Bearer token-2"}; !slices.Equal(got, want) {
		t.Fatalf("receiver got %q, want %q", got, want)
	}

	acceptNone.Store(true)
	r := send(s, sub)
	if r.OK || r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("result %+v, want the 401", r)
	}
	if got := rc.authorizations()[2:]; !slices.Equal(got, []string{"Bearer token-2", "Bearer token-3"}) || ts.Issued() != 3 {
		t.Fatalf("after a 401 the request is made once more, not again and again: receiver got %q, %d tokens", got, ts.Issued())
	}
}

func TestOAuth2TokenEndpointFailureIsTheAttemptError(t *testing.T) {
	ts := webhooktest.NewTokenServer(t)
	ts.Fail.Store(true)
	rc := newReceiver(t, always(http.StatusNoContent))
	r := send(webhook.New(allowAll), subscription(rc.URL, oauthChannel(ts, "")))
	if r.OK || r.Err == nil || !strings.Contains(r.Err.Error(), "token endpoint") || !strings.Contains(r.Err.Error(), ts.TokenURL()) {
		t.Fatalf("result %+v, want an error naming the token endpoint", r)
	}
	if n := len(rc.authorizations()); n != 0 {
		t.Fatalf("the receiver got %d requests without a token", n)
	}
}

func TestOAuth2ChangedSecretGetsNewToken(t *testing.T) {
	ts := webhooktest.NewTokenServer(t)
	rc := newReceiver(t, always(http.StatusNoContent))
	s := webhook.New(allowAll)
	sub := subscription(rc.URL, oauthChannel(ts, ""))
	if r := send(s, sub); !r.OK {
		t.Fatalf("send: %+v", r)
	}
	ts.RotateSecret("client-secret-2") // at the provider, then in the subscription
	sub.Channel.Config.(*webhook.Config).Auth.ClientSecret = "client-secret-2"
	if r := send(s, sub); !r.OK || ts.Issued() != 2 {
		t.Fatalf("result %+v with %d tokens; a changed secret must fetch a new token", r, ts.Issued())
	}
}

// TestOAuth2TokenURLPassesTheGuard: the token request is a request the
// gateway makes on a subscriber's say-so, like the delivery itself.
func TestOAuth2TokenURLPassesTheGuard(t *testing.T) {
	ts := webhooktest.NewTokenServer(t)
	s := webhook.New(webhook.Options{Guard: netguard.Guard{}})
	r := send(s, subscription("https://partner.example/hook", oauthChannel(ts, "")))
	if !errors.Is(r.Err, netguard.ErrForbidden) || !strings.Contains(r.Err.Error(), "token endpoint") || ts.Issued() != 0 {
		t.Fatalf("result %+v, want the loopback token endpoint refused", r)
	}
}
