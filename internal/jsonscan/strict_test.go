package jsonscan

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCheckIJSON(t *testing.T) {
	for _, c := range []struct {
		name, text string
		path       string // of the refusal, or "ok"
		reason     string // part of it
	}{
		{"plain object", `{"type": "a", "data": {"n": [1, 2.5, -3e2, true, false, null, "x"]}}`, "ok", ""},
		{"whitespace around", " \n\t{}\r\n ", "ok", ""},
		{"surrogate pair", `{"s": "\ud83d\ude00"}`, "ok", ""},
		{"pair in upper case hex", `{"s": "\uD83D\uDE00"}`, "ok", ""},
		{"UTF-8 text", `{"s": "naïve café ✓ 😀"}`, "ok", ""},
		{"largest doubles", `[1e308, -1.7976931348623157e308, 1e-400]`, "ok", ""},
		{"same name in sibling objects", `[{"a": 1}, {"a": 2}]`, "ok", ""},
		{"same name at other depths", `{"a": {"a": {"a": 1}}}`, "ok", ""},
		{"many distinct names", manyNames(100, false), "ok", ""},

		{"invalid UTF-8 in data", "{\"data\": {\"s\": \"\xff\"}}", "data.s", "not UTF-8"},
		{"invalid UTF-8 in a name", "{\"\xc3\": 1}", "", "not UTF-8"},
		{"UTF-8 encoded surrogate", "{\"s\": \"\xed\xa0\x80\"}", "s", "not UTF-8"},
		{"lone high surrogate", `{"data": "\ud800"}`, "data", `lone surrogate escape \ud800`},
		{"high surrogate then text", `{"data": "\ud800abcdef"}`, "data", "lone surrogate"},
		{"lone low surrogate", `{"data": ["x", "\udc00"]}`, "data[1]", "lone surrogate"},
		{"two high surrogates", `{"data": "\ud800\ud800"}`, "data", "lone surrogate"},
		{"number over a double", `{"data": {"n": 1e999}}`, "data.n", "beyond a double's range"},
		{"negative number over a double", `{"data": [-2e308]}`, "data[0]", "beyond a double's range"},
		{"long integer over a double", `{"n": 1` + strings.Repeat("0", 400) + `}`, "n", "beyond a double's range"},
		{"duplicate top-level name", `{"type": "a", "type": "b"}`, "type", "appears twice"},
		{"duplicate nested name", `{"data": {"items": [{"sku": 1, "sku": 2}]}}`, "data.items[0].sku", "appears twice"},
		{"duplicate spelt with an escape", `{"a": 1, "\u0061": 2}`, "a", "appears twice"},
		{"duplicate among many names", manyNames(100, true), "k0", "appears twice"},
		{"trailing brace", `{"type": "a"}}`, "", "more than one JSON value"},
		{"trailing bracket", `{"type": "a"}]`, "", "more than one JSON value"},
		{"second value", `{} {}`, "", "more than one JSON value"},
		{"nothing", ``, "", "ends where a value"},
		{"cut short", `{"a": [1, 2`, "a", "needs a ',' or ']'"},
		{"control character", "{\"s\": \"a\tb\"}", "s", "control character"},
		{"bad escape", `{"s": "\x"}`, "s", "unknown escape"},
		{"leading zero", `{"n": 01}`, "n", "not a JSON number"},
		{"too deep", strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1), strings.Repeat("[0]", maxDepth), "nested too deeply"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckIJSON([]byte(c.text))
			if c.path == "ok" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("accepted (%v); want a refusal at %q", err, c.path)
			}
			if e.Path != c.path || !strings.Contains(e.Reason, c.reason) {
				t.Fatalf("refused at %q because %q; want at %q because ...%s...", e.Path, e.Reason, c.path, c.reason)
			}
		})
	}
}

// manyNames is an object of n members named k0, k1, ..., and with the
// first name again at the end when repeat.
func manyNames(n int, repeat bool) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, `"k%d": 1, `, i)
	}
	if repeat {
		b.WriteString(`"k0": 2, `)
	}
	b.WriteString(`"last": 0}`)
	return b.String()
}

// FuzzCheckIJSON: whatever CheckIJSON accepts, encoding/json accepts too.
func FuzzCheckIJSON(f *testing.F) {
	f.Add(`{"a": [1, "x", {"b": null}]}`)
	f.Add(`{"s": "\ud83d\ude00"}`)
	f.Fuzz(func(t *testing.T, s string) {
		if CheckIJSON([]byte(s)) == nil && !json.Valid([]byte(s)) {
			t.Fatalf("CheckIJSON accepted %q, which is not JSON", s)
		}
	})
}

func BenchmarkCheckIJSON(b *testing.B) {
	text := []byte(`{"type": "order.created", "subject": "orders/1", "attributes": {"region": "eu-west-1"}, "data": {"order_id": 1001, "total": 49.90, "items": [{"sku": "SKU-1", "qty": 2}], "note": "` + strings.Repeat("x", 800) + `"}}`)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if err := CheckIJSON(text); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCheckEntries: problems inside entries are each entry's own, with
// paths within it, and the text around them is still checked.
func TestCheckEntries(t *testing.T) {
	body := "{\"events\": [{\"data\": [1]}, {\"data\": \"\xff\"}, {\"a\": 1, \"a\": 2}, {\"data\": {\"s\": \"\\ud800\", \"t\": \"}]\"}}, [\"\\\"\"]]}"
	entryErrs, err := CheckEntries([]byte(body), "events")
	if err != nil {
		t.Fatalf("a problem outside the entries: %v", err)
	}
	want := map[int]string{1: "data", 2: "a", 3: "data.s"}
	if len(entryErrs) != len(want) {
		t.Fatalf("entry errors %v; want entries %v", entryErrs, want)
	}
	for i, path := range want {
		var e *Error
		if !errors.As(entryErrs[i], &e) || e.Path != path {
			t.Errorf("entry %d: %v; want a problem at %q", i, entryErrs[i], path)
		}
	}
	for _, outside := range []string{
		body + "}",
		strings.Replace(body, `{"events": [`, `{"events": [], "events": [`, 1),
		strings.Replace(body, `{"events": [`, "{\"\xff\": 1, \"events\": [", 1),
	} {
		if _, err := CheckEntries([]byte(outside), "events"); err == nil {
			t.Errorf("CheckEntries accepted %q", outside)
		}
	}
	if entryErrs, err := CheckEntries([]byte(`{"other": [{"a": 1, "a": 2}]}`), "events"); err == nil || entryErrs != nil {
		t.Errorf("only the named member holds entries: %v, %v", entryErrs, err)
	}
}
