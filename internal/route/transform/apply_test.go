package transform

import (
	"encoding/json"
	"strings"
	"testing"
)

// ec2Envelope is the EC2 example event of the EventBridge input-transformer
// documentation, moved into an eventgate envelope.
const ec2Envelope = `{"id":"7bf73129-1428-4cd3-a780-95db273d1602","type":"ec2.instance.state-change","source":"aws.ec2","time":"2015-11-11T21:29:54Z","attributes":{"region":"us-east-1"},"data":{"instance-id":"i-0123456789","state":"RUNNING"}}`

var ec2Paths = map[string]string{
	"timestamp": "$.time",
	"instance":  "$.data.instance-id",
	"state":     "$.data.state",
}

func mustCompile(t testing.TB, s Spec) *Transform {
	t.Helper()
	tr, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile(%+v): %v", s, err)
	}
	return tr
}

type applyCase struct {
	name, template, want, contentType string
}

func runApplyCases(t *testing.T, paths map[string]string, envelope string, cases []applyCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := mustCompile(t, Spec{InputPaths: paths, Template: c.template})
			got, ct, err := tr.Apply([]byte(envelope))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if string(got) != c.want {
				t.Errorf("payload\n got %s\nwant %s", got, c.want)
			}
			if ct != c.contentType {
				t.Errorf("content type %q, want %q", ct, c.contentType)
			}
		})
	}
}

// The examples table of the EventBridge documentation, with aws.events.*
// variables renamed to ours.
func TestApplyEventBridgeExamples(t *testing.T) {
	runApplyCases(t, ec2Paths, ec2Envelope, []applyCase{
		{"simple string", `"instance <instance> is in <state>"`,
			`"instance i-0123456789 is in RUNNING"`, contentTypeJSON},
		{"string with escaped quotes", `"instance \"<instance>\" is in <state>"`,
			`"instance \"i-0123456789\" is in RUNNING"`, contentTypeJSON},
		{"simple JSON", "{\n  \"instance\" : <instance>,\n  \"state\": <state>\n}",
			"{\n  \"instance\" : \"i-0123456789\",\n  \"state\": \"RUNNING\"\n}", contentTypeJSON},
		{"JSON with strings and variables",
			`{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \"<instance>\" is in <state>"}`,
			`{"instance" : "i-0123456789", "state": "RUNNING", "instanceStatus": "instance \"i-0123456789\" is in RUNNING"}`, contentTypeJSON},
		{"JSON with a mix of variables and static information",
			`{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}`,
			`{"instance" : "i-0123456789", "state": [ 9, "RUNNING", true ], "Transformed" : "Yes"}`, contentTypeJSON},
		{"reserved variables in JSON",
			`{"instance" : <instance>, "type": <eventgate.event.type>, "originalEvent" : <eventgate.event>}`,
			`{"instance" : "i-0123456789", "type": "ec2.instance.state-change", "originalEvent" : ` + ec2Envelope + `}`, contentTypeJSON},
		{"reserved variables in a string", `"<eventgate.event.type> triggered"`,
			`"ec2.instance.state-change triggered"`, contentTypeJSON},
		// EventBridge's documented output for this one is not JSON; ours stays JSON.
		{"CloudWatch log group", `{"timestamp" : <timestamp>, "message": "instance \"<instance>\" is in <state>"}`,
			`{"timestamp" : "2015-11-11T21:29:54Z", "message": "instance \"i-0123456789\" is in RUNNING"}`, contentTypeJSON},
		{"plain text", `instance <instance> is in <state>`,
			`instance i-0123456789 is in RUNNING`, contentTypeText},
	})
}

const richEnvelope = `{
  "id": "ord-1", "type": "order.created", "time": "2026-01-02T03:04:05.5Z",
  "data": {
    "note": "say \"hi\"\nbye\\",
    "uni": "caf\u00e9 \ud83d\ude00 \ud800",
    "count": 42, "ok": false, "nothing": null,
    "obj": {"a": "x\"y", "b": [1, 2]},
    "items": [{"sku": "A-1"}, {"sku": "B-2", "tags": ["x", "y"]}],
    "odd key": "odd", "it's": "quoted", "na\u006de": "escaped name", "a/b": "slash"
  }
}`

var richPaths = map[string]string{
	"note":    "$.data.note",
	"uni":     "$.data.uni",
	"count":   "$.data.count",
	"ok":      "$.data.ok",
	"nothing": "$.data.nothing",
	"missing": "$.data.no.such.thing",
	"obj":     "$.data.obj",
	"items":   "$.data.items",
	"sku1":    "$.data.items[1].sku",
	"tag":     "$.data.items[1].tags[1]",
	"past":    "$.data.items[7].sku",
	"odd":     "$.data['odd key']",
	"quoted":  `$["data"]['it\'s']`,
	"name":    "$.data.name",
	"slash":   "$.data.a/b",
	"notarr":  "$.data.note[0]",
	"notobj":  "$.data.count.x",
}

func TestApplyPlaceholders(t *testing.T) {
	runApplyCases(t, richPaths, richEnvelope, []applyCase{
		{"string outside quotes keeps its quotes and escapes", `{"v":<note>}`,
			`{"v":"say \"hi\"\nbye\\"}`, contentTypeJSON},
		{"string inside quotes is spliced escaped", `{"v":"note: <note>!"}`,
			`{"v":"note: say \"hi\"\nbye\\!"}`, contentTypeJSON},
		{"string in text is unescaped", `note: <note>`,
			"note: say \"hi\"\nbye\\", contentTypeText},
		{"unicode escapes decode in text", `u=<uni>`,
			"u=café 😀 \uFFFD", contentTypeText},
		{"number and boolean as values", `[<count>, <ok>]`, `[42, false]`, contentTypeJSON},
		{"number and boolean inside a string", `"<count>/<ok>"`, `"42/false"`, contentTypeJSON},
		{"object and array as values", `{"o":<obj>,"i":<items>}`,
			`{"o":{"a": "x\"y", "b": [1, 2]},"i":[{"sku": "A-1"}, {"sku": "B-2", "tags": ["x", "y"]}]}`, contentTypeJSON},
		{"object inside a string is escaped JSON text", `{"o":"<obj>"}`,
			`{"o":"{\"a\": \"x\\\"y\", \"b\": [1, 2]}"}`, contentTypeJSON},
		{"object in text is JSON text", `o=<obj>`, `o={"a": "x\"y", "b": [1, 2]}`, contentTypeText},
		{"missing and null are null as values", `[<missing>, <nothing>, <past>, <notarr>, <notobj>]`,
			`[null, null, null, null, null]`, contentTypeJSON},
		{"missing and null are empty inside strings", `"[<missing>][<nothing>]"`, `"[][]"`, contentTypeJSON},
		{"missing and null are empty in text", `a<missing>b<nothing>c`, `abc`, contentTypeText},
		{"array elements", `[<sku1>, <tag>]`, `["B-2", "y"]`, contentTypeJSON},
		{"bracket notation and escaped names", `[<odd>, <quoted>, <name>, <slash>]`,
			`["odd", "quoted", "escaped name", "slash"]`, contentTypeJSON},
		{"same placeholder twice", `"<count>-<count>"`, `"42-42"`, contentTypeJSON},
		{"placeholder alone", `<obj>`, `{"a": "x\"y", "b": [1, 2]}`, contentTypeJSON},
		{"escaped literal angle brackets", `{"html":"\u003cb>bold\u003c/b>"}`, `{"html":"\u003cb>bold\u003c/b>"}`, contentTypeJSON},
		{"not a placeholder", `a < b and c <d e> f</g>`, `a < b and c <d e> f</g>`, contentTypeText},
		{"text template", `<count> and <missing>`, `42 and `, contentTypeText},
		{"text template whose result is JSON", `<count><missing>`, `42`, contentTypeJSON},
	})
}

func TestApplyPredefined(t *testing.T) {
	envelope := `{"id":"e-1","type":"user.signed_up","time":"2026-03-04T05:06:07Z","data":{"email":"a\"b@example.com","n":[1]}}`
	runApplyCases(t, nil, envelope, []applyCase{
		{"all as values",
			`{"e":<eventgate.event>,"d":<eventgate.event.data>,"i":<eventgate.event.id>,"t":<eventgate.event.type>,"at":<eventgate.event.time>}`,
			`{"e":` + envelope + `,"d":{"email":"a\"b@example.com","n":[1]},"i":"e-1","t":"user.signed_up","at":"2026-03-04T05:06:07Z"}`,
			contentTypeJSON},
		{"data inside a string", `{"d":"<eventgate.event.data>"}`,
			`{"d":"{\"email\":\"a\\\"b@example.com\",\"n\":[1]}"}`, contentTypeJSON},
		{"text", `<eventgate.event.type> <eventgate.event.id> at <eventgate.event.time>`,
			`user.signed_up e-1 at 2026-03-04T05:06:07Z`, contentTypeText},
	})
}

// Inserted strings must round-trip: what a JSON decoder reads back is the
// original text, whatever it holds.
func TestApplyEscapingRoundTrips(t *testing.T) {
	texts := []string{"plain", `quote " backslash \ slash /`, "new\nline\ttab\r\x00\x1f", "ünï😀", "</script>&", ""}
	for _, text := range texts {
		data, _ := json.Marshal(map[string]any{"s": text, "o": map[string]string{"s": text}})
		envelope := `{"id":"1","type":"t","data":` + string(data) + `}`
		tr := mustCompile(t, Spec{
			InputPaths: map[string]string{"s": "$.data.s", "o": "$.data.o"},
			Template:   `{"value":<s>,"inside":">><s><<","obj":"<o>"}`,
		})
		out, _, err := tr.Apply([]byte(envelope))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		var got struct{ Value, Inside, Obj string }
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q: output %s: %v", text, out, err)
		}
		if got.Value != text || got.Inside != ">>"+text+"<<" {
			t.Errorf("%q: read back %+v", text, got)
		}
		var obj map[string]string
		if err := json.Unmarshal([]byte(got.Obj), &obj); err != nil || obj["s"] != text {
			t.Errorf("%q: object inside a string read back as %q (%v)", text, got.Obj, err)
		}
	}
}

func TestApplyRepeatedMemberLastWins(t *testing.T) {
	tr := mustCompile(t, Spec{
		InputPaths: map[string]string{"deep": "$.data.a.b", "a": "$.data.a"},
		Template:   `[<deep>, <a>]`,
	})
	out, _, err := tr.Apply([]byte(`{"data":{"a":{"b":1}},"data":{"a":2}}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `[null, 2]` {
		t.Errorf("got %s, want [null, 2] (the last data replaces the first, as in encoding/json)", out)
	}
}

func TestApplySharesPaths(t *testing.T) {
	tr := mustCompile(t, Spec{
		InputPaths: map[string]string{"a": "$.id", "b": "$['id']", "unused": "$.data.x"},
		Template:   `[<a>, <b>, <eventgate.event.id>]`,
	})
	if tr.paths.slots != 1 {
		t.Errorf("%d slots, want 1: equal paths share a slot and unused ones are not looked up", tr.paths.slots)
	}
}

func TestApplyRejectsBadEnvelopes(t *testing.T) {
	tests := []struct{ template, envelope, want string }{
		{`{"v":<v>}`, `{"data":{"v":tru}}`, "transformed payload is not valid JSON, so neither is the envelope"},
		{`{"v":<v>}`, `{"data":{"v":1}`, "envelope is not valid JSON"},
		{`{"v":<v>}`, `{"data" {"v":1}}`, "expected ':'"},
		{`{"v":<v>}`, `{"data":{"v":"open}}`, "string that does not end"},
		{`{"v":<v>}`, `{"data":{"v":1}} x`, "data after the end"},
		{`{"v":<v>}`, ``, "expected a value"},
		{`v=<v>`, `{"data":[1,}`, "envelope is not valid JSON"},
	}
	for _, tc := range tests {
		tr := mustCompile(t, Spec{InputPaths: map[string]string{"v": "$.data.v"}, Template: tc.template})
		out, _, err := tr.Apply([]byte(tc.envelope))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Apply(%s) = %s, %v; want an error containing %q", tc.envelope, out, err, tc.want)
		}
	}
}
