package event

import (
	"bytes"
	"encoding/json"
	"testing"
)

var compactCases = []string{
	`{"a": 1, "b" : [ 1 , 2 ,3 ] }`,
	" \n\t{\r\n  \"nested\": {\"x\": [ {}, [] , null, true, false, -1.5e3 ]}\n}\n ",
	`{"kept": "spaces  inside\tstrings stay", "k e y": " "}`,
	`{"escaped": "a \" quote, then spaces  ", "after": 1}`,
	`{"backslash": "ends with \\", "next":  "x y"}`,
	`{"unicode": "naïve  café ✓ \u00e9 \ud83d\ude00", "n": 0}`,
	`"a bare string  with spaces"`,
	` 42 `,
	`[ ]`,
}

// TestAppendCompactEqualsJSONCompact: for valid JSON the envelope's
// compaction gives json.Compact's bytes, strings left alone.
func TestAppendCompactEqualsJSONCompact(t *testing.T) {
	for _, c := range compactCases {
		checkCompact(t, []byte(c))
	}
}

func FuzzAppendCompact(f *testing.F) {
	for _, c := range compactCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if json.Valid(src) { // the precondition Event.Data documents
			checkCompact(t, src)
		}
	})
}

func checkCompact(t *testing.T, src []byte) {
	t.Helper()
	var want bytes.Buffer
	if err := json.Compact(&want, src); err != nil {
		t.Fatalf("case is not valid JSON: %q: %v", src, err)
	}
	if got := appendCompact([]byte("prefix:"), src); string(got) != "prefix:"+want.String() {
		t.Fatalf("appendCompact(%q) = %q, want %q", src, got, "prefix:"+want.String())
	}
}
