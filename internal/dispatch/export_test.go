package dispatch

// Exported for the package's external tests.

// ForgetGoneQueues runs what the upkeep runs every Lease/3.
func ForgetGoneQueues(d *Dispatcher) { d.forgetGoneQueues() }

// Queues counts the queues d keeps.
func Queues(d *Dispatcher) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.queues)
}

// Stopping reports whether Shutdown has begun.
func Stopping(d *Dispatcher) bool { return d.stopping() }
