package pattern

import (
	"math"
	"net/netip"
	"strconv"
)

// compileCondition compiles a leaf list such as ["a", {"prefix": "b"}].
func compileCondition(list *jsonValue, path string) (*condition, error) {
	if len(list.values) == 0 {
		return nil, newError(path, "empty array matches nothing; list at least one value")
	}
	c := &condition{}
	for i, v := range list.values {
		p := elemPath(path, i)
		switch v.kind {
		case jsonString, jsonBool, jsonNull, jsonNumber:
			want, err := literal(v, p)
			if err != nil {
				return nil, err
			}
			c.preds = append(c.preds, &exactPred{want: want})
		case jsonArray:
			return nil, newError(p, "arrays cannot be nested inside a list of values")
		case jsonObject:
			pred, err := compileOperator(v, p)
			if err != nil {
				return nil, err
			}
			if pred == nil { // {"exists": false}
				c.matchAbsent = true
			} else {
				c.preds = append(c.preds, pred)
			}
		}
	}
	return c, nil
}

// literal converts a JSON scalar of the pattern into the value it must equal.
func literal(v *jsonValue, path string) (scalar, error) {
	switch v.kind {
	case jsonString:
		return scalar{kind: stringValue, str: v.text}, nil
	case jsonBool:
		return scalar{kind: boolValue, b: v.boolean}, nil
	case jsonNull:
		return scalar{kind: nullValue}, nil
	default:
		f, err := parseNumber(v, path)
		return scalar{kind: numberValue, num: f}, err
	}
}

func parseNumber(v *jsonValue, path string) (float64, error) {
	f, err := strconv.ParseFloat(v.text, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, newError(path, "number %s is out of range", v.text)
	}
	return f, nil
}

// compileOperator compiles an operator object such as {"prefix": "x"}. It
// returns a nil predicate for {"exists": false}, which is not a test on a
// value but on the absence of one.
func compileOperator(obj *jsonValue, path string) (predicate, error) {
	if len(obj.keys) != 1 {
		return nil, newError(path, `an operator object needs exactly one key, e.g. {"prefix": "abc"}; this one has %d`, len(obj.keys))
	}
	name, v := obj.keys[0], obj.values[0]
	p := childPath(path, name)
	switch name {
	case "prefix":
		return compileAffix(v, p, false)
	case "suffix":
		return compileAffix(v, p, true)
	case "equals-ignore-case":
		s, err := needString(v, p, "equals-ignore-case expects a string")
		if err != nil {
			return nil, err
		}
		return &foldEqualPred{folded: foldKey(s)}, nil
	case "wildcard":
		s, err := needString(v, p, `wildcard expects a string such as "*.png"`)
		if err != nil {
			return nil, err
		}
		w, err := compileWildcard(s, p)
		if err != nil {
			return nil, err
		}
		return w, nil
	case "cidr":
		return compileCIDR(v, p)
	case "numeric":
		return compileNumeric(v, p)
	case "exists":
		if v.kind != jsonBool {
			return nil, newError(p, "exists expects true or false")
		}
		if !v.boolean {
			return nil, nil
		}
		return &existsPred{}, nil
	case "anything-but":
		return compileAnythingBut(v, p)
	}
	return nil, newError(p, "unknown operator %q; use prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists or cidr", name)
}

func needString(v *jsonValue, path, message string) (string, error) {
	if v.kind != jsonString {
		return "", newError(path, "%s", message)
	}
	return v.text, nil
}

// compileAffix compiles prefix/suffix: a string, or {"equals-ignore-case": string}.
func compileAffix(v *jsonValue, path string, suffix bool) (predicate, error) {
	op := "prefix"
	if suffix {
		op = "suffix"
	}
	if v.kind == jsonString {
		return &affixPred{text: v.text, suffix: suffix}, nil
	}
	if v.kind != jsonObject || len(v.keys) != 1 || v.keys[0] != "equals-ignore-case" {
		return nil, newError(path, `%s expects a string or {"equals-ignore-case": string}`, op)
	}
	s, err := needString(v.values[0], childPath(path, "equals-ignore-case"), "equals-ignore-case expects a string")
	if err != nil {
		return nil, err
	}
	return &affixPred{text: foldKey(s), suffix: suffix, ignoreCase: true}, nil
}

func compileCIDR(v *jsonValue, path string) (predicate, error) {
	const usage = `cidr expects an IPv4 or IPv6 block such as "10.0.0.0/24" or "2001:db8::/32"`
	s, err := needString(v, path, usage)
	if err != nil {
		return nil, err
	}
	prefix, perr := netip.ParsePrefix(s)
	if perr != nil {
		return nil, newError(path, "%s; %q is not one", usage, s)
	}
	return &cidrPred{prefix: prefix.Masked()}, nil
}

// compileNumeric compiles ["=", x], [op, x] or [">"|">=", lo, "<"|"<=", hi],
// the forms EventBridge accepts (a range gives its lower bound first).
func compileNumeric(v *jsonValue, path string) (predicate, error) {
	const usage = `numeric expects an operator list like [">", 0, "<=", 5]`
	if v.kind != jsonArray || (len(v.values) != 2 && len(v.values) != 4) {
		return nil, newError(path, usage)
	}
	ops := make([]string, 0, 2)
	nums := make([]float64, 0, 2)
	for i := 0; i < len(v.values); i += 2 {
		opv, numv := v.values[i], v.values[i+1]
		if opv.kind != jsonString {
			return nil, newError(elemPath(path, i), `expected an operator ("=", "<", "<=", ">" or ">="); %s`, usage)
		}
		switch opv.text {
		case "=", "<", "<=", ">", ">=":
		default:
			return nil, newError(elemPath(path, i), `unknown numeric operator %q; use "=", "<", "<=", ">" or ">="`, opv.text)
		}
		if numv.kind != jsonNumber {
			return nil, newError(elemPath(path, i+1), "the operand of %q must be a JSON number", opv.text)
		}
		f, err := parseNumber(numv, elemPath(path, i+1))
		if err != nil {
			return nil, err
		}
		if f < -numericLimit || f > numericLimit {
			return nil, newError(elemPath(path, i+1), "numeric operands must be between -5e9 and 5e9")
		}
		ops, nums = append(ops, opv.text), append(nums, f)
	}
	p := &numericPred{lo: math.Inf(-1), hi: math.Inf(1)}
	if len(ops) == 1 {
		switch ops[0] {
		case "=":
			p.lo, p.hi = nums[0], nums[0]
		case ">", ">=":
			p.lo, p.loOpen = nums[0], ops[0] == ">"
		default:
			p.hi, p.hiOpen = nums[0], ops[0] == "<"
		}
		return p, nil
	}
	const rangeUsage = `a numeric range is a lower bound (">" or ">=") followed by an upper bound ("<" or "<="), e.g. [">", 0, "<=", 5]`
	if ops[0] != ">" && ops[0] != ">=" {
		return nil, newError(elemPath(path, 0), rangeUsage)
	}
	if ops[1] != "<" && ops[1] != "<=" {
		return nil, newError(elemPath(path, 2), rangeUsage)
	}
	p.lo, p.loOpen = nums[0], ops[0] == ">"
	p.hi, p.hiOpen = nums[1], ops[1] == "<"
	if p.lo >= p.hi {
		return nil, newError(path, "numeric range is empty: the lower bound %v must be below the upper bound %v", p.lo, p.hi)
	}
	return p, nil
}

// compileAnythingBut compiles the forms EventBridge accepts: a string, a
// number, a list of only strings or only numbers, or an object with prefix,
// suffix, equals-ignore-case or wildcard.
func compileAnythingBut(v *jsonValue, path string) (predicate, error) {
	const usage = "anything-but expects a string, a number, a list of only strings or only numbers, " +
		"or an object with prefix, suffix, equals-ignore-case or wildcard"
	switch v.kind {
	case jsonString, jsonNumber:
		want, err := literal(v, path)
		if err != nil {
			return nil, err
		}
		return &anythingButPred{excluded: []predicate{&exactPred{want: want}}}, nil
	case jsonArray:
		if len(v.values) == 0 {
			return nil, newError(path, "anything-but list is empty; list at least one value")
		}
		excluded := make([]predicate, 0, len(v.values))
		for i, e := range v.values {
			p := elemPath(path, i)
			if e.kind != jsonString && e.kind != jsonNumber {
				return nil, newError(p, "anything-but lists may hold only strings or numbers")
			}
			if e.kind != v.values[0].kind {
				return nil, newError(p, "anything-but lists must hold only strings or only numbers, not both")
			}
			want, err := literal(e, p)
			if err != nil {
				return nil, err
			}
			excluded = append(excluded, &exactPred{want: want})
		}
		return &anythingButPred{excluded: excluded}, nil
	case jsonObject:
		if len(v.keys) != 1 {
			return nil, newError(path, "%s", usage)
		}
		return compileAnythingButOperator(v.keys[0], v.values[0], childPath(path, v.keys[0]))
	}
	return nil, newError(path, "%s", usage)
}

func compileAnythingButOperator(name string, v *jsonValue, path string) (predicate, error) {
	switch name {
	case "prefix", "suffix":
		s, err := needString(v, path, "anything-but "+name+" expects a string")
		if err != nil {
			return nil, err
		}
		if s == "" {
			return nil, newError(path, "anything-but %s must not be empty", name)
		}
		return &anythingButPred{excluded: []predicate{&affixPred{text: s, suffix: name == "suffix"}}}, nil
	case "equals-ignore-case", "wildcard":
		list := []*jsonValue{v}
		if v.kind == jsonArray {
			if len(v.values) == 0 {
				return nil, newError(path, "anything-but %s list is empty; list at least one string", name)
			}
			list = v.values
		}
		excluded := make([]predicate, 0, len(list))
		for i, e := range list {
			p := path
			if v.kind == jsonArray {
				p = elemPath(path, i)
			}
			s, err := needString(e, p, "anything-but "+name+" expects a string or a list of strings")
			if err != nil {
				return nil, err
			}
			if name == "wildcard" {
				w, err := compileWildcard(s, p)
				if err != nil {
					return nil, err
				}
				excluded = append(excluded, w)
			} else {
				excluded = append(excluded, &foldEqualPred{folded: foldKey(s)})
			}
		}
		return &anythingButPred{excluded: excluded}, nil
	}
	return nil, newError(path, "anything-but does not support %q; use prefix, suffix, equals-ignore-case or wildcard", name)
}
