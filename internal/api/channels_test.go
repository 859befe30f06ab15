package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// A pull subscription needs nothing but its type: the visibility timeout
// defaults to 30s, and is answered.
func TestPullSubscriptionDefaultsItsVisibilityTimeout(t *testing.T) {
	e := newEnv(t)
	var created struct {
		Channel map[string]any `json:"channel"`
	}
	e.must(http.StatusCreated, "POST", "/v1/subscriptions", map[string]any{"name": "pulled", "channel": map[string]any{"type": "pull"}}, &created)
	if created.Channel["type"] != "pull" || created.Channel["visibility_timeout"] != "30s" || len(created.Channel) != 2 {
		t.Errorf("channel answered as %v, want type pull with visibility_timeout 30s", created.Channel)
	}

	code, _, body := e.do("POST", "/v1/subscriptions", map[string]any{"name": "pulled", "channel": map[string]any{"type": "pull", "visibility_timeout": "13h"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"field":"channel.visibility_timeout"`) {
		t.Errorf("a 13h visibility timeout answered %d %s; want 422 naming channel.visibility_timeout", code, body)
	}
}
