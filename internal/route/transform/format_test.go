package transform

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
)

func envelopeOf(t testing.TB, e event.Event) []byte {
	t.Helper()
	b, err := e.Envelope()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFormatValid(t *testing.T) {
	for f, want := range map[Format]bool{
		"": true, FormatEnvelope: true, FormatData: true, FormatCloudEvents: true,
		"Envelope": false, "json": false, "cloudevents+json": false,
	} {
		if f.Valid() != want {
			t.Errorf("Format(%q).Valid() = %v, want %v", f, !want, want)
		}
	}
}

func TestRenderEnvelope(t *testing.T) {
	envelope := []byte(ec2Envelope)
	for _, f := range []Format{"", FormatEnvelope} {
		body, ct, err := f.Render(envelope)
		if err != nil || ct != contentTypeJSON || !bytes.Equal(body, envelope) {
			t.Errorf("Format(%q).Render = %s, %q, %v; want the envelope as is", f, body, ct, err)
		}
	}
}

func TestRenderData(t *testing.T) {
	// Spacing and member order inside data must survive: the bytes are signed.
	data := `{"b": 2,  "a":[1, 2.50, "\u00e9"]}`
	envelope := []byte("{\"id\":\"1\",\"type\":\"t\",\"data\": " + data + " ,\"x\":{\"data\":0}}")
	body, ct, err := FormatData.Render(envelope)
	if err != nil || ct != contentTypeJSON || string(body) != data {
		t.Errorf("Render = %s, %q, %v; want %s", body, ct, err, data)
	}
	for _, scalar := range []string{`"text"`, `12`, `[]`} {
		body, _, err := FormatData.Render([]byte(`{"id":"1","data":` + scalar + `}`))
		if err != nil || string(body) != scalar {
			t.Errorf("data %s rendered as %s, %v", scalar, body, err)
		}
	}
	if _, _, err := FormatData.Render([]byte(`{"id":"1","type":"t"}`)); err == nil {
		t.Error("an envelope without data rendered without error")
	}
}

func TestRenderCloudEvents(t *testing.T) {
	e := event.Event{
		ID: "ord-7", Type: "order.created", Source: "/shop/eu", Subject: "order/7",
		Time:     time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC),
		Severity: "warning",
		Attributes: map[string]any{
			"region":                "eu-west",    // qualifies
			"tenant42":              "acme",       // digits are fine
			"count":                 float64(3),   // a 32-bit integer stays a number
			"ratio":                 1.5,          // CloudEvents has no fractions: a string
			"big":                   float64(3e9), // beyond 32 bits: a string
			"urgent":                true,         // booleans stay booleans
			"Region":                "x",          // upper case: left out
			"shop-id":               "x",          // '-': left out
			"shop_id":               "x",          // '_': left out
			"abcdefghijklmnopqrstu": "x",          // 21 characters: left out
			"id":                    "x",          // would shadow a context attribute
			"severity":              "x",          // would shadow the severity extension
			"datacontenttype":       "x",
		},
		Data: json.RawMessage(`{"total": 12.50, "items": [1,2]}`),
	}
	body, ct, err := FormatCloudEvents.Render(envelopeOf(t, e))
	if err != nil {
		t.Fatal(err)
	}
	if ct != "application/cloudevents+json" {
		t.Errorf("content type %q", ct)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	want := map[string]string{
		"specversion":     `"1.0"`,
		"id":              `"ord-7"`,
		"source":          `"/shop/eu"`,
		"type":            `"order.created"`,
		"subject":         `"order/7"`,
		"time":            `"2026-01-02T03:04:05.0000006Z"`,
		"datacontenttype": `"application/json"`,
		"severity":        `"warning"`,
		"region":          `"eu-west"`,
		"tenant42":        `"acme"`,
		"count":           `3`,
		"ratio":           `"1.5"`,
		"big":             `"3000000000"`,
		"urgent":          `true`,
		"data":            `{"total":12.50,"items":[1,2]}`,
	}
	for name, value := range want {
		if string(got[name]) != value {
			t.Errorf("%s = %s, want %s", name, got[name], value)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected member %s = %s", name, got[name])
		}
	}
}

func TestRenderCloudEventsDefaults(t *testing.T) {
	envelope := envelopeOf(t, event.Event{ID: "1", Type: "t", Data: json.RawMessage(`"hi"`)})
	body, _, err := FormatCloudEvents.Render(envelope)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"specversion": "1.0", "id": "1", "source": "eventgate", "type": "t",
		"time": "0001-01-01T00:00:00Z", "datacontenttype": "application/json", "data": "hi",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestRenderCloudEventsEscapedAttributeName(t *testing.T) {
	body, _, err := FormatCloudEvents.Render([]byte(`{"id":"1","type":"t","attributes":{"re\u0067ion":"eu"},"data":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"region":"eu"`) {
		t.Errorf("escaped attribute name not read: %s", body)
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		format   Format
		envelope string
		want     string
	}{
		{"xml", `{}`, `unknown payload format "xml"`},
		{FormatCloudEvents, `{"type":"t","data":1}`, "no id"},
		{FormatCloudEvents, `{"id":"","type":"t","data":1}`, "no id"},
		{FormatCloudEvents, `{"id":"1","data":1}`, "no type"},
		{FormatCloudEvents, `{"id":1,"type":"t","data":1}`, "id is not a string"},
		{FormatCloudEvents, `{"id":"1","type":"t","subject":5,"data":1}`, "subject is not a string"},
		{FormatCloudEvents, `{"id":"1","type":"t","attributes":{"a" 1}}`, "envelope is not valid JSON"},
		{FormatData, `{"data":`, "envelope is not valid JSON"},
	}
	for _, tc := range tests {
		_, _, err := tc.format.Render([]byte(tc.envelope))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Format(%q).Render(%s) error %v, want one containing %q", tc.format, tc.envelope, err, tc.want)
		}
	}
}
