package pattern

import (
	"unicode"
	"unicode/utf8"
)

// Case-insensitive operators compare case-folded strings: every rune is
// replaced by the smallest rune of its Unicode simple-folding orbit (so 'k',
// 'K' and the Kelvin sign all become 'K'). Two strings fold to the same bytes
// exactly when strings.EqualFold reports them equal, and folding works rune by
// rune, so a folded prefix is the prefix of the folded string. The Matcher
// relies on that to index these operators by their folded text.

func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - ('a' - 'A')
		}
		return r
	}
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < min {
			min = f
		}
	}
	return min
}

// appendFold appends the folded form of s to dst. Invalid UTF-8 bytes fold to
// U+FFFD, as strings.EqualFold treats them.
func appendFold(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, foldRune(r))
		i += size
	}
	return dst
}

func foldKey(s string) string { return string(appendFold(make([]byte, 0, len(s)), s)) }
