package pattern

import (
	"fmt"
	"strconv"
)

// Error says why a pattern was rejected and where in the pattern the problem is.
type Error struct {
	// Path is the JSON path of the offending element inside the pattern,
	// e.g. "$.data.amount[0].numeric". "$" is the whole pattern.
	Path string
	// Message says what is wrong, in words meant for the pattern's author.
	Message string
}

func (e *Error) Error() string { return "pattern " + e.Path + ": " + e.Message }

func newError(path, format string, args ...any) *Error {
	return &Error{Path: path, Message: fmt.Sprintf(format, args...)}
}

// childPath extends a JSON path with a member name. Names that would be
// ambiguous in dotted form (dots, spaces, brackets...) are written ["quoted"].
func childPath(parent, name string) string {
	if isPlainName(name) {
		return parent + "." + name
	}
	return parent + "[" + strconv.Quote(name) + "]"
}

func elemPath(parent string, i int) string { return parent + "[" + strconv.Itoa(i) + "]" }

func isPlainName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-', c == '$':
		default:
			return false
		}
	}
	return true
}
