package transform

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// fuzzPaths cover members, elements, quoted names and the whole envelope.
var fuzzPaths = map[string]string{
	"a":    "$.data.a",
	"b":    "$.data.b[1]",
	"c":    "$['data']['c d']",
	"deep": "$.data.a.n[0].m",
	"id":   "$.id",
	"all":  "$",
}

// decode keeps numbers as text, so that 1E700 is a number too.
func decode(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// referenceFind looks a path up the slow, obvious way: decode with
// encoding/json, then index.
func referenceFind(envelope []byte, steps []step) (any, bool) {
	v, err := decode(envelope)
	if err != nil {
		return nil, false
	}
	for _, s := range steps {
		switch container := v.(type) {
		case map[string]any:
			if s.index >= 0 {
				return nil, false
			}
			var ok bool
			if v, ok = container[s.key]; !ok {
				return nil, false
			}
		case []any:
			if s.index < 0 || s.index >= len(container) {
				return nil, false
			}
			v = container[s.index]
		default:
			return nil, false
		}
	}
	return v, true
}

// checkAgainstReference compares what the lookup finds with referenceFind.
func checkAgainstReference(t *testing.T, envelope []byte) {
	for name, p := range fuzzPaths {
		steps, _ := parsePath(p)
		l := newLookup()
		l.add(steps)
		found := make([]span, 1)
		if err := l.find(envelope, found); err != nil {
			t.Fatalf("%s: lookup failed on valid JSON %q: %v", name, envelope, err)
		}
		want, ok := referenceFind(envelope, steps)
		if !ok {
			if found[0] != (span{}) {
				t.Fatalf("%s (%s) in %q: found %s, want nothing", name, p, envelope, found[0].in(envelope))
			}
			continue
		}
		if got, err := decode(found[0].in(envelope)); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s (%s) in %q: found %s (%v), want %#v", name, p, envelope, found[0].in(envelope), err, want)
		}
	}
}

func FuzzApply(f *testing.F) {
	f.Add(`{"a":<a>,"s":"<a> <b> <c>","d":<deep>,"all":<all>}`, []byte(`{"id":"1","data":{"a":"x\"\n","b":[1,{"k":2}],"c d":null}}`))
	f.Add(`"<id>: <a>"`, []byte(`{"data":{"a":{"n":[{"m":"\u00e9\ud83d\ude00"}]}}}`))
	f.Add(`text <a> and <b>`, []byte(`{"data":{"a":1,"a":{"n":[{"m":2}]},"b":"\\u0041"}}`))
	f.Add(`[<all>, "<all>"]`, []byte(`  [1, {"data": true}] `))
	f.Add(`{"v":<a>}`, []byte(`{"data":{"a":tru}}`))
	f.Add(`<a><b>`, []byte(`{"data":{"a":1e3,"b":[0,-0.5]}}`))
	f.Fuzz(func(t *testing.T, template string, envelope []byte) {
		if len(template) > 1024 || len(envelope) > 4096 {
			return // long inputs find nothing new and make minimizing slow
		}
		tr, err := Compile(Spec{InputPaths: fuzzPaths, Template: template})
		if err != nil {
			return
		}
		out, ct, err := tr.Apply(envelope)
		validEnvelope := json.Valid(envelope)
		switch {
		case err != nil && validEnvelope:
			t.Fatalf("Apply(%q) failed on a valid envelope: %v", envelope, err)
		case err != nil:
			return
		case ct == contentTypeJSON && !json.Valid(out):
			t.Fatalf("content type JSON but %q is not JSON", out)
		case ct != contentTypeJSON && tr.json:
			t.Fatalf("JSON template gave content type %q for %q", ct, out)
		case ct != contentTypeJSON && ct != contentTypeText:
			t.Fatalf("content type %q", ct)
		}
		if validEnvelope {
			checkAgainstReference(t, envelope)
			// Formats must not fail on what they can read either.
			if body, _, err := FormatData.Render(envelope); err == nil && !json.Valid(body) {
				t.Fatalf("data format gave %q", body)
			}
			if body, _, err := FormatCloudEvents.Render(envelope); err == nil && !json.Valid(body) {
				t.Fatalf("cloudevents format gave %q", body)
			}
		}
		if bytes.Contains(out, []byte("\x00")) && ct == contentTypeJSON && tr.json {
			t.Fatalf("raw NUL in JSON output %q", out)
		}
	})
}
