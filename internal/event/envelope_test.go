package event_test

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
)

// TestEnvelopeEqualsEncodingJSON: the hand-written envelope is the same
// document as encoding/json's, for plain and awkward strings alike.
func TestEnvelopeEqualsEncodingJSON(t *testing.T) {
	awkward := []string{"", "order.created", `quote " and \ backslash`, "line\nbreak\ttab\r", "\x00\x01\x1f control",
		"naïve café ✓ 日本", "bad utf8 \xff\xfe here", "<html> & 'x'", "\u2028 sep"}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		pick := func() string { return awkward[r.IntN(len(awkward))] }
		e := &event.Event{ID: pick(), Type: pick(), Source: pick(), Subject: pick(), Severity: pick(),
			Time: time.Unix(r.Int64N(4e9), r.Int64N(1e9)).UTC(), Data: json.RawMessage(`{"n": [1, 2.5, "x"], "s": "` + "ok" + `"}`)}
		if i%3 == 0 {
			e.Attributes = map[string]any{"region": pick(), "n": 42.0, "ok": true}
		}
		if i%7 == 0 {
			e.Data = nil
		}
		got, err := e.Envelope()
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(got) {
			t.Fatalf("invalid JSON: %s", got)
		}
		want, _ := json.Marshal(e)
		if e.Data != nil && string(got) != string(want) && !htmlEscapedOnly(got, want) {
			t.Fatalf("envelope bytes differ from encoding/json beyond HTML escaping:\n got %s\nwant %s", got, want)
		}
		var g, w any
		json.Unmarshal(got, &g)
		json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("envelope differs from encoding/json:\n got %s\nwant %s", got, want)
		}
	}
}

// htmlEscapedOnly reports whether got and want differ only in that
// encoding/json escapes <, > and & (and U+2028/U+2029), which JSON does not need.
func htmlEscapedOnly(got, want []byte) bool {
	r := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&", `\u2028`, "\u2028", `\u2029`, "\u2029")
	return r.Replace(string(want)) == r.Replace(string(got))
}
