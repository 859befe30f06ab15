package api

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/eventgate/eventgate/internal/gateway"
)

// The pull answer written by hand says what encoding/json would say.
func TestWriteMessagesEncodesAsEncodingJSON(t *testing.T) {
	for _, msgs := range [][]*gateway.Message{
		{},
		{
			{Receipt: "rcpt_a.b", DeliveryID: "dlv_1", EventID: "evt_1", Attempt: 1, Payload: json.RawMessage(`{"a": [1, 2], "html": "<b>&</b>"}`)},
			{Receipt: `quote " and \ and é`, DeliveryID: "dlv_2", EventID: "evt_2", Attempt: 12, Payload: json.RawMessage(`"text"`)},
		},
	} {
		rec := httptest.NewRecorder()
		writeMessages(rec, msgs)
		want := httptest.NewRecorder()
		writeJSON(want, 200, map[string]any{"data": msgs})
		if rec.Code != want.Code || rec.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Fatalf("status %d %q, want %d %q", rec.Code, rec.Header().Get("Content-Type"), want.Code, want.Header().Get("Content-Type"))
		}
		var got, expected any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, rec.Body)
		}
		if err := json.Unmarshal(want.Body.Bytes(), &expected); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, expected) {
			t.Errorf("got %s\nwant %s", rec.Body, want.Body)
		}
	}
}
