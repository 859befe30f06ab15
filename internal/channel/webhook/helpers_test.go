package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/eventgate/eventgate/internal/channel"
	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/sign"
)

// subscription is a valid webhook subscription to url, changed by mutate.
func subscription(url string, mutate func(*webhook.Config)) *event.Subscription {
	cfg := &webhook.Config{URL: url}
	s := &event.Subscription{
		ID: event.NewID(event.PrefixSubscription), Name: "test",
		Channel: event.Channel{Type: "webhook", Config: cfg},
		Secrets: []event.Secret{{Value: sign.NewSecret()}},
	}
	if mutate != nil {
		mutate(cfg)
	}
	s.ApplyDefaults()
	return s
}

func send(s *webhook.Sender, sub *event.Subscription) channel.Result {
	return s.Send(context.Background(), &channel.Message{DeliveryID: "dlv_1", EventID: "evt_1", Subscription: sub, Body: []byte(`{"ok":true}`), ContentType: "application/json"})
}

// receiver is a webhook endpoint that records the Authorization header of
// each request and answers what status says for it.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
}

func newReceiver(t *testing.T, status func(authorization string) int) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		rc.mu.Lock()
		rc.auths = append(rc.auths, auth)
		rc.mu.Unlock()
		w.WriteHeader(status(auth))
	}))
	t.Cleanup(rc.Close)
	return rc
}

// authorizations are the Authorization headers received so far.
func (rc *receiver) authorizations() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.auths...)
}

func always(status int) func(string) int { return func(string) int { return status } }
