package pattern

// Limits on one pattern. EventBridge's own limits are larger; these keep the
// compile cost and the index footprint of every subscription small and
// predictable.
const (
	// maxPatternBytes bounds the pattern's JSON text.
	maxPatternBytes = 4096
	// maxCombinations bounds how many alternative conjunctions ("clauses")
	// the pattern expands to once every "$or" is multiplied out.
	maxCombinations = 1000
	// maxDepth bounds how deeply objects nest, counting the top-level object
	// and each "$or" alternative as one level.
	maxDepth = 10
	// numericLimit is EventBridge's documented range for numeric operands.
	numericLimit = 5e9
)

// operatorNames are the keys of operator objects such as {"prefix": "x"}.
// Inside "$or" they may not be used as field names (EventBridge's rule),
// because there they would be ambiguous.
var operatorNames = map[string]bool{
	"prefix": true, "suffix": true, "equals-ignore-case": true, "wildcard": true,
	"anything-but": true, "numeric": true, "exists": true, "cidr": true,
}

// Pattern is a compiled, validated event pattern. It is immutable and safe
// for concurrent use.
type Pattern struct {
	root *objectNode
	// clauses is the pattern in disjunctive normal form: it matches only if,
	// for some clause, every leaf condition holds. The Matcher indexes them.
	clauses []clause
}

// objectNode is one object of the pattern: all fields must match (AND), and
// when "$or" is present, at least one alternative must match too.
type objectNode struct {
	path   string // JSON path in the pattern, for errors
	fields []field
	or     []*objectNode
	orPath string
}

// field is one member of a pattern object: either a nested object or a leaf
// list of allowed values.
type field struct {
	name string
	sub  *objectNode
	cond *condition
}

// condition is a leaf list: it holds if any predicate accepts any of the
// event's leaf values at that field, or, with {"exists": false}, if there is
// no leaf value there at all.
type condition struct {
	preds       []predicate
	matchAbsent bool
}

// leafCondition is a condition together with the field path it applies to.
type leafCondition struct {
	path []string
	cond *condition
}

type clause []leafCondition

// Compile parses and validates a pattern written in EventBridge's event
// pattern language. An empty input or {} matches every event. Errors are
// *Error values carrying the path of the problem inside the pattern.
func Compile(raw []byte) (*Pattern, error) {
	if len(raw) > maxPatternBytes {
		return nil, newError("$", "pattern is %d bytes; the limit is %d", len(raw), maxPatternBytes)
	}
	doc := &jsonValue{kind: jsonObject}
	if !isJSONBlank(raw) {
		var err error
		if doc, err = parseJSON(raw); err != nil {
			return nil, err
		}
	}
	if doc.kind != jsonObject {
		return nil, newError("$", `a pattern must be a JSON object, e.g. {"type": ["order.created"]}`)
	}
	root, err := compileObject(doc, "$", 1, false)
	if err != nil {
		return nil, err
	}
	clauses, err := expandClauses(root, nil)
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root, clauses: clauses}, nil
}

// isJSONBlank reports whether raw holds nothing but JSON whitespace.
func isJSONBlank(raw []byte) bool {
	for _, c := range raw {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func compileObject(v *jsonValue, path string, depth int, inOr bool) (*objectNode, error) {
	if depth > maxDepth {
		return nil, newError(path, "objects nest deeper than %d levels", maxDepth)
	}
	if len(v.keys) == 0 && depth > 1 {
		return nil, newError(path, "empty object; give at least one field to match")
	}
	n := &objectNode{path: path}
	for i, name := range v.keys {
		val, p := v.values[i], childPath(path, name)
		if name == "$or" {
			alts, err := compileOr(val, p, depth)
			if err != nil {
				return nil, err
			}
			n.or, n.orPath = alts, p
			continue
		}
		if inOr && operatorNames[name] {
			return nil, newError(p, "%q is an operator and cannot be used as a field name inside $or", name)
		}
		switch val.kind {
		case jsonObject:
			sub, err := compileObject(val, p, depth+1, inOr)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{name: name, sub: sub})
		case jsonArray:
			cond, err := compileCondition(val, p)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{name: name, cond: cond})
		default:
			return nil, newError(p, `a field must hold an array of values to match, e.g. ["x"], or a nested object; a bare value is not allowed`)
		}
	}
	return n, nil
}

func compileOr(v *jsonValue, path string, depth int) ([]*objectNode, error) {
	if v.kind != jsonArray || len(v.values) < 2 {
		return nil, newError(path, `$or expects an array of at least two objects, e.g. [{"a": ["x"]}, {"b": ["y"]}]`)
	}
	alts := make([]*objectNode, 0, len(v.values))
	for i, alt := range v.values {
		p := elemPath(path, i)
		if alt.kind != jsonObject {
			return nil, newError(p, "each $or alternative must be an object")
		}
		if len(alt.keys) == 0 {
			return nil, newError(p, "empty $or alternative; give at least one field to match")
		}
		n, err := compileObject(alt, p, depth+1, true)
		if err != nil {
			return nil, err
		}
		alts = append(alts, n)
	}
	return alts, nil
}

// expandClauses multiplies out every "$or" below n, returning the pattern as
// a list of conjunctions of leaf conditions (paths are relative to the root).
func expandClauses(n *objectNode, path []string) ([]clause, error) {
	out := []clause{{}}
	for _, f := range n.fields {
		fp := make([]string, len(path)+1)
		copy(fp, path)
		fp[len(path)] = f.name
		if f.cond != nil {
			for i := range out {
				out[i] = append(out[i], leafCondition{path: fp, cond: f.cond})
			}
			continue
		}
		sub, err := expandClauses(f.sub, fp)
		if err != nil {
			return nil, err
		}
		if out, err = crossClauses(out, sub, f.sub.path); err != nil {
			return nil, err
		}
	}
	if n.or == nil {
		return out, nil
	}
	var alts []clause
	for _, alt := range n.or {
		a, err := expandClauses(alt, path)
		if err != nil {
			return nil, err
		}
		alts = append(alts, a...)
		if len(alts) > maxCombinations {
			return nil, tooManyCombinations(n.orPath, len(alts))
		}
	}
	return crossClauses(out, alts, n.orPath)
}

// crossClauses ANDs two disjunctions: every clause of a with every clause of b.
func crossClauses(a, b []clause, path string) ([]clause, error) {
	if len(a)*len(b) > maxCombinations {
		return nil, tooManyCombinations(path, len(a)*len(b))
	}
	out := make([]clause, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			c := make(clause, 0, len(x)+len(y))
			out = append(out, append(append(c, x...), y...))
		}
	}
	return out, nil
}

func tooManyCombinations(path string, n int) *Error {
	return newError(path, "the $or alternatives expand to %d combinations; the limit is %d", n, maxCombinations)
}
