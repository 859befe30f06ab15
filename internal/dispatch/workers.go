package dispatch

import "sync"

// workers runs sends on goroutines kept from earlier sends. A fresh
// goroutine starts with a small stack and grows it through the HTTP
// client's calls on every send (runtime.newstack and copystack: 5 µs per
// delivery under batch, 14 µs when deliveries spread over 10,000
// subscriptions); a kept one has grown it already.
type workers struct {
	idle chan chan func() // parked workers, each waiting on its own channel
	stop <-chan struct{}
}

// maxIdleWorkers bounds the goroutines kept parked between sends.
const maxIdleWorkers = 256

func newWorkers(stop <-chan struct{}) *workers {
	return &workers{idle: make(chan chan func(), maxIdleWorkers), stop: stop}
}

// run runs fn on a parked worker, or on a new one. fn always runs: a
// worker that has just stopped waiting is not handed anything.
func (w *workers) run(fn func()) {
	for {
		select {
		case ch := <-w.idle:
			select {
			case ch <- fn:
				return
			case <-w.stop: // the worker may be leaving: take another
				continue
			}
		default:
			go w.loop(fn)
			return
		}
	}
}

func (w *workers) loop(fn func()) {
	ch := make(chan func())
	for {
		fn()
		select {
		case w.idle <- ch:
		default:
			return // enough are parked
		}
		select {
		case fn = <-ch:
		case <-w.stop:
			return
		}
	}
}

// tasks counts goroutines that Shutdown waits for. Once closed it admits
// no more, so that none starts after Shutdown stopped waiting: a check of
// the stop channel followed by WaitGroup.Add could race with Wait.
type tasks struct {
	mu     sync.RWMutex
	closed bool
	wg     sync.WaitGroup
}

// enter counts one more task, unless closed; the task calls done.
func (t *tasks) enter() bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.closed {
		return false
	}
	t.wg.Add(1)
	return true
}

func (t *tasks) done() { t.wg.Done() }

// start runs fn on a new goroutine as a task, unless closed.
func (t *tasks) start(fn func()) bool {
	if !t.enter() {
		return false
	}
	go func() {
		defer t.done()
		fn()
	}()
	return true
}

func (t *tasks) close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
}

func (t *tasks) wait() { t.wg.Wait() }
