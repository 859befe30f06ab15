package pattern

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		name, pattern, path, message string // message: a substring of Error.Message
	}{
		{"invalid json", `{"a": [`, "$", "invalid JSON"},
		{"unicode space is not blank", "\u00a0", "$", "invalid JSON"},
		{"trailing content", `{"a": ["x"]} {}`, "$", "unexpected content"},
		{"not an object", `["a"]`, "$", "must be a JSON object"},
		{"string", `"a"`, "$", "must be a JSON object"},
		{"null", `null`, "$", "must be a JSON object"},
		{"duplicate key", `{"a": ["x"], "a": ["y"]}`, "$.a", "appears twice"},
		{"bare scalar leaf", `{"source": "aws.ec2"}`, "$.source", "array of values"},
		{"bare scalar nested", `{"data": {"amount": 5}}`, "$.data.amount", "array of values"},
		{"bare null leaf", `{"data": {"amount": null}}`, "$.data.amount", "array of values"},
		{"empty array", `{"source": []}`, "$.source", "empty array"},
		{"nested array", `{"source": [["a"]]}`, "$.source[0]", "nested"},
		{"empty nested object", `{"data": {}}`, "$.data", "empty object"},
		{"quoted path", `{"a.b": {"c d": "x"}}`, `$["a.b"]["c d"]`, "array of values"},
		{"number out of range", `{"n": [1e400]}`, "$.n[0]", "out of range"},

		{"operator object empty", `{"a": [{}]}`, "$.a[0]", "exactly one key"},
		{"operator object two keys", `{"a": [{"prefix": "x", "suffix": "y"}]}`, "$.a[0]", "exactly one key"},
		{"unknown operator", `{"a": [{"contains": "x"}]}`, "$.a[0].contains", "unknown operator"},
		{"prefix number", `{"a": [{"prefix": 1}]}`, "$.a[0].prefix", "prefix expects"},
		{"prefix bad option", `{"a": [{"prefix": {"ignore-case": "x"}}]}`, "$.a[0].prefix", "equals-ignore-case"},
		{"prefix ignore case number", `{"a": [{"prefix": {"equals-ignore-case": 5}}]}`, "$.a[0].prefix.equals-ignore-case", "expects a string"},
		{"suffix array", `{"a": [{"suffix": [".png"]}]}`, "$.a[0].suffix", "suffix expects"},
		{"equals-ignore-case number", `{"a": [{"equals-ignore-case": 5}]}`, "$.a[0].equals-ignore-case", "expects a string"},
		{"exists string", `{"a": [{"exists": "yes"}]}`, "$.a[0].exists", "true or false"},

		{"numeric not a list", `{"data": {"amount": [{"numeric": 5}]}}`, "$.data.amount[0].numeric", `operator list like [">", 0, "<=", 5]`},
		{"numeric missing operand", `{"data": {"amount": [{"numeric": [">"]}]}}`, "$.data.amount[0].numeric", "operator list"},
		{"numeric too long", `{"data": {"amount": [{"numeric": [">", 0, "<", 5, "=", 3]}]}}`, "$.data.amount[0].numeric", "operator list"},
		{"numeric string operand", `{"data": {"amount": [{"numeric": [">", "0"]}]}}`, "$.data.amount[0].numeric[1]", "JSON number"},
		{"numeric operator not string", `{"data": {"amount": [{"numeric": [0, ">"]}]}}`, "$.data.amount[0].numeric[0]", "expected an operator"},
		{"numeric unknown operator", `{"data": {"amount": [{"numeric": ["!=", 0]}]}}`, "$.data.amount[0].numeric[0]", "unknown numeric operator"},
		{"numeric two lower bounds", `{"data": {"amount": [{"numeric": [">", 0, ">", 5]}]}}`, "$.data.amount[0].numeric[2]", "lower bound"},
		{"numeric upper first", `{"data": {"amount": [{"numeric": ["<", 5, ">", 0]}]}}`, "$.data.amount[0].numeric[0]", "lower bound"},
		{"numeric equals in range", `{"data": {"amount": [{"numeric": ["=", 5, "<", 9]}]}}`, "$.data.amount[0].numeric[0]", "lower bound"},
		{"numeric empty range", `{"data": {"amount": [{"numeric": [">", 10, "<", 5]}]}}`, "$.data.amount[0].numeric", "empty"},
		{"numeric point range", `{"data": {"amount": [{"numeric": [">=", 5, "<=", 5]}]}}`, "$.data.amount[0].numeric", "empty"},
		{"numeric operand too big", `{"data": {"amount": [{"numeric": [">", 6e9]}]}}`, "$.data.amount[0].numeric[1]", "5e9"},

		{"anything-but empty list", `{"a": [{"anything-but": []}]}`, "$.a[0].anything-but", "empty"},
		{"anything-but mixed list", `{"a": [{"anything-but": ["x", 1]}]}`, "$.a[0].anything-but[1]", "only strings or only numbers"},
		{"anything-but bool in list", `{"a": [{"anything-but": [true]}]}`, "$.a[0].anything-but[0]", "only strings or numbers"},
		{"anything-but bool", `{"a": [{"anything-but": true}]}`, "$.a[0].anything-but", "anything-but expects"},
		{"anything-but null", `{"a": [{"anything-but": null}]}`, "$.a[0].anything-but", "anything-but expects"},
		{"anything-but unknown", `{"a": [{"anything-but": {"numeric": [">", 1]}}]}`, "$.a[0].anything-but.numeric", "does not support"},
		{"anything-but two keys", `{"a": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}`, "$.a[0].anything-but", "anything-but expects"},
		{"anything-but empty prefix", `{"a": [{"anything-but": {"prefix": ""}}]}`, "$.a[0].anything-but.prefix", "must not be empty"},
		{"anything-but prefix number", `{"a": [{"anything-but": {"suffix": 1}}]}`, "$.a[0].anything-but.suffix", "expects a string"},
		{"anything-but ignore case number", `{"a": [{"anything-but": {"equals-ignore-case": [1]}}]}`, "$.a[0].anything-but.equals-ignore-case[0]", "strings"},
		{"anything-but ignore case empty", `{"a": [{"anything-but": {"equals-ignore-case": []}}]}`, "$.a[0].anything-but.equals-ignore-case", "empty"},
		{"anything-but bad wildcard", `{"a": [{"anything-but": {"wildcard": ["ok*", "a**"]}}]}`, "$.a[0].anything-but.wildcard[1]", "consecutive"},

		{"wildcard consecutive", `{"a": [{"wildcard": "a**b"}]}`, "$.a[0].wildcard", "consecutive"},
		{"wildcard bad escape", `{"a": [{"wildcard": "a\\b"}]}`, "$.a[0].wildcard", "backslash"},
		{"wildcard trailing backslash", `{"a": [{"wildcard": "a\\"}]}`, "$.a[0].wildcard", "backslash"},
		{"wildcard number", `{"a": [{"wildcard": 1}]}`, "$.a[0].wildcard", "wildcard expects"},

		{"cidr bad bits", `{"ip": [{"cidr": "10.0.0.0/33"}]}`, "$.ip[0].cidr", "cidr expects"},
		{"cidr garbage", `{"ip": [{"cidr": "bogus"}]}`, "$.ip[0].cidr", "not one"},
		{"cidr no bits", `{"ip": [{"cidr": "10.0.0.1"}]}`, "$.ip[0].cidr", "cidr expects"},
		{"cidr number", `{"ip": [{"cidr": 10}]}`, "$.ip[0].cidr", "cidr expects"},

		{"or not array", `{"$or": {"a": ["x"]}}`, "$.$or", "at least two objects"},
		{"or one alternative", `{"$or": [{"a": ["x"]}]}`, "$.$or", "at least two objects"},
		{"or scalar alternative", `{"$or": [{"a": ["x"]}, "b"]}`, "$.$or[1]", "must be an object"},
		{"or empty alternative", `{"$or": [{"a": ["x"]}, {}]}`, "$.$or[1]", "empty $or alternative"},
		{"or nested error", `{"data": {"$or": [{"a": ["x"]}, {"b": "y"}]}}`, "$.data.$or[1].b", "array of values"},
		{"or operator field name", `{"$or": [{"prefix": ["x"]}, {"b": ["y"]}]}`, "$.$or[0].prefix", "operator"},
		{"or operator field name nested", `{"$or": [{"a": {"numeric": ["x"]}}, {"b": ["y"]}]}`, "$.$or[0].a.numeric", "operator"},

		{"too large", `{"a": ["` + strings.Repeat("x", maxPatternBytes) + `"]}`, "$", "limit is 4096"},
		{"too deep", `{"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {"k": ["x"]}}}}}}}}}}}`, "$.a.b.c.d.e.f.g.h.i.j", "deeper than 10"},
		{"too deep through or", `{"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"$or": [{"i": {"j": ["x"]}}, {"k": ["y"]}]}}}}}}}}}`, "$.a.b.c.d.e.f.g.h.$or[0].i", "deeper than 10"},
		{"too many combinations", `{"data": {"$or": ` + alternatives("d", 10) + `}, "attributes": {"$or": ` + alternatives("a", 11) + `}, "$or": ` + alternatives("t", 10) + `}`, "$.$or", "1100 combinations"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile([]byte(tc.pattern))
			if err == nil {
				t.Fatalf("Compile(%s) succeeded; want an error at %s", tc.pattern, tc.path)
			}
			if p != nil {
				t.Error("a failed Compile must return a nil pattern")
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v (%T) is not a *Error", err, err)
			}
			if perr.Path != tc.path {
				t.Errorf("Path = %q, want %q (message %q)", perr.Path, tc.path, perr.Message)
			}
			if !strings.Contains(perr.Message, tc.message) {
				t.Errorf("Message = %q, want it to mention %q", perr.Message, tc.message)
			}
			if want := "pattern " + perr.Path + ": " + perr.Message; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

// alternatives builds a "$or" list of n single-field objects.
func alternatives(field string, n int) string {
	alts := make([]string, n)
	for i := range alts {
		alts[i] = fmt.Sprintf(`{"%s%d": [%d]}`, field, i, i)
	}
	return "[" + strings.Join(alts, ",") + "]"
}

func TestCompileAcceptsLimitsAndValidForms(t *testing.T) {
	valid := []string{
		// depth 10
		`{"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": ["x"]}}}}}}}}}}`,
		// exactly 1000 combinations
		`{"data": {"$or": ` + alternatives("d", 10) + `}, "attributes": {"$or": ` + alternatives("a", 10) + `}, "$or": ` + alternatives("t", 10) + `}`,
		`{"a": [{"numeric": ["=", -5e9]}, {"numeric": ["<=", 5e9]}, {"numeric": [">=", 0, "<", 1]}]}`,
		`{"a": [{"wildcard": "a\\**"}, {"wildcard": "*\\\\"}, {"wildcard": "plain"}]}`,
		`{"a": [{"anything-but": {"wildcard": ["*x*", "y*"]}}, {"anything-but": {"equals-ignore-case": "z"}}]}`,
		`{"a": [{"cidr": "10.0.0.1/24"}, {"cidr": "::/0"}, {"cidr": "2001:db8::/32"}]}`,
		`{"a": [{"exists": true}, {"exists": false}, null, true, false, 1.5, ""]}`,
		`{"$or": [{"$or": [{"a": ["1"]}, {"b": ["2"]}]}, {"c": ["3"]}]}`,
		`{"prefix": ["field names may be operator names outside $or"]}`,
		`{"a": [{"prefix": ""}]}`,
	}
	for _, raw := range valid {
		if _, err := Compile([]byte(raw)); err != nil {
			t.Errorf("Compile(%s): %v", raw, err)
		}
	}
}

func TestClauseExpansion(t *testing.T) {
	p, err := Compile([]byte(`{"a": ["1"], "$or": [{"b": ["2"]}, {"c": ["3"], "$or": [{"d": ["4"]}, {"e": ["5"]}]}], "f": {"$or": [{"g": ["6"]}, {"h": ["7"]}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, cl := range p.clauses {
		var names []string
		for _, lc := range cl {
			names = append(names, strings.Join(lc.path, "."))
		}
		got = append(got, strings.Join(names, "&"))
	}
	want := []string{"a&f.g&b", "a&f.g&c&d", "a&f.g&c&e", "a&f.h&b", "a&f.h&c&d", "a&f.h&c&e"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("clauses = %v, want %v", got, want)
	}
}
