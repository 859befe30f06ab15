package webhook_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/channel/webhook/webhooktest"
	"github.com/eventgate/eventgate/internal/netguard"
)

// TestEgressProxyCarriesDeliveriesAndTokenRequests: neither host exists,
// so only a request that went through the proxy can succeed. The proxy
// itself is on loopback, which the guard would refuse as a destination.
func TestEgressProxyCarriesDeliveriesAndTokenRequests(t *testing.T) {
	tokens := webhooktest.NewTokenServer(t)
	rc := newReceiver(t, always(http.StatusNoContent))
	proxy := webhooktest.NewProxy(t, map[string]http.Handler{"auth.example": tokens.Config.Handler, "partner.example": rc.Config.Handler})
	proxyURL, _ := url.Parse(proxy.URL)
	s := webhook.New(webhook.Options{Guard: netguard.Guard{}, Proxy: proxyURL})

	sub := subscription("http://partner.example/hook", func(c *webhook.Config) {
		c.Auth = webhook.Auth{Type: webhook.AuthOAuth2, TokenURL: "http://auth.example/token", ClientID: tokens.ClientID, ClientSecret: tokens.ClientSecret()}
	})
	if r := send(s, sub); !r.OK {
		t.Fatalf("send through the proxy: %+v", r)
	}
	want := []string{"POST http://auth.example/token", "POST http://partner.example/hook"}
	if got := proxy.Seen(); !slices.Equal(got, want) {
		t.Fatalf("proxy carried %q, want %q", got, want)
	}
	if got := rc.authorizations(); !slices.Equal(got, []string{"Bearer token-1"}) {
		t.Fatalf("receiver got %q", got)
	}
}
