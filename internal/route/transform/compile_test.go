package transform

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/eventgate/eventgate/internal/event"
)

// fieldErrors compiles s and returns its field errors, failing the test if
// the error is not an *event.ValidationError.
func fieldErrors(t *testing.T, s Spec) []event.FieldError {
	t.Helper()
	_, err := Compile(s)
	if err == nil {
		return nil
	}
	var ve *event.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Compile error %T (%v) is not an *event.ValidationError", err, err)
	}
	return ve.Fields
}

func TestCompileErrors(t *testing.T) {
	tooMany := map[string]string{}
	for i := 0; i <= MaxInputPaths; i++ {
		tooMany[fmt.Sprintf("p%d", i)] = "$.data"
	}
	one := func(path string) map[string]string { return map[string]string{"x": path} }
	tests := []struct {
		name         string
		spec         Spec
		field, about string
	}{
		{"empty template", Spec{}, "transform.template", "is required"},
		{"long template", Spec{Template: strings.Repeat("a", MaxTemplateLength+1)}, "transform.template", "at most 8192"},
		{"not UTF-8", Spec{Template: "\xff"}, "transform.template", "UTF-8"},
		{"undefined placeholder", Spec{Template: `{"a":<nope>}`}, "transform.template", "uses <nope>, which is neither"},
		{"broken JSON template", Spec{InputPaths: one("$.a"), Template: `{"a": <x>,}`}, "transform.template", "must be JSON"},
		{"placeholder as key", Spec{InputPaths: one("$.a"), Template: `{<x>: 1}`}, "transform.template", "cannot be an unquoted object key"},
		{"broken JSON array", Spec{Template: ` [1 2]`}, "transform.template", `starts with '['`},
		{"too many paths", Spec{InputPaths: tooMany, Template: "x"}, "transform.input_paths", "has 101 entries"},
		{"bad name", Spec{InputPaths: map[string]string{"a b": "$.a"}, Template: "x"}, "transform.input_paths.a b", "letters, digits"},
		{"long name", Spec{InputPaths: map[string]string{strings.Repeat("n", 65): "$.a"}, Template: "x"}, "transform.input_paths." + strings.Repeat("n", 65), "1 to 64"},
		{"reserved name", Spec{InputPaths: map[string]string{"eventgate.event.id": "$.a"}, Template: "x"}, "transform.input_paths.eventgate.event.id", "reserved"},
		{"empty path", Spec{InputPaths: one(""), Template: "<x>"}, "transform.input_paths.x", "is empty"},
		{"no dollar", Spec{InputPaths: one("data.a"), Template: "<x>"}, "transform.input_paths.x", `must start with "$"`},
		{"recursive descent", Spec{InputPaths: one("$..a"), Template: "<x>"}, "transform.input_paths.x", "recursive descent"},
		{"wildcard member", Spec{InputPaths: one("$.data.*"), Template: "<x>"}, "transform.input_paths.x", "wildcards"},
		{"wildcard element", Spec{InputPaths: one("$.a[*]"), Template: "<x>"}, "transform.input_paths.x", "wildcards"},
		{"negative index", Spec{InputPaths: one("$.a[-1]"), Template: "<x>"}, "transform.input_paths.x", "negative indices"},
		{"slice", Spec{InputPaths: one("$.a[1:2]"), Template: "<x>"}, "transform.input_paths.x", "slices"},
		{"filter", Spec{InputPaths: one("$.a[?(@.b)]"), Template: "<x>"}, "transform.input_paths.x", "filters"},
		{"union", Spec{InputPaths: one("$.a[0,1]"), Template: "<x>"}, "transform.input_paths.x", "unions"},
		{"trailing dot", Spec{InputPaths: one("$.a."), Template: "<x>"}, "transform.input_paths.x", "ends with '.'"},
		{"unclosed quote", Spec{InputPaths: one("$['a"), Template: "<x>"}, "transform.input_paths.x", "not closed"},
		{"unclosed bracket", Spec{InputPaths: one("$['a'"), Template: "<x>"}, "transform.input_paths.x", "expected ']'"},
		{"bad escape", Spec{InputPaths: one(`$['a\n']`), Template: "<x>"}, "transform.input_paths.x", "backslash"},
		{"bare bracket name", Spec{InputPaths: one("$[a]"), Template: "<x>"}, "transform.input_paths.x", "quoted member name or an index"},
		{"space", Spec{InputPaths: one("$.a b"), Template: "<x>"}, "transform.input_paths.x", `unexpected ' '`},
		{"huge index", Spec{InputPaths: one("$.a[12345678901]"), Template: "<x>"}, "transform.input_paths.x", "too large"},
		{"bad unused path", Spec{InputPaths: one("$.a["), Template: "static"}, "transform.input_paths.x", "ends with '['"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := fieldErrors(t, tc.spec)
			if len(got) != 1 || got[0].Field != tc.field || !strings.Contains(got[0].Message, tc.about) {
				t.Errorf("got %+v\nwant one error on %q about %q", got, tc.field, tc.about)
			}
		})
	}
}

func TestCompileReportsEveryProblem(t *testing.T) {
	got := fieldErrors(t, Spec{
		InputPaths: map[string]string{"bad": "$..x", "eventgate.x": "$.a"},
		Template:   `{"a":<bad>,"b":<undefined>,"c":"<undefined>"}`,
	})
	want := []string{"transform.input_paths.bad", "transform.input_paths.eventgate.x", "transform.template"}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want errors on %v (an invalid path is not also undefined; an undefined name is reported once)", got, want)
	}
	for i, f := range got {
		if f.Field != want[i] {
			t.Errorf("error %d on %q, want %q", i, f.Field, want[i])
		}
	}
}

func TestCompileAccepts(t *testing.T) {
	specs := []Spec{
		{Template: "static text"},
		{Template: `{"static": true}`},
		{Template: `<eventgate.event>`},
		{InputPaths: map[string]string{"a": "$", "b": "$.x[0]['y z'][\"w\"].v-1/2"}, Template: `[<a>,"<b>"]`},
		{InputPaths: map[string]string{"unused": "$.a"}, Template: "x"},
		{Template: strings.Repeat("a", MaxTemplateLength)},
	}
	for _, s := range specs {
		if _, err := Compile(s); err != nil {
			t.Errorf("Compile(%+v): %v", s, err)
		}
	}
}

func TestSpecJSON(t *testing.T) {
	var s Spec
	if err := json.Unmarshal([]byte(`{"input_paths":{"n":"$.data.name"},"template":"Hi <n>"}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.InputPaths["n"] != "$.data.name" || s.Template != "Hi <n>" {
		t.Errorf("decoded %+v", s)
	}
	if b, _ := json.Marshal(Spec{Template: "x"}); string(b) != `{"template":"x"}` {
		t.Errorf("encoded %s", b)
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		path string
		want []step
	}{
		{"$", nil},
		{"$.data", []step{{"data", -1}}},
		{"$.data.customer.name", []step{{"data", -1}, {"customer", -1}, {"name", -1}}},
		{"$.a[0]", []step{{"a", -1}, {"", 0}}},
		{"$.a.b[2].c", []step{{"a", -1}, {"b", -1}, {"", 2}, {"c", -1}}},
		{"$['odd key']", []step{{"odd key", -1}}},
		{`$["it's"]['a\'b']['c\\d']`, []step{{"it's", -1}, {"a'b", -1}, {`c\d`, -1}}},
		{"$['']", []step{{"", -1}}},
		{"$[0][10]", []step{{"", 0}, {"", 10}}},
		{"$.a.0", []step{{"a", -1}, {"0", -1}}},
		{"$.detail-type.a_b/c", []step{{"detail-type", -1}, {"a_b/c", -1}}},
	}
	for _, tc := range tests {
		got, err := parsePath(tc.path)
		if err != nil {
			t.Errorf("parsePath(%q): %v", tc.path, err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("parsePath(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
