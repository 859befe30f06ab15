package pattern

import "strings"

// wildcardPred matches strings against a pattern where "*" stands for any
// run of characters. segments are the literal texts between the stars, so a
// pattern without stars has exactly one segment.
type wildcardPred struct{ segments []string }

// compileWildcard applies EventBridge's rules: "\*" is a literal star, "\\" a
// literal backslash, any other escape is invalid, and two consecutive
// wildcard stars are not allowed.
func compileWildcard(s, path string) (*wildcardPred, error) {
	var segments []string
	var cur strings.Builder
	afterStar := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return nil, newError(path, `invalid wildcard %q: a backslash may only escape "*" or "\"`, s)
			}
			i++
			cur.WriteByte(s[i])
			afterStar = false
		case '*':
			if afterStar {
				return nil, newError(path, `invalid wildcard %q: consecutive "*" are not allowed`, s)
			}
			segments = append(segments, cur.String())
			cur.Reset()
			afterStar = true
		default:
			cur.WriteByte(c)
			afterStar = false
		}
	}
	return &wildcardPred{segments: append(segments, cur.String())}, nil
}

func (p *wildcardPred) match(v scalar) bool {
	return v.kind == stringValue && p.matchString(v.str)
}

// matchString anchors the first and last segments at the ends and finds the
// middle ones leftmost-first, which is exact for patterns whose only
// metacharacter is "*".
func (p *wildcardPred) matchString(s string) bool {
	segs := p.segments
	if len(segs) == 1 {
		return s == segs[0]
	}
	first, last := segs[0], segs[len(segs)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	middle := s[len(first) : len(s)-len(last)]
	for _, seg := range segs[1 : len(segs)-1] {
		i := strings.Index(middle, seg)
		if i < 0 {
			return false
		}
		middle = middle[i+len(seg):]
	}
	return true
}
