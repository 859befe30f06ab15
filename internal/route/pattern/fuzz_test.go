package pattern

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

var fuzzPatterns = []string{
	`{}`,
	`{"source": ["aws.ec2"], "detail": {"state": ["terminated", "running"]}}`,
	`{"time": [{"prefix": "2017-10-02"}], "detail": {"state": [{"anything-but": "initializing"}], "c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"anything-but": [100, 200, 300]}], "source-ip": [{"cidr": "10.0.0.0/8"}]}}`,
	`{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}], "FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}`,
	`{"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}], "f": [{"wildcard": "dir/*.png"}, {"wildcard": "a\\*b"}]}`,
	`{"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "OverLoaded"]}}], "r": [{"anything-but": {"prefix": "us-"}}]}`,
	`{"a": [null, true, false, "", 5.0, {"exists": false}], "b": [{"exists": true}], "ip": [{"cidr": "2001:db8::/64"}]}`,
	`{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"metricType": ["MetricType"], "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]}]}`,
	`{"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}`,
	`{"data": {"amount": [{"numeric": [">", "0"]}]}}`,
	`{"a": "x"}`,
	`{"a": [{"wildcard": "a**"}]}`,
	`{"$or": [{"a": ["x"]}]}`,
}

var fuzzEvents = []string{
	ec2Event,
	rulerEvent,
	`{"employees": [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}]}`,
	`{"a": null, "b": [], "c": {"d": [[1], {"e": "x"}]}, "ip": "2001:db8::1"}`,
	`{"detail": {"service": "EVENTBRIDGE", "FileName": "X.PNG", "state": "STOPPED"}, "FilePath": "/usr/lib/x"}`,
	`{}`,
}

// checkAgainstMatcher asserts that a one-pattern Matcher agrees with
// MatchValue, and returns the answer.
func checkAgainstMatcher(t *testing.T, p *Pattern, ev map[string]any) bool {
	want := p.MatchValue(ev)
	m := NewMatcher()
	m.Add("p", p)
	m.Add("q", p) // same pattern twice: each id once
	got := m.Match(ev, nil)
	slices.Sort(got)
	if want && !slices.Equal(got, []string{"p", "q"}) || !want && len(got) != 0 {
		t.Fatalf("Matcher = %v, MatchValue = %v", got, want)
	}
	return want
}

func FuzzCompile(f *testing.F) {
	for _, p := range fuzzPatterns {
		f.Add([]byte(p))
	}
	events := make([]map[string]any, len(fuzzEvents))
	for i, raw := range fuzzEvents {
		ev, err := decodeEvent([]byte(raw))
		if err != nil {
			f.Fatal(err)
		}
		events[i] = ev
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Compile(raw)
		if err != nil {
			var perr *Error
			if p != nil || !errors.As(err, &perr) || perr.Path == "" || perr.Path[0] != '$' || perr.Message == "" {
				t.Fatalf("bad failure: pattern %v, error %#v", p, err)
			}
			return
		}
		for _, ev := range events {
			checkAgainstMatcher(t, p, ev)
		}
		// The pattern's own text, as an event, exercises arrays and
		// objects where the pattern expects leaves and vice versa.
		var self map[string]any
		if json.Unmarshal(raw, &self) == nil {
			checkAgainstMatcher(t, p, self)
		}
	})
}

func FuzzMatch(f *testing.F) {
	for i, p := range fuzzPatterns {
		for _, ev := range fuzzEvents[i%3 : i%3+3] {
			f.Add(p, []byte(ev))
		}
	}
	f.Fuzz(func(t *testing.T, pattern string, event []byte) {
		p, err := Compile([]byte(pattern))
		if err != nil {
			return
		}
		got, err := p.Match(event)
		if err != nil {
			if got {
				t.Fatal("Match failed yet reported a match")
			}
			return
		}
		ev, err := decodeEvent(event)
		if err != nil {
			t.Fatalf("Match accepted an event decodeEvent rejects: %v", err)
		}
		if checkAgainstMatcher(t, p, ev) != got {
			t.Fatal("Match and MatchValue disagree")
		}
	})
}
