package gateway

// PullsAsleep counts the long polls of a subscription waiting for messages.
func (g *Gateway) PullsAsleep(subscriptionID string) int {
	g.pullWaiters.mu.Lock()
	defer g.pullWaiters.mu.Unlock()
	return g.pullWaiters.sleeping[subscriptionID]
}
