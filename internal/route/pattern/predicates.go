package pattern

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// scalar is one leaf value of an event, decoded once so that predicates can
// test it cheaply.
type scalar struct {
	kind scalarKind
	str  string
	num  float64
	b    bool
}

type scalarKind uint8

const (
	stringValue scalarKind = iota + 1
	numberValue
	boolValue
	nullValue
)

// toScalar converts a decoded JSON leaf (encoding/json types, with numbers as
// json.Number or float64; plain Go integers are accepted too). Objects,
// arrays and unknown types are not leaves.
func toScalar(v any) (scalar, bool) {
	switch t := v.(type) {
	case string:
		return scalar{kind: stringValue, str: t}, true
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if errors.Is(err, strconv.ErrSyntax) { // overflow is fine: it gives ±Inf
			return scalar{}, false
		}
		return scalar{kind: numberValue, num: f}, true
	case float64:
		return scalar{kind: numberValue, num: t}, true
	case bool:
		return scalar{kind: boolValue, b: t}, true
	case nil:
		return scalar{kind: nullValue}, true
	case int:
		return scalar{kind: numberValue, num: float64(t)}, true
	case int64:
		return scalar{kind: numberValue, num: float64(t)}, true
	case float32:
		return scalar{kind: numberValue, num: float64(t)}, true
	}
	return scalar{}, false
}

// equal compares two leaves by type and value; numbers compare numerically,
// so 5 equals 5.0.
func (a scalar) equal(b scalar) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case stringValue:
		return a.str == b.str
	case numberValue:
		return a.num == b.num
	case boolValue:
		return a.b == b.b
	}
	return true // both null
}

// predicate tests one event leaf value. All implementations are pointers, so
// predicates can be compared for identity when the Matcher unindexes them.
type predicate interface {
	match(v scalar) bool
}

// exactPred is a literal value in a pattern list: "x", 5, true or null.
type exactPred struct{ want scalar }

func (p *exactPred) match(v scalar) bool { return p.want.equal(v) }

// affixPred is prefix or suffix matching, optionally ignoring case; for
// ignoreCase, text is already case-folded.
type affixPred struct {
	text       string
	suffix     bool
	ignoreCase bool
}

func (p *affixPred) match(v scalar) bool {
	if v.kind != stringValue {
		return false
	}
	s := v.str
	if p.ignoreCase {
		var buf [64]byte
		folded := appendFold(buf[:0], s)
		if p.suffix {
			return len(folded) >= len(p.text) && string(folded[len(folded)-len(p.text):]) == p.text
		}
		return len(folded) >= len(p.text) && string(folded[:len(p.text)]) == p.text
	}
	if p.suffix {
		return strings.HasSuffix(s, p.text)
	}
	return strings.HasPrefix(s, p.text)
}

// foldEqualPred is equals-ignore-case; folded is the case-folded operand.
type foldEqualPred struct{ folded string }

func (p *foldEqualPred) match(v scalar) bool {
	if v.kind != stringValue {
		return false
	}
	var buf [64]byte
	return string(appendFold(buf[:0], v.str)) == p.folded
}

// numericPred is a numeric range; missing bounds are ±Inf and "=" is a
// closed range of one point. Only JSON numbers match, never strings.
type numericPred struct {
	lo, hi         float64
	loOpen, hiOpen bool
}

func (p *numericPred) match(v scalar) bool {
	return v.kind == numberValue && p.contains(v.num)
}

func (p *numericPred) contains(x float64) bool {
	aboveLo := x > p.lo || (!p.loOpen && x == p.lo)
	belowHi := x < p.hi || (!p.hiOpen && x == p.hi)
	return aboveLo && belowHi
}

func (p *numericPred) isPoint() bool { return p.lo == p.hi && !p.loOpen && !p.hiOpen }

// cidrPred matches string leaves holding an IP address inside the block.
type cidrPred struct{ prefix netip.Prefix }

func (p *cidrPred) match(v scalar) bool {
	if v.kind != stringValue {
		return false
	}
	addr, err := netip.ParseAddr(v.str)
	return err == nil && p.prefix.Contains(addr)
}

// existsPred is {"exists": true}: any leaf value, including null.
type existsPred struct{}

func (p *existsPred) match(scalar) bool { return true }

// anythingButPred matches any leaf that none of the excluded predicates
// accepts. A leaf must be present: an absent field never matches.
type anythingButPred struct{ excluded []predicate }

func (p *anythingButPred) match(v scalar) bool {
	for _, e := range p.excluded {
		if e.match(v) {
			return false
		}
	}
	return true
}
