package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func batchBody(n int) string {
	var b strings.Builder
	b.WriteString(`{"events": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{"type": "order.created", "subject": "orders/%d", "attributes": {"n": %d}, "data": {"seq": %d, "pad": "%s"}}`, i, i, i, strings.Repeat("x", 900))
	}
	b.WriteString("]}\n")
	return b.String()
}

// TestDecodeBatchStreamsOnlyExactBatches: the entry-by-entry decoding
// gives encoding/json's requests for a plain batch, and leaves every other
// shape to the general path, which still decodes or explains it.
func TestDecodeBatchStreamsOnlyExactBatches(t *testing.T) {
	plain := batchBody(3)
	var want struct{ Events []publishRequest }
	dec := json.NewDecoder(strings.NewReader(plain))
	dec.UseNumber()
	if err := dec.Decode(&want); err != nil {
		t.Fatal(err)
	}
	got, ok := decodeEvents([]byte(plain))
	if !ok || !reflect.DeepEqual(got, want.Events) {
		t.Fatalf("decodeEvents(plain batch) = %v, %v; want encoding/json's %v", got, ok, want.Events)
	}
	if got, ok := decodeEvents([]byte(`{"events": []}`)); !ok || got == nil || len(got) != 0 {
		t.Fatalf("an empty batch must decode to an empty, non-nil list (checkBatchSize tells it from a missing one): %#v, %v", got, ok)
	}

	for _, c := range []struct {
		name, body string
		entries    int // decoded by the general path
		badEntry   int // the entry that gets its own error, or -1
	}{
		{"key in another case", strings.Replace(plain, `"events"`, `"Events"`, 1), 3, -1},
		{"unknown field in an entry", strings.Replace(plain, `"subject"`, `"subjcet"`, 1), 3, 0},
		{"wrong type in an entry", strings.Replace(plain, `"subject": "orders/2"`, `"subject": 2`, 1), 3, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := decodeEvents([]byte(c.body)); ok {
				t.Fatal("decodeEvents took a body that is not an exact batch")
			}
			requests, errs, err := decodeBatch([]byte(c.body))
			if err != nil || len(requests) != c.entries {
				t.Fatalf("decodeBatch = %d requests, %v; want %d", len(requests), err, c.entries)
			}
			for i, e := range errs {
				if (e != nil) != (i == c.badEntry) {
					t.Fatalf("entry %d: error %v; want one only for entry %d", i, e, c.badEntry)
				}
			}
		})
	}
	for _, body := range []string{
		strings.TrimSuffix(plain, "]}\n") + `], "events": []}`, // a repeated key
		strings.TrimSuffix(plain, "]}\n") + `], "extra": 1}`,   // an unknown top-level field
		plain + `{}`, // a second value
		strings.TrimSuffix(plain, "\n")[:len(plain)-5], // cut short
	} {
		if _, ok := decodeEvents([]byte(body)); ok {
			t.Fatalf("decodeEvents took %q...", body[max(0, len(body)-40):])
		}
		if _, _, err := decodeBatch([]byte(body)); err == nil {
			t.Fatalf("decodeBatch accepted a malformed batch ending %q", body[max(0, len(body)-40):])
		}
	}
}

func BenchmarkDecodeBatch(b *testing.B) {
	body := []byte(batchBody(100))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, errs, err := decodeBatch(body); err != nil || errs[0] != nil {
			b.Fatal(err, errs[0])
		}
	}
}

// BenchmarkDecodeEvent reads and decodes one typical event (about 1 KiB)
// as POST /v1/events does.
func BenchmarkDecodeEvent(b *testing.B) {
	body := []byte(fmt.Sprintf(`{"type": "order.created", "subject": "orders/1", "attributes": {"region": "eu-west-1"}, "data": {"order_id": 1001, "total": 49.90, "items": [{"sku": "SKU-1", "qty": 2}], "note": "%s"}}`, strings.Repeat("x", 800)))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/v1/events", bytes.NewReader(body))
		var req publishRequest
		if err := decode(httptest.NewRecorder(), r, MaxEventBody, &req); err != nil {
			b.Fatal(err)
		}
	}
}
