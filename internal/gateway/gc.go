package gateway

import (
	"os"
	"runtime/debug"
)

// GCPercent is the collector's target a gateway runs with unless GOGC
// chooses one. The live heap is small (tens of MB) and the allocation rate
// high: at Go's default of 100 the collector ran so often that 200 cut the
// gateway's CPU per delivery by about 10% (docs/performance.md), for a few
// tens of MB more.
const GCPercent = 200

// TuneGC sets the collector's target to GCPercent unless the GOGC
// environment variable is set. serve calls it, and so does the profiling
// harness, so that profiles show the collector's share as it is in serve.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}
