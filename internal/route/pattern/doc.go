// Package pattern implements Amazon EventBridge event patterns: Compile
// validates a pattern, Pattern.Match tests one event, and Matcher finds every
// pattern (subscription) that an event matches without trying each one.
//
// A pattern mirrors the shape of the events it matches. Fields are ANDed;
// each leaf is a list of alternatives (ORed), and "$or" ORs whole objects at
// any level:
//
//	{
//	  "type":   ["order.created", "order.updated"],
//	  "source": [{"prefix": "shop/"}],
//	  "data": {
//	    "amount": [{"numeric": [">", 0, "<=", 500]}],
//	    "$or": [{"customer_id": ["c-1"]}, {"tier": [{"anything-but": "free"}]}]
//	  }
//	}
//
// Leaf alternatives: exact strings, numbers (compared by value: 5 matches
// 5.0), true, false and null; {"prefix": s}, {"suffix": s} and their
// {"equals-ignore-case": s} forms; {"equals-ignore-case": s}; {"wildcard":
// "a*b"} ("\*" is a literal star, "**" is invalid); {"numeric": [op, n, ...]}
// with =, <, <=, >, >= and a lower-then-upper range; {"cidr": block} for
// IPv4 and IPv6; {"exists": true|false}; and {"anything-but": ...} with a
// value, a list of strings or of numbers, or an object with one of prefix,
// suffix, equals-ignore-case or wildcard. String operators never match numbers
// and numeric never matches strings.
//
// Events are JSON objects. Where an event holds an array, a leaf matches if
// any element does (arrays of arrays are flattened), and the fields matched
// under one array of objects must all come from the same element, as
// EventBridge does.
//
// Where EventBridge leaves room, this package chooses:
//
//   - exists looks at leaves only: {"exists": true} holds for any scalar,
//     null included, and {"exists": false} holds when the field is missing,
//     is an object, or is an array holding no scalar. Under an array of
//     objects it is judged per element, like every other field.
//   - anything-but needs a value to be present and holds for any leaf the
//     excluded values do not match, whatever its type: {"anything-but": "x"}
//     matches 5 and null, {"anything-but": [1, 2]} matches "1".
//   - Numbers are compared as float64 everywhere. Numeric operands must lie
//     within ±5e9 (EventBridge's documented range); event values need not.
//     Integers beyond 2^53 may compare equal to their neighbours.
//   - Case-insensitive operators use Unicode simple case folding
//     (strings.EqualFold).
//   - Exact strings are compared as strings: EventBridge's habit of also
//     matching an exact IP-address string as an address is not copied; use
//     cidr with a /32 or /128 block for that.
//   - Field names are distinct even when they contain dots: {"a.b": [1]}
//     does not match {"a": {"b": 1}}.
//   - An empty pattern ({} or no text at all) matches every event; a nested
//     {} is an error. "$or" needs at least two non-empty objects, and
//     operator names may not be field names inside it (EventBridge's rules).
//
// Limits (EventBridge's are larger; ours keep each subscription cheap): the
// pattern text is at most 4096 bytes, "$or" may expand the pattern into at
// most 1000 alternative conjunctions (the product of the alternatives at
// each level), and objects nest at most 10 deep (counting the top level and
// each "$or" alternative).
package pattern
