package jsonscan

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Error says where and why a text is not one I-JSON value.
type Error struct {
	// Path names where, as the API names fields: data.items[2].sku; ""
	// for the text as a whole.
	Path string
	// Offset is the byte at which the problem starts.
	Offset int
	Reason string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s (at byte %d)", e.Reason, e.Offset)
	}
	return fmt.Sprintf("%s %s (at byte %d)", e.Path, e.Reason, e.Offset)
}

// maxDepth is encoding/json's nesting limit, so that both refuse the same texts.
const maxDepth = 10000

// linearNames is how many member names an object's duplicate check
// compares one by one before it looks them up in a map: most objects are
// small, and a map per object would allocate on every event.
const linearNames = 16

// CheckIJSON returns an *Error unless b is exactly one JSON value, with
// only whitespace around it, that is also I-JSON (RFC 7493): all strings
// valid UTF-8 without lone surrogate escapes, every number within a
// double's range, and no object repeating a member name. encoding/json
// accepts each of these (replacing, rounding or keeping the last), so what
// it decoded could differ from what is stored and delivered.
func CheckIJSON(b []byte) error {
	c := newChecker(b)
	return c.whole()
}

// CheckEntries is CheckIJSON for an object whose member name holds an
// array of entries judged each on its own (a batch of events): a problem
// inside an entry is in entryErrs, by the entry's index, with a path
// within the entry, and the rest of the text is still checked; a problem
// anywhere else is err.
func CheckEntries(b []byte, name string) (entryErrs map[int]error, err error) {
	c := newChecker(b)
	c.entries = name
	err = c.whole()
	return c.entryErrs, err
}

func newChecker(b []byte) *checker {
	return &checker{b: b, names: make([]span, 0, 2*linearNames)} // enough for most events, in one allocation
}

func (c *checker) whole() error {
	c.space()
	if err := c.value(0); err != nil {
		return err
	}
	if c.space(); c.i < len(c.b) {
		return c.fail("holds more than one JSON value (or more after one); send exactly one")
	}
	return nil
}

type checker struct {
	b []byte
	i int
	// entries names the top-level member whose array elements are judged
	// each on its own (CheckEntries); entryArray says the value about to be
	// checked is that array.
	entries    string
	entryArray bool
	entryErrs  map[int]error
	// names holds the member names (as spans of b) of the objects being
	// checked, innermost last.
	names []span
}

type span struct{ start, end int } // a name's raw bytes, between its quotes

func (c *checker) fail(reason string) *Error { return &Error{Offset: c.i, Reason: reason} }

func (c *checker) space() {
	for c.i < len(c.b) {
		switch c.b[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *checker) value(depth int) *Error {
	if c.i >= len(c.b) {
		return c.fail("ends where a value should start")
	}
	entries := c.entryArray
	c.entryArray = false
	switch ch := c.b[c.i]; {
	case ch == '{':
		if depth >= maxDepth {
			return c.fail("is nested too deeply")
		}
		return c.object(depth + 1)
	case ch == '[':
		if depth >= maxDepth {
			return c.fail("is nested too deeply")
		}
		return c.array(depth+1, entries)
	case ch == '"':
		return c.string()
	case ch == '-' || ('0' <= ch && ch <= '9'):
		return c.number()
	case ch == 't':
		return c.literal("true")
	case ch == 'f':
		return c.literal("false")
	case ch == 'n':
		return c.literal("null")
	}
	return c.fail(fmt.Sprintf("has %q where a value should start", c.b[c.i]))
}

func (c *checker) literal(word string) *Error {
	if !bytes.HasPrefix(c.b[c.i:], []byte(word)) {
		return c.fail("has a misspelt true, false or null")
	}
	c.i += len(word)
	return nil
}

func (c *checker) object(depth int) *Error {
	c.i++ // {
	first := len(c.names)
	defer func() { c.names = c.names[:first] }()
	var many map[string]bool // the names, once there are more than linearNames
	if c.space(); c.i < len(c.b) && c.b[c.i] == '}' {
		c.i++
		return nil
	}
	for {
		if c.i >= len(c.b) || c.b[c.i] != '"' {
			return c.fail("needs a quoted member name here")
		}
		start := c.i
		if err := c.string(); err != nil {
			return err
		}
		name := span{start + 1, c.i - 1}
		if c.seen(name, first, &many) {
			return &Error{Path: c.decode(name), Offset: start, Reason: "appears twice; a name may appear once in each object"}
		}
		if c.space(); c.i >= len(c.b) || c.b[c.i] != ':' {
			return c.fail("needs a ':' after a member name")
		}
		c.i++
		c.space()
		c.entryArray = depth == 1 && c.entries != "" && string(c.b[name.start:name.end]) == c.entries
		if err := c.value(depth); err != nil {
			err.Path = join(c.decode(name), err.Path)
			return err
		}
		c.space()
		if c.i < len(c.b) && c.b[c.i] == ',' {
			c.i++
			c.space()
			continue
		}
		if c.i < len(c.b) && c.b[c.i] == '}' {
			c.i++
			return nil
		}
		return c.fail("needs a ',' or '}' after an object member")
	}
}

// seen reports whether name was already a member of the object whose
// names start at c.names[first], and records it.
func (c *checker) seen(name span, first int, many *map[string]bool) bool {
	if *many != nil {
		key := c.decode(name)
		if (*many)[key] {
			return true
		}
		(*many)[key] = true
		return false
	}
	for _, other := range c.names[first:] {
		if c.sameName(name, other) {
			return true
		}
	}
	c.names = append(c.names, name)
	if len(c.names)-first > linearNames {
		*many = make(map[string]bool, 2*linearNames)
		for _, n := range c.names[first:] {
			(*many)[c.decode(n)] = true
		}
	}
	return false
}

// sameName compares two member names as the characters they stand for,
// so "a" and "\u0061" are the same name.
func (c *checker) sameName(a, b span) bool {
	rawA, rawB := c.b[a.start:a.end], c.b[b.start:b.end]
	if bytes.IndexByte(rawA, '\\') < 0 && bytes.IndexByte(rawB, '\\') < 0 {
		return bytes.Equal(rawA, rawB)
	}
	return c.decode(a) == c.decode(b)
}

// decode returns the characters a checked string stands for.
func (c *checker) decode(s span) string {
	raw := c.b[s.start:s.end]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	var out strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			out.WriteByte(raw[i])
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			out.WriteByte('\b')
		case 'f':
			out.WriteByte('\f')
		case 'n':
			out.WriteByte('\n')
		case 'r':
			out.WriteByte('\r')
		case 't':
			out.WriteByte('\t')
		case 'u':
			r := hex4(raw[i+1:])
			i += 4
			if utf16.IsSurrogate(r) { // checked: a pair
				r = utf16.DecodeRune(r, hex4(raw[i+3:]))
				i += 6
			}
			out.WriteRune(r)
		default: // " \ /
			out.WriteByte(raw[i])
		}
	}
	return out.String()
}

// array checks the array that opens at c.i; when it holds entries, a
// problem inside one is recorded and the next entry checked.
func (c *checker) array(depth int, entries bool) *Error {
	c.i++ // [
	if c.space(); c.i < len(c.b) && c.b[c.i] == ']' {
		c.i++
		return nil
	}
	for n := 0; ; n++ {
		start := c.i
		if err := c.value(depth); err != nil {
			if !entries {
				err.Path = fmt.Sprintf("[%d]", n) + dotted(err.Path)
				return err
			}
			if c.entryErrs == nil {
				c.entryErrs = map[int]error{}
			}
			c.entryErrs[n] = err
			if c.i = start; !c.skip() {
				return c.fail(fmt.Sprintf("ends inside entry %d", n))
			}
		}
		c.space()
		if c.i < len(c.b) && c.b[c.i] == ',' {
			c.i++
			c.space()
			continue
		}
		if c.i < len(c.b) && c.b[c.i] == ']' {
			c.i++
			return nil
		}
		return c.fail("needs a ',' or ']' after an array element")
	}
}

// skip moves past the value at c.i without judging its contents, to the
// ',' or closing bracket after it, and reports whether there is one.
func (c *checker) skip() bool {
	depth := 0
	for ; c.i < len(c.b); c.i++ {
		switch c.b[c.i] {
		case '"':
			if c.i = StringEnd(c.b, c.i); c.i < 0 {
				return false
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return true
			}
			depth--
		case ',':
			if depth == 0 {
				return true
			}
		}
	}
	return false
}

// join makes the path of a member's inner problem: name, name.inner or name[2].
func join(name, inner string) string { return name + dotted(inner) }

func dotted(inner string) string {
	if inner == "" || inner[0] == '[' {
		return inner
	}
	return "." + inner
}

// string checks the string that opens at c.i and moves past it.
func (c *checker) string() *Error {
	c.i++ // "
	for c.i < len(c.b) {
		ch := c.b[c.i]
		if plain[ch] {
			c.i++
			continue
		}
		switch {
		case ch == '"':
			c.i++
			return nil
		case ch == '\\':
			if err := c.escape(); err != nil {
				return err
			}
		case ch < 0x20:
			return c.fail("has a control character in a string; escape it (\\n, \\u0001)")
		default:
			r, size := utf8.DecodeRune(c.b[c.i:])
			if r == utf8.RuneError && size == 1 {
				return c.fail("holds bytes that are not UTF-8; send text as UTF-8")
			}
			c.i += size
		}
	}
	return c.fail("ends inside a string")
}

// plain marks the bytes a string may hold as they are: ASCII other than
// controls, the quote and the backslash.
var plain = func() (t [256]bool) {
	for ch := 0x20; ch < utf8.RuneSelf; ch++ {
		t[ch] = ch != '"' && ch != '\\'
	}
	return t
}()

// escape checks the escape that starts at c.i and moves past it; \u
// escapes of surrogates must come in pairs (high, then low), which stand
// for one character.
func (c *checker) escape() *Error {
	rest := c.b[c.i+1:]
	if len(rest) == 0 {
		return c.fail("ends inside a string")
	}
	switch rest[0] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		c.i += 2
		return nil
	case 'u':
	default:
		return c.fail(fmt.Sprintf("has an unknown escape \\%c", rest[0]))
	}
	r := hex4(rest[1:])
	if r < 0 {
		return c.fail("has a \\u escape without four hex digits")
	}
	if !utf16.IsSurrogate(r) {
		c.i += 6
		return nil
	}
	paired := r < 0xdc00 && len(rest) >= 11 && rest[5] == '\\' && rest[6] == 'u'
	if paired {
		low := hex4(rest[7:])
		paired = 0xdc00 <= low && low <= 0xdfff
	}
	if !paired {
		return c.fail(fmt.Sprintf("has a lone surrogate escape \\u%04x; a character above U+FFFF is a pair, e.g. \\ud83d\\ude00", r))
	}
	c.i += 12
	return nil
}

// hex4 returns the value of four hex digits at the start of b, or -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, h := range b[:4] {
		switch {
		case '0' <= h && h <= '9':
			r = r<<4 | rune(h-'0')
		case 'a' <= h && h <= 'f':
			r = r<<4 | rune(h-'a'+10)
		case 'A' <= h && h <= 'F':
			r = r<<4 | rune(h-'A'+10)
		default:
			return -1
		}
	}
	return r
}

// maxPlainDigits: a number without an exponent and with fewer digits than
// this is surely within a double's range (at most about 1.8e308).
const maxPlainDigits = 300

func (c *checker) number() *Error {
	start := c.i
	c.i += len(c.b[c.i:]) - len(bytes.TrimLeft(c.b[c.i:], "-0123456789.eE+"))
	text := c.b[start:c.i]
	if !validNumber(text) {
		c.i = start
		return c.fail(fmt.Sprintf("has %q, which is not a JSON number", text))
	}
	if len(text) < maxPlainDigits && bytes.IndexAny(text, "eE") < 0 {
		return nil
	}
	if _, err := strconv.ParseFloat(string(text), 64); err != nil {
		c.i = start
		return c.fail("is a number beyond a double's range (about ±1.8e308)")
	}
	return nil
}

// validNumber follows RFC 8259's grammar: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
func validNumber(s []byte) bool {
	s = bytes.TrimPrefix(s, []byte("-"))
	digits := func() int {
		n := len(s) - len(bytes.TrimLeft(s, "0123456789"))
		s = s[n:]
		return n
	}
	switch {
	case len(s) == 0:
		return false
	case s[0] == '0':
		s = s[1:]
	case digits() == 0:
		return false
	}
	if len(s) > 0 && s[0] == '.' {
		s = s[1:]
		if digits() == 0 {
			return false
		}
	}
	if len(s) > 0 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
			s = s[1:]
		}
		if digits() == 0 {
			return false
		}
	}
	return len(s) == 0
}
