package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/channel/webhook/webhooktest"
	"github.com/eventgate/eventgate/internal/gateway"
)

func TestDestinationAuthReachesReceiver(t *testing.T) {
	tokens := webhooktest.NewTokenServer(t)
	cases := []struct {
		name   string
		auth   map[string]any
		header string
		want   string
	}{
		{"basic", map[string]any{"type": "basic", "username": "eventgate", "password": "pa55"}, "Authorization", "Basic ZXZlbnRnYXRlOnBhNTU="},
		{"api_key", map[string]any{"type": "api_key", "header": "X-Api-Key", "value": "k-123"}, "X-Api-Key", "k-123"},
		{"bearer", map[string]any{"type": "bearer", "token": "t-456"}, "Authorization", "Bearer t-456"},
		{"oauth2", map[string]any{"type": "oauth2_client_credentials", "token_url": tokens.TokenURL(), "client_id": tokens.ClientID, "client_secret": tokens.ClientSecret()},
			"Authorization", "Bearer token-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, rc := newEnv(t), newReceiver(t, nil)
			e.subscribe(rc.URL, map[string]any{"channel": map[string]any{"type": "webhook", "url": rc.URL, "auth": c.auth}})
			e.waitStatus(e.publish("order.created", `{}`), "succeeded")
			if got := rc.requests()[0].Header.Get(c.header); got != c.want {
				t.Fatalf("%s: %q, want %q", c.header, got, c.want)
			}
		})
	}
}

// secretSubscription has a secret in every field that can hold one.
func secretSubscription(t *testing.T) (body map[string]any, secrets []string) {
	certPEM, keyPEM := webhooktest.NewCA(t).Issue(t, "partner")
	body = map[string]any{"name": "secretive", "channel": map[string]any{
		"type": "webhook", "url": "https://partner.example.com/hook",
		"auth":        map[string]any{"type": "oauth2_client_credentials", "token_url": "https://auth.example.com/token", "client_id": "eventgate", "client_secret": "s3cret-client"},
		"client_cert": map[string]any{"cert_pem": certPEM, "key_pem": keyPEM},
	}}
	return body, []string{"s3cret-client", strings.TrimSpace(strings.Split(keyPEM, "\n")[1])}
}

func TestSubscriptionAnswersNeverCarryChannelSecrets(t *testing.T) {
	e := newEnv(t)
	body, secrets := secretSubscription(t)
	basic := map[string]any{"name": "basic", "channel": map[string]any{"type": "webhook", "url": "https://partner.example.com/b",
		"auth": map[string]any{"type": "basic", "username": "u", "password": "pa55word"}}}
	secrets = append(secrets, "pa55word")

	answers := map[string][]byte{}
	answer := func(name string, status int, method, path string, body any) []byte {
		code, _, b := e.do(method, path, body)
		if code != status {
			t.Fatalf("%s = %d %s", name, code, b)
		}
		answers[name] = b
		return b
	}
	var sub subscription
	_ = json.Unmarshal(answer("create", http.StatusCreated, "POST", "/v1/subscriptions", body), &sub)
	if sub.Secret == "" {
		t.Fatal("the create answer must still show the signing secret once")
	}
	answer("create basic", http.StatusCreated, "POST", "/v1/subscriptions", basic)
	answer("get", http.StatusOK, "GET", "/v1/subscriptions/"+sub.ID, nil)
	answer("list", http.StatusOK, "GET", "/v1/subscriptions", nil)
	answer("patch", http.StatusOK, "PATCH", "/v1/subscriptions/"+sub.ID, map[string]any{"name": "renamed"})
	answer("pause", http.StatusOK, "POST", "/v1/subscriptions/"+sub.ID+"/pause", nil)
	answer("rotate", http.StatusOK, "POST", "/v1/subscriptions/"+sub.ID+"/rotate-secret", nil)

	for name, b := range answers {
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s answer carries the secret %q: %s", name, s, b)
			}
		}
		if !strings.Contains(string(b), `"********"`) {
			t.Errorf("%s answer shows no redacted secret: %s", name, b)
		}
	}
	var got struct {
		Channel struct {
			Auth       map[string]string `json:"auth"`
			ClientCert map[string]string `json:"client_cert"`
		}
	}
	_ = json.Unmarshal(answers["get"], &got)
	if got.Channel.Auth["client_id"] != "eventgate" || got.Channel.Auth["token_url"] != "https://auth.example.com/token" || !strings.Contains(got.Channel.ClientCert["cert_pem"], "BEGIN CERTIFICATE") {
		t.Fatalf("redaction must keep what is not secret: %+v", got.Channel)
	}
}

// TestRedactedSecretSentBack: a client may send back the channel it read;
// the stored secrets stay, but only while they go where they went before.
func TestRedactedSecretSentBack(t *testing.T) {
	e := newEnv(t)
	body, _ := secretSubscription(t)
	var sub subscription
	e.must(http.StatusCreated, "POST", "/v1/subscriptions", body, &sub)
	var read struct{ Channel map[string]any }
	e.must(http.StatusOK, "GET", "/v1/subscriptions/"+sub.ID, nil, &read)

	read.Channel["timeout"] = "5s"
	e.must(http.StatusOK, "PATCH", "/v1/subscriptions/"+sub.ID, map[string]any{"channel": read.Channel}, nil)
	stored, err := e.st.GetSubscription(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	storedWebhook := stored.Channel.Config.(*webhook.Config)
	if storedWebhook.Auth.ClientSecret != "s3cret-client" || !strings.Contains(storedWebhook.ClientCert.KeyPEM, "PRIVATE KEY") || storedWebhook.Timeout.D().String() != "5s" {
		t.Fatalf("stored channel after sending back the redacted one: %+v", stored.Channel)
	}

	read.Channel["auth"].(map[string]any)["token_url"] = "https://attacker.example.net/token"
	code, _, b := e.do("PATCH", "/v1/subscriptions/"+sub.ID, map[string]any{"channel": read.Channel})
	var p problem
	_ = json.Unmarshal(b, &p)
	if code != http.StatusUnprocessableEntity || !hasField(p, "channel.auth.client_secret") {
		t.Fatalf("a redacted secret with a new token_url = %d %s, want 422 on channel.auth.client_secret", code, b)
	}
}

func TestDestinationValidation(t *testing.T) {
	e := newEnv(t)
	certPEM, keyPEM := webhooktest.NewCA(t).Issue(t, "partner")
	const https = "https://partner.example.com/hook"
	cases := []struct {
		name    string
		channel map[string]any
		fields  []string
	}{
		{"unknown type", map[string]any{"auth": map[string]any{"type": "digest"}}, []string{"channel.auth.type"}},
		{"basic, empty", map[string]any{"auth": map[string]any{"type": "basic"}}, []string{"channel.auth.username", "channel.auth.password"}},
		{"basic, colon", map[string]any{"auth": map[string]any{"type": "basic", "username": "a:b", "password": "p"}}, []string{"channel.auth.username"}},
		{"api_key, empty", map[string]any{"auth": map[string]any{"type": "api_key"}}, []string{"channel.auth.header", "channel.auth.value"}},
		{"api_key, reserved header", map[string]any{"auth": map[string]any{"type": "api_key", "header": "Webhook-Signature", "value": "v"}}, []string{"channel.auth.header"}},
		{"api_key, bad header", map[string]any{"auth": map[string]any{"type": "api_key", "header": "X Key", "value": "v"}}, []string{"channel.auth.header"}},
		{"bearer, empty", map[string]any{"auth": map[string]any{"type": "bearer"}}, []string{"channel.auth.token"}},
		{"bearer, line break", map[string]any{"auth": map[string]any{"type": "bearer", "token": "a\r\nX-Evil: 1"}}, []string{"channel.auth.token"}},
		{"bearer and an Authorization header", map[string]any{"auth": map[string]any{"type": "bearer", "token": "t"}, "headers": map[string]string{"authorization": "x"}}, []string{"channel.headers.authorization"}},
		{"oauth2, empty", map[string]any{"auth": map[string]any{"type": "oauth2_client_credentials"}}, []string{"channel.auth.token_url", "channel.auth.client_id", "channel.auth.client_secret"}},
		{"oauth2, not a URL", map[string]any{"auth": map[string]any{"type": "oauth2_client_credentials", "token_url": "ftp://auth.example.com/t", "client_id": "c", "client_secret": "s"}}, []string{"channel.auth.token_url"}},
		{"redaction placeholder, nothing stored", map[string]any{"auth": map[string]any{"type": "bearer", "token": "********"}}, []string{"channel.auth.token"}},
		{"client cert, not PEM", map[string]any{"client_cert": map[string]any{"cert_pem": "nope", "key_pem": "nope"}}, []string{"channel.client_cert"}},
		{"client cert, key of another cert", map[string]any{"client_cert": map[string]any{"cert_pem": certPEM, "key_pem": otherKey(t)}}, []string{"channel.client_cert"}},
		{"client cert over http", map[string]any{"url": "http://partner.example.com/hook", "client_cert": map[string]any{"cert_pem": certPEM, "key_pem": keyPEM}}, []string{"channel.client_cert"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := map[string]any{"type": "webhook", "url": https}
			for k, v := range c.channel {
				ch[k] = v
			}
			code, _, b := e.do("POST", "/v1/subscriptions", map[string]any{"name": "bad", "channel": ch})
			var p problem
			if code != http.StatusUnprocessableEntity || json.Unmarshal(b, &p) != nil {
				t.Fatalf("= %d %s, want 422", code, b)
			}
			var got []string
			for _, f := range p.Errors {
				got = append(got, f.Field)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(c.fields))
			if !slices.Equal(got, want) {
				t.Fatalf("fields %q, want %q: %s", got, want, b)
			}
		})
	}
	e.must(http.StatusCreated, "POST", "/v1/subscriptions", map[string]any{"name": "good", "channel": map[string]any{"type": "webhook", "url": https,
		"client_cert": map[string]any{"cert_pem": certPEM, "key_pem": keyPEM}}}, nil)
}

func otherKey(t *testing.T) string {
	_, key := webhooktest.NewCA(t).Issue(t, "other")
	return key
}

func TestTokenURLMustBePublicHTTPS(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) { c.AllowPrivateTargets = false })
	for tokenURL, wantCode := range map[string]int{
		"https://127.0.0.1/token":          http.StatusUnprocessableEntity,
		"https://localhost:8443/token":     http.StatusUnprocessableEntity,
		"https://169.254.169.254/token":    http.StatusUnprocessableEntity,
		"http://auth.example.com/token":    http.StatusUnprocessableEntity, // the client secret would travel in clear
		"https://auth.example.com/token":   http.StatusCreated,
		"https://93.184.216.34:8443/token": http.StatusCreated,
	} {
		code, _, b := e.do("POST", "/v1/subscriptions", map[string]any{"name": "oauth", "channel": map[string]any{"type": "webhook", "url": "https://partner.example.com/hook",
			"auth": map[string]any{"type": "oauth2_client_credentials", "token_url": tokenURL, "client_id": "c", "client_secret": "s"}}})
		var p problem
		_ = json.Unmarshal(b, &p)
		if code != wantCode || (wantCode == http.StatusUnprocessableEntity && !hasField(p, "channel.auth.token_url")) {
			t.Errorf("token_url %s = %d %s, want %d", tokenURL, code, b, wantCode)
		}
	}
}

// TestEgressProxyCarriesDeliveries: partner.example does not resolve, so
// the delivery succeeds only through the proxy.
func TestEgressProxyCarriesDeliveries(t *testing.T) {
	rc := newReceiver(t, nil)
	proxy := webhooktest.NewProxy(t, map[string]http.Handler{"partner.example": rc.Config.Handler})
	proxyURL, _ := url.Parse(proxy.URL)
	e := newEnv(t, func(c *gateway.Config) { c.AllowPrivateTargets, c.EgressProxy = false, proxyURL })

	e.subscribe("http://partner.example/hook", nil)
	e.waitStatus(e.publish("order.created", `{}`), "succeeded")
	if got := proxy.Seen(); !slices.Equal(got, []string{"POST http://partner.example/hook"}) {
		t.Fatalf("proxy carried %q", got)
	}
	if n := rc.count(); n != 1 {
		t.Fatalf("receiver got %d deliveries", n)
	}
}
