package transform

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxPathLength keeps specs cheap to store and to evaluate.
const maxPathLength = 512

// supportedPaths ends the errors for JSONPath features this package lacks,
// so the person reading one sees what to write instead.
const supportedPaths = "supported: $, .name, ['any key'], [0], e.g. $.data.items[0].sku"

// step is one hop of a path: an object member, or an array element when
// index >= 0.
type step struct {
	key   string
	index int
}

// parsePath reads the JSONPath subset described in the package comment.
func parsePath(p string) ([]step, error) {
	switch {
	case p == "":
		return nil, errors.New(`is empty; use a JSONPath into the event envelope, e.g. "$.data.customer.name"`)
	case len(p) > maxPathLength:
		return nil, fmt.Errorf("is longer than %d characters", maxPathLength)
	case p[0] != '$':
		return nil, fmt.Errorf(`%q must start with "$" (the event envelope), e.g. "$.data.customer.name"`, p)
	}
	var steps []step
	for i := 1; i < len(p); {
		var s step
		var err error
		switch p[i] {
		case '.':
			s, i, err = parseDotted(p, i+1)
		case '[':
			s, i, err = parseBracket(p, i+1)
		default:
			err = unexpected(p, i, "'.' or '['")
		}
		if err != nil {
			return nil, fmt.Errorf("%q: %w", p, err)
		}
		steps = append(steps, s)
	}
	return steps, nil
}

// parseDotted reads the member name that starts at p[i], after a '.'.
func parseDotted(p string, i int) (step, int, error) {
	start := i
	for i < len(p) && isDottedNameByte(p[i]) {
		i++
	}
	if i == start {
		if i == len(p) {
			return step{}, i, errors.New("ends with '.'; a member name must follow")
		}
		if p[i] == '.' {
			return step{}, i, fmt.Errorf(`recursive descent ("..") is not supported (%s)`, supportedPaths)
		}
		return step{}, i, unexpected(p, i, "a member name (letters, digits, '_', '-', '/'; use ['...'] for other names)")
	}
	return step{key: p[start:i], index: -1}, i, nil
}

// parseBracket reads ['key'], ["key"] or [index]; p[i] follows the '['.
func parseBracket(p string, i int) (step, int, error) {
	if i == len(p) {
		return step{}, i, errors.New("ends with '['")
	}
	var s step
	switch c := p[i]; {
	case c == '\'' || c == '"':
		key, end, err := parseQuoted(p, i)
		if err != nil {
			return step{}, end, err
		}
		s, i = step{key: key, index: -1}, end
	case isDigit(c):
		start := i
		for i < len(p) && isDigit(p[i]) {
			i++
		}
		if i-start > 9 {
			return step{}, start, fmt.Errorf("index %s at offset %d is too large", p[start:i], start)
		}
		n, _ := strconv.Atoi(p[start:i])
		s = step{index: n}
	default:
		return step{}, i, unexpected(p, i, "a quoted member name or an index")
	}
	if i == len(p) || p[i] != ']' {
		return step{}, i, unexpected(p, i, "']'")
	}
	return s, i + 1, nil
}

// parseQuoted reads a quoted member name starting at p[i] and returns the
// name and the offset after its closing quote.
func parseQuoted(p string, i int) (string, int, error) {
	quote := p[i]
	var b strings.Builder
	for j := i + 1; j < len(p); j++ {
		switch c := p[j]; {
		case c == quote:
			return b.String(), j + 1, nil
		case c == '\\':
			j++
			if j == len(p) || (p[j] != quote && p[j] != '\\') {
				return "", j, fmt.Errorf(`at offset %d: only %c or \ may follow a backslash in a quoted name`, j, quote)
			}
			b.WriteByte(p[j])
		default:
			b.WriteByte(c)
		}
	}
	return "", len(p), fmt.Errorf("the name quoted at offset %d is not closed", i)
}

// unexpected explains the byte at p[i], naming the JSONPath feature it
// starts when that is one this package does not support.
func unexpected(p string, i int, want string) error {
	if i == len(p) {
		return fmt.Errorf("ends early; expected %s", want)
	}
	feature := map[byte]string{
		'*': "wildcards (*)",
		'?': "filters (?())",
		'@': "filters (@)",
		':': "slices ([a:b])",
		',': "unions ([a,b])",
		'-': "negative indices",
		'(': "script expressions",
	}[p[i]]
	if feature != "" {
		return fmt.Errorf("at offset %d: %s are not supported (%s)", i, feature, supportedPaths)
	}
	return fmt.Errorf("at offset %d: unexpected %q; expected %s", i, p[i], want)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isDottedNameByte follows EventBridge: letters, digits, '_', '-' and '/'.
func isDottedNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c) || c == '_' || c == '-' || c == '/'
}
