package source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/eventgate/eventgate/internal/event"
)

// Locator says where a value of each request comes from: a literal (the
// same for every request), a header, or a JSONPath into the body.
type Locator struct {
	Literal string
	Header  string
	Path    string
	// malformed remembers JSON of the wrong shape, so that Validate can
	// name the field instead of the decoder failing without saying which.
	malformed bool
}

// locatorObject is the JSON form of a header or path locator.
type locatorObject struct {
	Header string `json:"from_header,omitempty"`
	Path   string `json:"from_path,omitempty"`
}

const locatorShapes = `must be a string (a fixed value), {"from_header": "<header name>"} or {"from_path": "$.a.b"}`

// MarshalJSON writes a literal as a string, anything else as an object.
func (l Locator) MarshalJSON() ([]byte, error) {
	if l.Literal != "" {
		return json.Marshal(l.Literal)
	}
	return json.Marshal(locatorObject{l.Header, l.Path})
}

// UnmarshalJSON reads either form; a wrong shape is reported by Validate.
func (l *Locator) UnmarshalJSON(b []byte) error {
	*l = Locator{}
	if json.Unmarshal(b, &l.Literal) == nil {
		return nil
	}
	var o locatorObject
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if dec.Decode(&o) != nil {
		l.malformed = true
		return nil
	}
	l.Header, l.Path = o.Header, o.Path
	return nil
}

// validate reports what is wrong with the locator of field; literalOK says
// whether a fixed value makes sense there.
func (l Locator) validate(p *event.Problems, field string, literalOK bool) {
	set := 0
	for _, v := range []string{l.Literal, l.Header, l.Path} {
		if v != "" {
			set++
		}
	}
	switch {
	case l.malformed || set > 1:
		p.Add(field, locatorShapes)
	case set == 0:
		p.Add(field, "is required: "+locatorShapes)
	case l.Literal != "" && !literalOK:
		p.Add(field, `must come from each request, {"from_header": "..."} or {"from_path": "..."}: a fixed value would make every request a duplicate`)
	case l.Literal != "" && !event.ValidTypeName(l.Literal):
		p.Add(field, fmt.Sprintf("%q is not an event type: it must match [a-z0-9][a-z0-9._-]*, e.g. \"push\"", l.Literal))
	case l.Header != "" && !headerName.MatchString(l.Header):
		p.Add(field+".from_header", fmt.Sprintf("%q is not an HTTP header name", l.Header))
	case l.Path != "":
		if _, err := parsePath(l.Path); err != nil {
			p.Add(field+".from_path", err.Error())
		}
	}
}

// find returns the located value of a request whose body is doc, or a
// message saying why there is none. Numbers count as their JSON text.
func (l Locator) find(h http.Header, doc any) (string, string) {
	switch {
	case l.Literal != "":
		return l.Literal, ""
	case l.Header != "":
		if v := h.Get(l.Header); v != "" {
			return v, ""
		}
		return "", fmt.Sprintf("the %s header is missing", l.Header)
	}
	steps, _ := parsePath(l.Path) // validated at creation
	switch v := lookup(doc, steps).(type) {
	case nil:
		return "", fmt.Sprintf("%s is not in the body", l.Path)
	case string:
		return v, ""
	case json.Number:
		return v.String(), ""
	default:
		return "", fmt.Sprintf("%s is %s in the body, not a string", l.Path, kind(v))
	}
}

// describe names where the locator looks, for messages: the field of the
// definition and, for a header or a path, its name.
func (l Locator) describe(field string) string {
	switch {
	case l.Header != "":
		return field + ".from_header"
	case l.Path != "":
		return field + ".from_path"
	}
	return field
}

func kind(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	}
	return "an object"
}

// parsePath reads the JSONPath subset sources need: "$" and member names,
// as in "$.type" or "$.event.kind".
func parsePath(p string) ([]string, error) {
	rest, ok := strings.CutPrefix(p, "$.")
	if !ok || len(p) > 256 {
		return nil, fmt.Errorf(`%q must be "$." followed by member names, e.g. "$.type" or "$.event.kind"`, p)
	}
	steps := strings.Split(rest, ".")
	for _, s := range steps {
		if s == "" || strings.ContainsAny(s, "[]*?@()' \"") {
			return nil, fmt.Errorf(`%q: only member names separated by '.' are supported (no indices, quotes, wildcards or filters), e.g. "$.event.kind"`, p)
		}
	}
	return steps, nil
}

// lookup follows steps through decoded JSON; nil means nothing is there.
func lookup(doc any, steps []string) any {
	for _, s := range steps {
		obj, ok := doc.(map[string]any)
		if !ok {
			return nil
		}
		doc = obj[s]
	}
	return doc
}
