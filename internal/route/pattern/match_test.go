package pattern

import (
	"encoding/json"
	"strings"
	"testing"
)

// ec2Event is the sample event of EventBridge's documentation.
const ec2Event = `{
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "111122223333",
  "time": "2017-12-22T18:43:48Z",
  "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"}
}`

// rulerEvent is the sample event of the content-filtering examples.
const rulerEvent = `{
  "version": "0",
  "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "012345679012",
  "time": "2017-10-02T16:24:49Z",
  "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  "detail": {
    "c-count": 5, "d-count": 3, "x-limit": 301.8,
    "source-ip": "10.0.0.33", "instance-id": "i-000000aaaaaa00000", "state": "running"
  }
}`

type matchCase struct {
	name, pattern, event string
	want                 bool
}

func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile([]byte(tc.pattern))
			if err != nil {
				t.Fatalf("Compile(%s): %v", tc.pattern, err)
			}
			got, err := p.Match([]byte(tc.event))
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if got != tc.want {
				t.Fatalf("pattern %s\nevent   %s\nmatch = %v, want %v", tc.pattern, tc.event, got, tc.want)
			}
			// Same answer with float64 numbers instead of json.Number,
			// and through a Matcher holding only this pattern.
			var plain map[string]any
			if err := json.Unmarshal([]byte(tc.event), &plain); err != nil {
				t.Fatal(err)
			}
			if got := p.MatchValue(plain); got != tc.want {
				t.Fatalf("MatchValue with float64 numbers = %v, want %v", got, tc.want)
			}
			m := NewMatcher()
			m.Add("only", p)
			if got := len(m.Match(plain, nil)) == 1; got != tc.want {
				t.Fatalf("Matcher.Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDocumentationExamples(t *testing.T) {
	runMatchCases(t, []matchCase{
		// Event patterns page: fields are ANDed, list values ORed.
		{"ec2 termination", `{"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"], "detail": {"state": ["terminated"]}}`, ec2Event, true},
		{"ec2 other state", `{"source": ["aws.ec2"], "detail": {"state": ["running"]}}`, ec2Event, false},
		{"ec2 state list", `{"detail": {"state": ["initializing", "running", "terminated"]}}`, ec2Event, true},
		{"missing field never matches a value", `{"detail": {"reason": ["terminated"]}}`, ec2Event, false},
		{"case sensitive", `{"source": ["AWS.EC2"]}`, ec2Event, false},
		// Ruler README "simple matching".
		{"simple matching", `{"detail-type": ["EC2 Instance State-change Notification"], "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"], "detail": {"state": ["initializing", "running"]}}`, rulerEvent, true},

		// Prefix.
		{"prefix", `{"time": [{"prefix": "2017-10-02"}]}`, `{"time": "2017-10-02T18:43:48Z"}`, true},
		{"prefix no", `{"time": [{"prefix": "2017-10-02"}]}`, `{"time": "2017-10-03T18:43:48Z"}`, false},
		{"prefix only strings", `{"n": [{"prefix": "1"}]}`, `{"n": 123}`, false},
		{"prefix region", `{"source": ["aws.autoscaling"], "region": [{"prefix": "eu-"}]}`, `{"source": "aws.autoscaling", "region": "eu-west-1"}`, true},
		{"prefix ignore case", `{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}`, `{"detail": {"service": "eventbridge"}}`, true},
		{"prefix ignore case upper", `{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}`, `{"detail": {"service": "EVENTBRIDGE"}}`, true},
		{"prefix ignore case no", `{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}`, `{"detail": {"service": "Event Bridge"}}`, false},

		// Suffix.
		{"suffix", `{"FileName": [{"suffix": ".png"}]}`, `{"FileName": "image.png"}`, true},
		{"suffix no", `{"FileName": [{"suffix": ".png"}]}`, `{"FileName": "image.PNG"}`, false},
		{"suffix ignore case", `{"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}`, `{"detail": {"FileName": "IMAGE.PNG"}}`, true},
		{"suffix ignore case tbridge", `{"service": [{"suffix": {"equals-ignore-case": "tBridge"}}]}`, `{"service": "EventBRIDGE"}`, true},
		{"suffix ignore case no", `{"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}`, `{"detail": {"FileName": "image.jpg"}}`, false},

		// Anything-but.
		{"anything-but string", `{"detail": {"state": [{"anything-but": "initializing"}]}}`, rulerEvent, true},
		{"anything-but string no", `{"detail": {"state": [{"anything-but": "running"}]}}`, rulerEvent, false},
		{"anything-but number", `{"detail": {"x-limit": [{"anything-but": 123}]}}`, rulerEvent, true},
		{"anything-but number no", `{"detail": {"x-limit": [{"anything-but": 301.8}]}}`, rulerEvent, false},
		{"anything-but list", `{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}`, rulerEvent, true},
		{"anything-but list no", `{"detail": {"state": [{"anything-but": ["stopped", "running"]}]}}`, rulerEvent, false},
		{"anything-but numbers", `{"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}`, rulerEvent, true},
		{"anything-but numbers no", `{"detail": {"c-count": [{"anything-but": [1, 5.0, 9]}]}}`, rulerEvent, false},
		{"anything-but prefix", `{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}`, rulerEvent, true},
		{"anything-but prefix no", `{"detail": {"state": [{"anything-but": {"prefix": "run"}}]}}`, rulerEvent, false},
		{"anything-but suffix", `{"FileName": [{"anything-but": {"suffix": ".png"}}]}`, `{"FileName": "a.txt"}`, true},
		{"anything-but suffix no", `{"FileName": [{"anything-but": {"suffix": ".png"}}]}`, `{"FileName": "a.png"}`, false},
		{"anything-but ignore case", `{"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}`, `{"state": "running"}`, true},
		{"anything-but ignore case no", `{"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}`, `{"state": "INITIALIZING"}`, false},
		{"anything-but ignore case list no", `{"detail": {"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "OverLoaded"]}}]}}`, `{"detail": {"state": "overloaded"}}`, false},
		{"anything-but wildcard", `{"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}`, `{"FilePath": "/usr/bin/go"}`, true},
		{"anything-but wildcard no", `{"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}`, `{"FilePath": "/usr/lib/go"}`, false},
		{"anything-but wildcard list no", `{"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]}`, `{"FilePath": "/usr/bin/go"}`, false},
		{"anything-but weather", `{"Weather": [{"anything-but": ["Raining"]}]}`, `{"Weather": "Sunny"}`, true},
		{"anything-but needs the field", `{"Weather": [{"anything-but": ["Raining"]}]}`, `{"Temp": 20}`, false},
		{"anything-but other type", `{"Weather": [{"anything-but": "Raining"}]}`, `{"Weather": null}`, true},
		{"anything-but array any element", `{"tags": [{"anything-but": "a"}]}`, `{"tags": ["a", "b"]}`, true},
		{"anything-but array all excluded", `{"tags": [{"anything-but": "a"}]}`, `{"tags": ["a", "a"]}`, false},

		// Numeric.
		{"numeric doc", `{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"numeric": ["=", 3.018e2]}]}}`, rulerEvent, true},
		{"numeric upper bound open", `{"detail": {"c-count": [{"numeric": [">", 0, "<", 5]}]}}`, rulerEvent, false},
		{"numeric lower bound open", `{"detail": {"c-count": [{"numeric": [">", 5]}]}}`, rulerEvent, false},
		{"numeric lower bound closed", `{"detail": {"c-count": [{"numeric": [">=", 5]}]}}`, rulerEvent, true},
		{"numeric price", `{"Price": [{"numeric": [">", 10, "<=", 20]}]}`, `{"Price": 20}`, true},
		{"numeric price no", `{"Price": [{"numeric": [">", 10, "<=", 20]}]}`, `{"Price": 10}`, false},
		{"numeric never matches strings", `{"Price": [{"numeric": [">", 10]}]}`, `{"Price": "100"}`, false},
		{"numeric negative", `{"t": [{"numeric": [">=", -5, "<", -1.5]}]}`, `{"t": -2}`, true},
		{"numeric array element", `{"t": [{"numeric": ["<", 0]}]}`, `{"t": [3, 4, -1]}`, true},
		{"numeric equals", `{"Price": [{"numeric": ["=", 100]}]}`, `{"Price": 1e2}`, true},

		// Exact numbers compare by value.
		{"number 5 vs 5.0", `{"n": [5]}`, `{"n": 5.0}`, true},
		{"number 5.0 vs 5", `{"n": [5.0]}`, `{"n": 5}`, true},
		{"number exponent", `{"n": [300]}`, `{"n": 3e2}`, true},
		{"number vs string", `{"n": [5]}`, `{"n": "5"}`, false},
		{"string vs number", `{"n": ["5"]}`, `{"n": 5}`, false},
		{"price is 100", `{"Price": [100]}`, `{"Price": 100.0}`, true},

		// Null, empty, booleans.
		{"null", `{"UserID": [null]}`, `{"UserID": null}`, true},
		{"null not missing", `{"UserID": [null]}`, `{}`, false},
		{"null not empty", `{"UserID": [null]}`, `{"UserID": ""}`, false},
		{"empty string", `{"LastName": [""]}`, `{"LastName": ""}`, true},
		{"empty string not null", `{"LastName": [""]}`, `{"LastName": null}`, false},
		{"boolean", `{"ok": [true]}`, `{"ok": true}`, true},
		{"boolean no", `{"ok": [true]}`, `{"ok": "true"}`, false},

		// Equals-ignore-case.
		{"equals-ignore-case", `{"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}`, ec2Event, true},
		{"equals-ignore-case alice", `{"Name": [{"equals-ignore-case": "alice"}]}`, `{"Name": "ALICE"}`, true},
		{"equals-ignore-case no", `{"Name": [{"equals-ignore-case": "alice"}]}`, `{"Name": "alicia"}`, false},
		{"equals-ignore-case unicode", `{"Name": [{"equals-ignore-case": "straße"}]}`, `{"Name": "STRAßE"}`, true},

		// Wildcard.
		{"wildcard dir png", `{"FileName": [{"wildcard": "dir/*.png"}]}`, `{"FileName": "dir/a/b.png"}`, true},
		{"wildcard dir png no", `{"FileName": [{"wildcard": "dir/*.png"}]}`, `{"FileName": "other/b.png"}`, false},
		{"wildcard arn", `{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}`, `{"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/my-bus"}`, true},
		{"wildcard arn no", `{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}`, `{"EventBusArn": "arn:aws:events:us-west-2:123456789012:event-bus/my-bus"}`, false},
		{"wildcard middle", `{"t": [{"wildcard": "*Title*"}]}`, `{"t": "The Title Page"}`, true},
		{"wildcard empty run", `{"t": [{"wildcard": "a*b"}]}`, `{"t": "ab"}`, true},
		{"wildcard overlap", `{"t": [{"wildcard": "ab*ba"}]}`, `{"t": "aba"}`, false},
		{"wildcard star alone", `{"t": [{"wildcard": "*"}]}`, `{"t": ""}`, true},
		{"wildcard only strings", `{"t": [{"wildcard": "*"}]}`, `{"t": 1}`, false},
		{"wildcard escaped star", `{"t": [{"wildcard": "a\\*b"}]}`, `{"t": "a*b"}`, true},
		{"wildcard escaped star is literal", `{"t": [{"wildcard": "a\\*b"}]}`, `{"t": "axb"}`, false},
		{"wildcard escaped backslash", `{"t": [{"wildcard": "a\\\\*"}]}`, `{"t": "a\\bc"}`, true},

		// CIDR.
		{"cidr v4", `{"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}`, rulerEvent, true},
		{"cidr v4 no", `{"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}`, rulerEvent, false},
		{"cidr v4 wide", `{"detail": {"source-ip": [{"cidr": "10.0.0.0/8"}]}}`, rulerEvent, true},
		{"cidr v6", `{"ip": [{"cidr": "2001:db8::/64"}]}`, `{"ip": "2001:db8::1:2"}`, true},
		{"cidr v6 no", `{"ip": [{"cidr": "2001:db8::/64"}]}`, `{"ip": "2001:db8:0:1::1"}`, false},
		{"cidr not an ip", `{"ip": [{"cidr": "10.0.0.0/8"}]}`, `{"ip": "hello"}`, false},
		{"cidr family", `{"ip": [{"cidr": "10.0.0.0/8"}]}`, `{"ip": "2001:db8::1"}`, false},

		// Exists: leaves only.
		{"exists true", `{"detail": {"state": [{"exists": true}]}}`, rulerEvent, true},
		{"exists true no", `{"detail": {"reason": [{"exists": true}]}}`, rulerEvent, false},
		{"exists false", `{"detail": {"reason": [{"exists": false}]}}`, rulerEvent, true},
		{"exists false no", `{"detail": {"state": [{"exists": false}]}}`, rulerEvent, false},
		{"exists false on object", `{"detail": {"c-count": [{"exists": false}]}}`, `{"detail": {"c-count": {"c1": 100}}}`, true},
		{"exists true on object", `{"detail": {"c-count": [{"exists": true}]}}`, `{"detail": {"c-count": {"c1": 100}}}`, false},
		{"exists true on null", `{"a": [{"exists": true}]}`, `{"a": null}`, true},
		{"exists true empty array", `{"a": [{"exists": true}]}`, `{"a": []}`, false},
		{"exists false empty array", `{"a": [{"exists": false}]}`, `{"a": []}`, true},
		{"exists false parent missing", `{"detail": {"a": [{"exists": false}]}}`, `{"source": "x"}`, true},
		{"exists false parent scalar", `{"detail": {"a": [{"exists": false}]}}`, `{"detail": 5}`, true},
		{"exists or value", `{"a": ["x", {"exists": false}]}`, `{"a": "y"}`, false},
		{"exists or value absent", `{"a": ["x", {"exists": false}]}`, `{}`, true},

		// Arrays in events.
		{"array intersection", `{"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f", "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f"]}`,
			`{"resources": ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup", "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`, true},
		{"array no intersection", `{"resources": ["a", "b"]}`, `{"resources": ["c", "d"]}`, false},
		{"nested arrays flattened", `{"r": ["b"]}`, `{"r": [["a"], [["b"]]]}`, true},
		{"array of objects", `{"employees": {"firstName": ["Anna"]}}`, `{"employees": [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}]}`, true},
		{"array consistency", `{"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}`, `{"employees": [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}]}`, true},
		{"array consistency across elements", `{"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}`, `{"employees": [{"firstName": "Anna", "lastName": "Smith"}, {"firstName": "Peter", "lastName": "Jones"}]}`, false},
		{"array of arrays of objects", `{"employees": {"firstName": ["Peter"]}}`, `{"employees": [[{"firstName": "Anna"}], [{"firstName": "Peter"}]]}`, true},
		{"exists false per element", `{"items": {"sku": ["a"], "gift": [{"exists": false}]}}`, `{"items": [{"sku": "a", "gift": true}, {"sku": "b"}]}`, false},
		{"exists false per element yes", `{"items": {"sku": ["b"], "gift": [{"exists": false}]}}`, `{"items": [{"sku": "a", "gift": true}, {"sku": "b"}]}`, true},

		// $or.
		{"or top", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}]}`, `{"source": "aws.cloudwatch", "namespace": "AWS/ES"}`, true},
		{"or top no", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}]}`, `{"source": "aws.cloudwatch", "namespace": "AWS/S3"}`, false},
		{"or needs the and", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}`, `{"source": "aws.ec2", "namespace": "AWS/EC2"}`, false},
		{"or in detail", `{"detail": {"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"d-count": [{"numeric": ["<", 10]}]}, {"x-limit": [{"numeric": ["=", 3.018e2]}]}]}}`, `{"detail": {"d-count": 3}}`, true},
		{"or in detail no", `{"detail": {"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"d-count": [{"numeric": ["<", 10]}]}]}}`, `{"detail": {"c-count": 6, "d-count": 11}}`, false},
		{"parallel or", `{"$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}], "detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]}}`,
			`{"namespace": "AWS/EC2", "detail": {"detail-type": "CloudWatch Alarm State Change"}}`, true},
		{"parallel or half", `{"$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}], "detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]}}`,
			`{"namespace": "AWS/EC2", "detail": {"detail-type": "other"}}`, false},
		{"nested or", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"metricType": ["MetricType"], "namespace": ["AWS/EC2"], "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]}, {"scope": ["Service"]}]}`,
			`{"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2", "spaceId": 1000}`, true},
		{"nested or inner fails", `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"metricType": ["MetricType"], "namespace": ["AWS/EC2"], "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]}, {"scope": ["Service"]}]}`,
			`{"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2", "spaceId": 1001}`, false},
		{"or with exists false", `{"$or": [{"a": [{"exists": false}]}, {"a": ["x"]}]}`, `{"a": "x"}`, true},
		{"or with exists false no", `{"$or": [{"a": [{"exists": false}]}, {"a": ["x"]}]}`, `{"a": "y"}`, false},
		{"or inside array element", `{"items": {"$or": [{"sku": ["a"]}, {"qty": [2]}], "gift": [true]}}`, `{"items": [{"sku": "a", "gift": false}, {"qty": 2, "gift": true}]}`, true},
		{"or inside array element no", `{"items": {"$or": [{"sku": ["a"]}, {"qty": [3]}], "gift": [true]}}`, `{"items": [{"sku": "a", "gift": false}, {"qty": 2, "gift": true}]}`, false},

		// Combination: the complex example of the Ruler documentation.
		{"complex", `{"time": [{"prefix": "2017-10-02"}], "detail": {"state": [{"anything-but": "initializing"}], "c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"anything-but": [100, 200, 300]}], "source-ip": [{"cidr": "10.0.0.0/8"}]}}`, rulerEvent, true},
		{"complex one off", `{"time": [{"prefix": "2017-10-02"}], "detail": {"state": [{"anything-but": "initializing"}], "c-count": [{"numeric": [">", 0, "<=", 4]}], "source-ip": [{"cidr": "10.0.0.0/8"}]}}`, rulerEvent, false},
		{"mixed list", `{"a": ["x", {"prefix": "y"}, {"numeric": [">", 10]}]}`, `{"a": 11}`, true},
		{"dotted name is not a path", `{"a.b": [1]}`, `{"a": {"b": 1}}`, false},
		{"empty pattern", `{}`, rulerEvent, true},
	})
}

func TestMatchRejectsNonObjects(t *testing.T) {
	p, err := Compile([]byte(`{"a": ["x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []string{``, `[]`, `"x"`, `null`, `{"a": "x"} {}`, `{"a": `} {
		if _, err := p.Match([]byte(ev)); err == nil {
			t.Errorf("Match(%q): want an error", ev)
		}
	}
	if ok, err := p.Match([]byte(` {"a": "x"} `)); err != nil || !ok {
		t.Errorf("Match with whitespace = %v, %v", ok, err)
	}
}

func TestNilAndEmptyPatternsMatchEverything(t *testing.T) {
	var nilPattern *Pattern
	if !nilPattern.MatchValue(map[string]any{"a": 1}) {
		t.Error("nil pattern should match")
	}
	for _, raw := range []string{"", "  ", "{}", " { } "} {
		p, err := Compile([]byte(raw))
		if err != nil {
			t.Fatalf("Compile(%q): %v", raw, err)
		}
		if !p.MatchValue(nil) || !p.MatchValue(map[string]any{"x": []any{}}) {
			t.Errorf("Compile(%q) should match everything", raw)
		}
	}
}

func TestGoIntegersInEvents(t *testing.T) {
	p, err := Compile([]byte(`{"n": [5], "m": [{"numeric": [">", 1]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !p.MatchValue(map[string]any{"n": 5, "m": int64(2)}) {
		t.Error("int values should compare as numbers")
	}
}

func TestFoldKeyAgreesWithEqualFold(t *testing.T) {
	words := []string{"k", "K", "\u212a", "straße", "STRASSE", "ǅ", "ǆ", "Σ", "σ", "ς", "İ", "i", "ı", "\xff", "\ufffd", "Ab", "aB", ""}
	for _, a := range words {
		for _, b := range words {
			if got, want := foldKey(a) == foldKey(b), strings.EqualFold(a, b); got != want {
				t.Errorf("foldKey(%q)==foldKey(%q) is %v, EqualFold says %v", a, b, got, want)
			}
		}
	}
}
