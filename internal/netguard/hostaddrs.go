package netguard

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// hostAddrsTTL is how long the host's interface addresses are trusted
// before they are read again: interfaces come and go (DHCP, containers).
const hostAddrsTTL = 30 * time.Second

// hostAddrs are the addresses of the host's own interfaces: a webhook to
// one reaches the gateway's own services, whatever range it is in.
var hostAddrs = &interfaceAddrs{ttl: hostAddrsTTL, read: net.InterfaceAddrs}

// interfaceAddrs caches a set of interface addresses, read again when
// older than ttl.
type interfaceAddrs struct {
	ttl  time.Duration
	read func() ([]net.Addr, error)

	mu     sync.Mutex
	readAt time.Time
	set    map[netip.Addr]bool
}

func (h *interfaceAddrs) contains(addr netip.Addr) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now := time.Now(); now.Sub(h.readAt) >= h.ttl {
		h.refresh(now)
	}
	return h.set[addr]
}

// refresh reads the addresses again; when that fails, the last ones read
// stay, and it is tried again after ttl.
func (h *interfaceAddrs) refresh(now time.Time) {
	h.readAt = now
	addrs, err := h.read()
	if err != nil {
		slog.Warn("reading this host's interface addresses failed; destinations are checked against the last ones read", "err", err)
		return
	}
	set := make(map[netip.Addr]bool, len(addrs))
	for _, a := range addrs {
		if ipNet, ok := a.(*net.IPNet); ok {
			if addr, ok := netip.AddrFromSlice(ipNet.IP); ok {
				set[addr.Unmap()] = true
			}
		}
	}
	h.set = set
}
