package transform

import (
	"bytes"
	"fmt"
)

// span locates a value in the envelope; the zero span means none was found,
// since every value is at least one byte long.
type span struct{ start, end int }

func (s span) in(data []byte) []byte {
	if s.end == 0 {
		return nil
	}
	return data[s.start:s.end]
}

// find sets found[slot] to where each path's value is in envelope. It trusts
// the envelope to be JSON but fails, without panicking, on the malformations
// it meets along the way. Spans rather than slices keep found free of
// pointers, so that callers can keep it on the stack.
func (l *lookup) find(envelope []byte, found []span) error {
	w := walker{data: envelope, found: found}
	end, err := w.value(l.root, 0)
	if err != nil {
		return err
	}
	if i := skipSpace(envelope, end); i != len(envelope) {
		return malformed(i, "data after the end of the envelope")
	}
	return nil
}

// walker descends only into the members and elements some path needs and
// skips everything else without looking inside.
type walker struct {
	data  []byte
	found []span
}

// value reads the value at data[i] (after optional space) for node n and
// returns the offset just past it.
func (w *walker) value(n *node, i int) (int, error) {
	i = skipSpace(w.data, i)
	start := i
	var err error
	switch {
	case i < len(w.data) && w.data[i] == '{' && n.members:
		i, err = w.object(n, i)
	case i < len(w.data) && w.data[i] == '[' && n.elements:
		i, err = w.array(n, i)
	default:
		i, err = skipValue(w.data, i)
	}
	if err == nil && n.slot >= 0 {
		w.found[n.slot] = span{start, i}
	}
	return i, err
}

func (w *walker) object(n *node, i int) (int, error) {
	var scratch [64]byte // for member names with escapes
	i, done := openContainer(w.data, i, '}')
	for !done {
		name, at, err := memberName(w.data, i)
		if err != nil {
			return at, err
		}
		if child := n.member(unescapeName(scratch[:0], name)); child != nil {
			// A repeated name replaces what an earlier one found, as encoding/json does.
			for _, s := range child.subtree {
				w.found[s] = span{}
			}
			i, err = w.value(child, at)
		} else {
			i, err = skipValue(w.data, skipSpace(w.data, at))
		}
		if err != nil {
			return i, err
		}
		if i, done, err = nextItem(w.data, i, '}'); err != nil {
			return i, err
		}
	}
	return i, nil
}

func (w *walker) array(n *node, i int) (int, error) {
	i, done := openContainer(w.data, i, ']')
	for index := 0; !done; index++ {
		var err error
		if child := n.element(index); child != nil {
			i, err = w.value(child, i)
		} else {
			i, err = skipValue(w.data, skipSpace(w.data, i))
		}
		if err != nil {
			return i, err
		}
		if i, done, err = nextItem(w.data, i, ']'); err != nil {
			return i, err
		}
	}
	return i, nil
}

// unescapeName returns a member name as text; names without escapes, the
// usual case, are returned as they are, without copying into scratch.
func unescapeName(scratch, raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	return appendUnescaped(scratch, raw)
}

// The object and array loops are written out, not driven by callbacks, so
// that escape analysis keeps the caller's spans on the stack.

// openContainer steps past the '{' or '[' at data[i], and past closer too
// when the container is empty, which it reports.
func openContainer(data []byte, i int, closer byte) (int, bool) {
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == closer {
		return i + 1, true
	}
	return i, false
}

// memberName reads `"name":` at data[i] and returns the raw (still escaped)
// name and the offset of the member's value.
func memberName(data []byte, i int) ([]byte, int, error) {
	i = skipSpace(data, i)
	if i == len(data) || data[i] != '"' {
		return nil, i, malformed(i, "expected a member name")
	}
	end, err := skipString(data, i)
	if err != nil {
		return nil, end, err
	}
	name := data[i+1 : end-1]
	i = skipSpace(data, end)
	if i == len(data) || data[i] != ':' {
		return nil, i, malformed(i, "expected ':' after a member name")
	}
	return name, i + 1, nil
}

// nextItem steps past the ',' that follows a member or element, or past the
// closer that ends the container, and reports which.
func nextItem(data []byte, i int, closer byte) (int, bool, error) {
	i = skipSpace(data, i)
	switch {
	case i == len(data):
		return i, true, malformed(i, "an object or array that does not end")
	case data[i] == ',':
		return i + 1, false, nil
	case data[i] == closer:
		return i + 1, true, nil
	}
	return i, true, malformed(i, fmt.Sprintf("expected ',' or '%c'", closer))
}

// skipValue returns the offset past the value at data[i]. Objects and arrays
// are skipped by counting brackets outside strings, without checking what
// they hold.
func skipValue(data []byte, i int) (int, error) {
	if i == len(data) {
		return i, malformed(i, "expected a value")
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				end, err := skipString(data, i)
				if err != nil {
					return end, err
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return i, malformed(i, "an object or array that does not end")
	case ',', ':', '}', ']':
		return i, malformed(i, "expected a value")
	}
	// A number, true, false or null runs to the next delimiter.
	for i < len(data) && !isDelimiter(data[i]) {
		i++
	}
	return i, nil
}

// skipString returns the offset past the string whose opening quote is at data[i].
func skipString(data []byte, i int) (int, error) {
	for j := i + 1; ; j++ {
		k := bytes.IndexByte(data[j:], '"')
		if k < 0 {
			return len(data), malformed(i, "a string that does not end")
		}
		j += k
		// The quote ends the string unless an odd number of backslashes escapes it.
		backslashes := 0
		for b := j - 1; b > i && data[b] == '\\'; b-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return j + 1, nil
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isDelimiter(c byte) bool {
	return isSpace(c) || c == ',' || c == ':' || c == '}' || c == ']' || c == '{' || c == '[' || c == '"'
}

func malformed(offset int, what string) error {
	return fmt.Errorf("envelope is not valid JSON: %s at offset %d", what, offset)
}
