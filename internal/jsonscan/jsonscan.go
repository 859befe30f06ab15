// Package jsonscan finds the ends of JSON strings in text that is known to
// be, or is about to be checked as, JSON, and checks that a text is strict
// JSON (I-JSON, RFC 7493). Scanning byte by byte for a quote or a backslash
// was most of the cost of skipping a 1 KiB event's long string values;
// bytes.IndexByte finds quotes many bytes at a time.
package jsonscan

import "bytes"

// StringEnd returns the index of the quote closing the JSON string that
// opens at b[open] (the first quote after it not escaped by an odd run of
// backslashes), or -1 when the string is not closed.
func StringEnd(b []byte, open int) int {
	for i := open + 1; ; i++ {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return -1
		}
		i += q
		backslashes := 0
		for j := i - 1; b[j] == '\\'; j-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return i
		}
	}
}
