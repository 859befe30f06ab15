package netguard

import (
	"errors"
	"net"
	"net/netip"
	"testing"
)

// TestInterfaceAddrsAreReadAgain: an address an interface gains is
// refused once the addresses are read again, and one it loses is not;
// a failed read keeps the last addresses.
func TestInterfaceAddrsAreReadAgain(t *testing.T) {
	current := []net.Addr{&net.IPNet{IP: net.ParseIP("93.184.216.34"), Mask: net.CIDRMask(24, 32)}}
	var readErr error
	h := &interfaceAddrs{ttl: 0, read: func() ([]net.Addr, error) { return current, readErr }} // ttl 0: read on every check
	first, second := netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("2606:4700::1")
	if !h.contains(first) || h.contains(second) {
		t.Fatal("the first address read must be the host's, the other not")
	}
	current = []net.Addr{&net.IPNet{IP: net.ParseIP("2606:4700::1"), Mask: net.CIDRMask(64, 128)}}
	if h.contains(first) || !h.contains(second) {
		t.Fatal("after the interfaces changed, the addresses read again must replace the old ones")
	}
	readErr = errors.New("netlink: interrupted")
	if !h.contains(second) {
		t.Fatal("a failed read must keep the last addresses")
	}
}
