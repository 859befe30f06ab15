package pattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// Match reports whether the pattern matches an event given as raw JSON. It
// fails only when the event is not a single JSON object.
func (p *Pattern) Match(event []byte) (bool, error) {
	obj, err := decodeEvent(event)
	if err != nil {
		return false, err
	}
	return p.MatchValue(obj), nil
}

// MatchValue reports whether the pattern matches an already decoded event:
// a map from encoding/json, with numbers as json.Number (UseNumber) or
// float64. A nil pattern matches everything.
//
// Array semantics follow EventBridge: a leaf list matches if any element of
// an event array matches, and fields matched under an array of objects must
// all come from the same element.
func (p *Pattern) MatchValue(event map[string]any) bool {
	if p == nil || p.root == nil {
		return true
	}
	return p.root.matchObject(event)
}

func decodeEvent(event []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errors.New("pattern: event is not valid JSON: " + err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("pattern: unexpected content after the event object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("pattern: event must be a JSON object")
	}
	return obj, nil
}

// matchObject evaluates n against one event object; obj is nil when the
// object is absent, which only patterns made of {"exists": false} accept.
func (n *objectNode) matchObject(obj map[string]any) bool {
	for i := range n.fields {
		f := &n.fields[i]
		v, present := obj[f.name]
		if f.cond != nil {
			if !f.cond.matchField(v, present) {
				return false
			}
		} else if !f.sub.matchValue(v) {
			return false
		}
	}
	if n.or == nil {
		return true
	}
	for _, alt := range n.or {
		if alt.matchObject(obj) {
			return true
		}
	}
	return false
}

// matchValue evaluates a nested pattern object against the event value at
// that field. Against an array it needs one object element to match on its
// own (array consistency); with no object there at all, the field's leaves
// are all absent.
func (n *objectNode) matchValue(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return n.matchObject(t)
	case []any:
		if matched, sawObject := n.matchElements(t); sawObject {
			return matched
		}
	}
	return n.matchObject(nil)
}

func (n *objectNode) matchElements(arr []any) (matched, sawObject bool) {
	for _, e := range arr {
		switch t := e.(type) {
		case map[string]any:
			sawObject = true
			if n.matchObject(t) {
				return true, true
			}
		case []any: // nested arrays are flattened, as EventBridge does
			m, s := n.matchElements(t)
			if m {
				return true, true
			}
			sawObject = sawObject || s
		}
	}
	return false, sawObject
}

// matchField evaluates a leaf list against the event value at that field.
func (c *condition) matchField(v any, present bool) bool {
	if present && c.anyLeafMatches(v) {
		return true
	}
	return c.matchAbsent && !(present && hasLeaf(v))
}

func (c *condition) anyLeafMatches(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return false // objects are not leaves
	case []any:
		for _, e := range t {
			if c.anyLeafMatches(e) {
				return true
			}
		}
		return false
	}
	s, ok := toScalar(v)
	if !ok {
		return false
	}
	for _, p := range c.preds {
		if p.match(s) {
			return true
		}
	}
	return false
}

// hasLeaf reports whether v is, or (through arrays) contains, a leaf value.
// EventBridge's exists only looks at leaves: an object or an empty array
// does not "exist".
func hasLeaf(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return false
	case []any:
		for _, e := range t {
			if hasLeaf(e) {
				return true
			}
		}
		return false
	}
	_, ok := toScalar(v)
	return ok
}
