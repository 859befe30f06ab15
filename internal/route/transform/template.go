package transform

import (
	"encoding/json"
	"fmt"
	"strings"
)

// placement says how a placeholder's value is written.
type placement uint8

const (
	asJSON       placement = iota // a value in a JSON template
	inJSONString                  // inside a "string" of a JSON template
	asText                        // anywhere in a text template
)

// segment is a piece of a template: literal text, or a placeholder when
// name is set.
type segment struct {
	text      string
	name      string
	slot      int
	placement placement
}

// splitTemplate cuts a template into literal text and placeholders, noting
// for each placeholder whether it sits inside a JSON string, which matters
// only if the template turns out to be JSON.
func splitTemplate(tmpl string) []segment {
	var segments []segment
	literalStart := 0
	inString, escaped := false, false
	for i := 0; i < len(tmpl); i++ {
		switch c := tmpl[i]; {
		case escaped:
			escaped = false
		case c == '\\' && inString:
			escaped = true
		case c == '"':
			inString = !inString
		case c == '<':
			n := placeholderLength(tmpl[i:])
			if n == 0 {
				continue
			}
			if literalStart < i {
				segments = append(segments, segment{text: tmpl[literalStart:i], slot: -1})
			}
			at := asJSON
			if inString {
				at = inJSONString
			}
			segments = append(segments, segment{name: tmpl[i+1 : i+n-1], slot: -1, placement: at})
			i += n - 1
			literalStart = i + 1
		}
	}
	if literalStart < len(tmpl) {
		segments = append(segments, segment{text: tmpl[literalStart:], slot: -1})
	}
	return segments
}

// placeholderLength returns the length of the <name> at the start of s, or 0.
func placeholderLength(s string) int {
	i := 1
	for i < len(s) && isNameByte(s[i]) {
		i++
	}
	if i > 1 && i < len(s) && s[i] == '>' {
		return i + 1
	}
	return 0
}

// choosePlacements decides whether the template is JSON by filling each
// placeholder outside a string with null and each one inside a string with
// nothing. Any JSON value may stand where null stands, so a JSON template
// gives valid JSON for any valid envelope.
func (t *Transform) choosePlacements(tmpl string) error {
	probe := make([]byte, 0, t.literalLen+4*len(t.segments))
	for _, seg := range t.segments {
		switch {
		case seg.name == "":
			probe = append(probe, seg.text...)
		case seg.placement == asJSON:
			probe = append(probe, "null"...)
		}
	}
	if json.Valid(probe) {
		t.json = true
		return nil
	}
	if trimmed := strings.TrimLeft(tmpl, " \t\r\n"); trimmed != "" && (trimmed[0] == '{' || trimmed[0] == '[') {
		err := json.Unmarshal(probe, new(json.RawMessage))
		return fmt.Errorf("starts with %q, so it must be JSON once filled in (a placeholder stands for a whole value, or sits inside a \"string\"; it cannot be an unquoted object key): %v", trimmed[0], err)
	}
	for i := range t.segments {
		t.segments[i].placement = asText
	}
	return nil
}
