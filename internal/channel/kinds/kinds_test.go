package kinds_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/channel/kinds"
	"github.com/eventgate/eventgate/internal/channel/pull"
	"github.com/eventgate/eventgate/internal/event"
)

// The webhook channel's JSON is a contract clients are written against:
// what the event.Channel of before the kinds wrote, it reads and writes
// byte for byte (these lines are that code's output).
func TestWebhookChannelJSONIsUnchanged(t *testing.T) {
	for _, want := range []string{
		`{"type":"webhook","url":"https://example.com/hook?a=1\u0026b=\u003c2\u003e","headers":{"X-B":"b","X-Team":"a"},"timeout":"5s","auth":{"type":"oauth2_client_credentials","token_url":"https://auth.example.com/token","client_id":"id","client_secret":"s","scope":"a b"},"client_cert":{"cert_pem":"CERT","key_pem":"KEY"}}`,
		`{"type":"webhook","url":"https://example.com/"}`,
		`{"type":"webhook","url":"https://example.com/hook?a=1\u0026b=\u003c2\u003e","headers":{"X-B":"b","X-Team":"a"},"timeout":"5s","auth":{"type":"basic","username":"u","password":"p"}}`,
	} {
		c, err := kinds.Decode(json.RawMessage(want))
		if err != nil {
			t.Fatalf("decoding %s: %v", want, err)
		}
		got, err := json.Marshal(c)
		if err != nil || string(got) != want {
			t.Errorf("round trip changed the channel (%v):\n got %s\nwant %s", err, got, want)
		}
	}
}

func TestPullChannelDefaultsItsVisibilityTimeout(t *testing.T) {
	c, err := kinds.Decode(json.RawMessage(`{"type": "pull"}`))
	if err != nil {
		t.Fatal(err)
	}
	c.Config.ApplyDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.Config.(*pull.Config).VisibilityTimeout.D(); got != 30*time.Second {
		t.Errorf("visibility_timeout defaults to %s, want 30s", got)
	}
	if b, _ := json.Marshal(c); string(b) != `{"type":"pull","visibility_timeout":"30s"}` {
		t.Errorf("pull channel written as %s", b)
	}
}

// Every way a channel object can be wrong is a validation error naming the field.
func TestDecodeNamesTheField(t *testing.T) {
	for raw, field := range map[string]string{
		`{"type": "carrier-pigeon"}`:      "channel.type",
		`{"url": "https://example.com/"}`: "channel.type",
		`[1]`:                             "channel",
		`{"type": "webhook", "url": "https://example.com/", "x": 1}`: "channel.x",
		`{"type": "webhook", "url": 7}`:                              "channel.url",
		`{"type": "webhook", "timeout": "soon"}`:                     "channel.timeout",
		`{"type": "pull", "visibility_timeout": "forever"}`:          "channel.visibility_timeout",
		`{"type": "pull", "url": "https://example.com/"}`:            "channel.url",
	} {
		_, err := kinds.Decode(json.RawMessage(raw))
		var ve *event.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != field {
			t.Errorf("decoding %s: %v; want one problem with %s", raw, err, field)
		}
	}
	for raw, field := range map[string]string{
		`{"type": "pull", "visibility_timeout": "500ms"}`:  "channel.visibility_timeout",
		`{"type": "pull", "visibility_timeout": "13h"}`:    "channel.visibility_timeout",
		`{"type": "webhook", "url": "ftp://example.com/"}`: "channel.url",
	} {
		c, err := kinds.Decode(json.RawMessage(raw))
		if err != nil {
			t.Fatal(err)
		}
		s := event.Subscription{Name: "s", Channel: c}
		s.ApplyDefaults()
		var ve *event.ValidationError
		if err := s.Validate(); !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != field {
			t.Errorf("validating %s: %v; want one problem with %s", raw, err, field)
		}
	}
}
