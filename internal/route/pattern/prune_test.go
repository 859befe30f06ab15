package pattern

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Decode keeps only what patterns read, and Match must not notice: for
// random pattern sets and events (with members no pattern reads), matching
// the pruned event gives the same ids as matching the whole one.
func TestDecodeMatchesLikeTheWholeEvent(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			g := gen{rand.New(rand.NewPCG(seed, 7))}
			m := NewMatcher()
			for i := range 300 {
				m.Add(fmt.Sprint("p", i), g.pattern())
			}
			pruned, matched := 0, 0
			for i := range 1000 {
				ev := g.event()
				ev["unread"] = map[string]any{"pad": "x", "n": []any{1, "two"}} // no pattern reads it
				raw, _ := json.Marshal(ev)
				whole, err := decodeEvent(raw)
				if err != nil {
					t.Fatal(err)
				}
				got, err := m.Decode(raw)
				if err != nil {
					t.Fatalf("Decode(%s): %v", raw, err)
				}
				have, want := sortedMatches(m, got, whole)
				if !slices.Equal(have, want) {
					gotJSON, _ := json.Marshal(got)
					t.Fatalf("event %d %s\npruned to %s\nmatches %v, whole event matches %v", i, raw, gotJSON, have, want)
				}
				if !reflect.DeepEqual(got, whole) {
					pruned++
				}
				matched += len(want)
			}
			if pruned < 900 || matched == 0 {
				t.Fatalf("%d of 1000 events pruned, %d matches: the test exercises nothing", pruned, matched)
			}
			for i := range 300 {
				m.Remove(fmt.Sprint("p", i))
			}
			if len(m.paths.children) != 0 {
				t.Fatalf("paths left after removing every pattern: %v", m.paths.children)
			}
		})
	}
}

// Values on a path a condition reads come back exactly as encoding/json
// decodes them; malformed events are refused.
func TestDecodeValues(t *testing.T) {
	m := NewMatcher()
	m.Add("p", mustCompile(t, `{"data": {"k": [{"exists": true}], "o": {"x": ["1"]}}, "a\"b": ["x"], "é": ["y"]}`))
	raw := []byte(`{"type": "t", "data": {"k": ["s\u00e9", "tab\there", 1.5e3, -2, true, false, null, {"n": 1}, [1]],
		"o": [{"x": "1", "y": 2}, 3, [{"x": "2"}]], "skip": {"deep": ["]", "}", "\""]}}, "a\"b": "q", "é": "ü", "big": "` + "xyz" + `"}`)
	got, err := m.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	full, _ := decodeEvent(raw)
	want := map[string]any{
		"data": map[string]any{
			"k": full["data"].(map[string]any)["k"],
			"o": []any{map[string]any{"x": "1"}, json.Number("3"), []any{map[string]any{"x": "2"}}},
		},
		"a\"b": "q", "é": "ü",
	}
	if !reflect.DeepEqual(got, want) {
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(want)
		t.Fatalf("Decode = %s\nwant     %s", gotJSON, wantJSON)
	}
	for _, bad := range []string{``, `[]`, `{`, `{"data"`, `{"data":}`, `{"data": {"k": "unterminated}}`, `{"data": {"k": tru}}`,
		`{"data": {"k": 1.2.3}}`, `{"a" 1}`, `{"a": 1,}`, `{"a": 1} x`, `{"data": {"k": "ctl` + "\x01" + `"}}`} {
		if _, err := m.Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%q) accepted a malformed event", bad)
		}
	}
}

// FuzzDecode: whenever encoding/json takes an event, Decode takes it too
// and the matcher answers the same for both.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"type": "t", "data": {"k": "v", "o": [{"x": "1"}, 2]}}`))
	f.Add([]byte(`{"a\"b": "q", "data": {"k": ["s\u00e9", 1e3, null]}}`))
	m := NewMatcher()
	for i, p := range []string{`{"data": {"k": ["v", {"prefix": "s"}]}}`, `{"data": {"o": {"x": ["1"]}}}`, `{"a\"b": [{"exists": true}]}`, `{"type": [{"anything-but": "t"}]}`} {
		m.Add(fmt.Sprint(i), mustCompile(f, p))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		whole, err := decodeEvent(raw)
		if err != nil {
			return
		}
		got, err := m.Decode(raw)
		if err != nil {
			t.Fatalf("Decode refused %q, which encoding/json takes: %v", raw, err)
		}
		have, want := sortedMatches(m, got, whole)
		if !slices.Equal(have, want) {
			t.Fatalf("event %q: pruned matches %v, whole %v", raw, have, want)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	m := NewMatcher()
	m.Add("p", mustCompile(b, `{"data": {"customer_id": ["c-1"]}}`))
	event := []byte(`{"id":"evt_01","type":"order.created","time":"2026-11-25T10:00:00Z","data":{"sent_ns":1,"seq":2,"customer_id":"c-1","pad":"` + strings.Repeat("x", 880) + `"}}`)
	b.Run("pruned", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.Decode(event); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeEvent(event); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// sortedMatches returns what m matches on the pruned event and on the
// whole one, each sorted.
func sortedMatches(m *Matcher, pruned, whole map[string]any) (have, want []string) {
	have, want = m.Match(pruned, nil), m.Match(whole, nil)
	slices.Sort(have)
	slices.Sort(want)
	return have, want
}
