package api

import "time"

// SetStreamKeepAlive changes how often quiet streams send a comment, until the test ends.
func SetStreamKeepAlive(d time.Duration) (restore func()) {
	old := streamKeepAlive
	streamKeepAlive = d
	return func() { streamKeepAlive = old }
}
