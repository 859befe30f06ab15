package dispatch

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// WaitFor polls cond until it holds, or fails the test after 10 s. It is
// exported for the package's external tests too.
func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (w *workers) parked() int { return len(w.idle) }

// TestWorkersReuseParkedGoroutinesAndEndOnStop: a send after another runs
// on the worker the first one left parked; as many run at once as are
// handed work; stopping ends the parked ones, and work handed over after
// the stop still runs.
func TestWorkersReuseParkedGoroutinesAndEndOnStop(t *testing.T) {
	stop := make(chan struct{})
	w := newWorkers(stop)
	before := runtime.NumGoroutine()
	for range 50 {
		done := make(chan struct{})
		w.run(func() { close(done) })
		<-done
		WaitFor(t, "the worker to park", func() bool { return w.parked() == 1 })
	}

	release := make(chan struct{})
	var running sync.WaitGroup
	running.Add(10)
	for range 10 {
		w.run(func() { running.Done(); <-release })
	}
	running.Wait() // ten at once: one parked worker and nine new ones
	close(release)
	WaitFor(t, "ten workers to park", func() bool { return w.parked() == 10 })

	close(stop)
	WaitFor(t, "the parked workers to end", func() bool { return runtime.NumGoroutine() <= before })
	ran := make(chan struct{})
	w.run(func() { close(ran) })
	<-ran
	WaitFor(t, "the worker started after the stop to end", func() bool { return runtime.NumGoroutine() <= before })
}
