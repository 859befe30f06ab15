package jsonscan

import (
	"encoding/json"
	"testing"
)

var cases = []struct {
	text string
	end  int
}{
	{`"" rest`, 1},
	{`"plain" rest`, 6},
	{`"a \" quote" rest`, 11},
	{`"ends in a backslash \\" rest`, 23},
	{`"three \\\" then" rest`, 16},
	{`"unicode ✓ \u00e9"`, 19},
	{`"not closed \"`, -1},
	{`"not closed`, -1},
}

func TestStringEnd(t *testing.T) {
	for _, c := range cases {
		if got := StringEnd([]byte(c.text), 0); got != c.end {
			t.Errorf("StringEnd(%q) = %d, want %d", c.text, got, c.end)
		}
	}
}

// FuzzStringEnd: for every valid JSON string, the end found is the end
// encoding/json finds.
func FuzzStringEnd(f *testing.F) {
	for _, c := range cases {
		f.Add(c.text)
	}
	f.Fuzz(func(t *testing.T, s string) {
		quoted, _ := json.Marshal(s)
		text := append(quoted, `, "next"`...)
		if got := StringEnd(text, 0); got != len(quoted)-1 {
			t.Fatalf("StringEnd(%s) = %d, want %d", text, got, len(quoted)-1)
		}
	})
}
