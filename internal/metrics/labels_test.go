package metrics

import "testing"

// TestTypeLabelsAreCatalogTypesUpToTheCap: a type outside the catalog, and
// catalog types past the cap, count as other; a type once given a series
// keeps it.
func TestTypeLabelsAreCatalogTypesUpToTheCap(t *testing.T) {
	l := typeLabels{max: 2}
	if got := l.label("a"); got != OtherType {
		t.Errorf("before the catalog is known: %q, want %q", got, OtherType)
	}
	known := func(name string) bool { return name != "unknown" }
	l.known.Store(&known)
	for _, c := range []struct{ in, want string }{
		{"a", "a"}, {"unknown", OtherType}, {"b", "b"}, {"c", OtherType}, {"a", "a"}, {"b", "b"},
	} {
		if got := l.label(c.in); got != c.want {
			t.Errorf("label(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
