package transform

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/eventgate/eventgate/internal/event"
)

// Spec is what a subscription stores.
type Spec struct {
	InputPaths map[string]string `json:"input_paths,omitempty"` // name -> JSONPath like "$.data.customer.name"
	Template   string            `json:"template"`
}

// Limits on a Spec; the first two are EventBridge's.
const (
	MaxInputPaths     = 100
	MaxTemplateLength = 8192
	MaxNameLength     = 64
)

// reservedPrefix starts the names of predefined variables.
const reservedPrefix = "eventgate."

// predefined variables may be used in any template without being declared.
var predefined = map[string]string{
	"eventgate.event":      "$",
	"eventgate.event.data": "$.data",
	"eventgate.event.id":   "$.id",
	"eventgate.event.type": "$.type",
	"eventgate.event.time": "$.time",
}

// Transform is a compiled Spec; it is safe for concurrent use.
type Transform struct {
	segments   []segment
	paths      *lookup
	json       bool // a JSON template: placeholders follow JSON rules and the result is checked
	literalLen int  // bytes of literal text, to size the output
}

// Compile validates a spec and prepares it for Apply. Its errors are
// *event.ValidationError, with fields "transform.input_paths.<name>",
// "transform.input_paths" and "transform.template".
func Compile(s Spec) (*Transform, error) {
	var problems event.Problems
	declared := compilePaths(s.InputPaths, &problems)
	segments, ok := checkTemplate(s.Template, &problems)
	if !ok {
		return nil, problems.Err()
	}

	t := &Transform{segments: segments, paths: newLookup()}
	slots := map[string]int{}
	for i := range t.segments {
		seg := &t.segments[i]
		if seg.name == "" {
			t.literalLen += len(seg.text)
			continue
		}
		slot, seen := slots[seg.name]
		if !seen {
			slot = -1
			if steps, ok := resolve(seg.name, declared, &problems); ok {
				slot = t.paths.add(steps)
			}
			slots[seg.name] = slot // reports an undefined name only once
		}
		seg.slot = slot
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	if err := t.choosePlacements(s.Template); err != nil {
		problems.Add("transform.template", err.Error())
		return nil, problems.Err()
	}
	return t, nil
}

// declaredPath is a name of Spec.InputPaths; ok is false when its name or
// path is invalid, which has been reported already.
type declaredPath struct {
	steps []step
	ok    bool
}

// resolve finds the path a placeholder names, or reports that it has none.
func resolve(name string, declared map[string]declaredPath, problems *event.Problems) ([]step, bool) {
	if d, ok := declared[name]; ok {
		return d.steps, d.ok
	}
	if p, ok := predefined[name]; ok {
		steps, err := parsePath(p)
		return steps, err == nil
	}
	problems.Add("transform.template", fmt.Sprintf(
		"uses <%s>, which is neither in input_paths nor predefined (%s); a literal <%s> inside a JSON string can be written \\u003c%s>",
		name, predefinedNames(), name, name))
	return nil, false
}

// compilePaths checks every declared name and path, used or not.
func compilePaths(paths map[string]string, problems *event.Problems) map[string]declaredPath {
	if len(paths) > MaxInputPaths {
		problems.Add("transform.input_paths", fmt.Sprintf("has %d entries; at most %d are allowed", len(paths), MaxInputPaths))
	}
	names := make([]string, 0, len(paths))
	for name := range paths {
		names = append(names, name)
	}
	sort.Strings(names) // errors in a stable order
	declared := make(map[string]declaredPath, len(paths))
	for _, name := range names {
		field := "transform.input_paths." + name
		declared[name] = declaredPath{}
		switch {
		case name == "" || len(name) > MaxNameLength || !isNameString(name):
			problems.Add(field, fmt.Sprintf("name must be 1 to %d letters, digits, '_', '.' or '-', as it is used as <name> in the template", MaxNameLength))
			continue
		case strings.HasPrefix(name, reservedPrefix):
			problems.Add(field, fmt.Sprintf("names starting with %q are reserved for predefined variables (%s)", reservedPrefix, predefinedNames()))
			continue
		}
		steps, err := parsePath(paths[name])
		if err != nil {
			problems.Add(field, err.Error())
			continue
		}
		declared[name] = declaredPath{steps: steps, ok: true}
	}
	return declared
}

// checkTemplate checks the template's size and encoding and splits it.
func checkTemplate(tmpl string, problems *event.Problems) ([]segment, bool) {
	switch {
	case tmpl == "":
		problems.Add("transform.template", `is required: the payload to deliver, with <name> placeholders, e.g. {"customer": <customer>}`)
	case len(tmpl) > MaxTemplateLength:
		problems.Add("transform.template", fmt.Sprintf("is %d bytes long; at most %d are allowed", len(tmpl), MaxTemplateLength))
	case !utf8.ValidString(tmpl):
		problems.Add("transform.template", "must be valid UTF-8 text")
	default:
		return splitTemplate(tmpl), true
	}
	return nil, false
}

// predefinedNames lists the predefined variables for error messages.
func predefinedNames() string {
	names := make([]string, 0, len(predefined))
	for name := range predefined {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func isNameString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

// isNameByte says what may appear between < and > in a placeholder.
func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c) || c == '_' || c == '.' || c == '-'
}
