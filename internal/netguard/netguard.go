// Package netguard keeps deliveries from reaching the gateway's own network:
// loopback, private, link-local (cloud metadata) and other special addresses
// are refused unless the operator allows them. The check runs on the
// resolved address at connect time, so DNS rebinding does not get through.
package netguard

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrForbidden is returned for a destination in a refused range.
var ErrForbidden = errors.New("destination address is not allowed")

// specialRanges are refused beside what netip classifies as loopback,
// private, link-local, multicast and unspecified.
var specialRanges = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001::/32"),       // Teredo tunnels can carry any IPv4
	netip.MustParsePrefix("2002::/16"),       // 6to4 likewise
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
}

// Forbidden says why addr may not be reached, or "" when it may.
func Forbidden(addr netip.Addr) string {
	addr = addr.Unmap()
	switch {
	case addr.IsLoopback():
		return "loopback"
	case addr.IsPrivate():
		return "private"
	case addr.IsLinkLocalUnicast(), addr.IsLinkLocalMulticast():
		return "link-local (cloud metadata lives here)"
	case addr.IsUnspecified():
		return "unspecified"
	case addr.IsMulticast():
		return "multicast"
	}
	for _, p := range specialRanges {
		if p.Contains(addr) {
			return "reserved"
		}
	}
	return ""
}

// Guard decides which destinations deliveries may reach.
type Guard struct {
	// AllowPrivate lets deliveries reach every address (for tests and
	// gateways whose receivers live on the same private network).
	AllowPrivate bool
}

// CheckURL refuses, at configuration time, a URL whose host is a refused
// address literal or a localhost name. Other names are checked after DNS
// resolution, when a connection is made.
func (g Guard) CheckURL(raw string) error {
	if g.AllowPrivate {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%w: %s is loopback; eventgate refuses loopback, private and link-local targets unless started with --allow-private-targets", ErrForbidden, host)
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return forbiddenError(addr)
	}
	return nil
}

func forbiddenError(addr netip.Addr) error {
	if why := Forbidden(addr); why != "" {
		return fmt.Errorf("%w: %s is a %s address; eventgate refuses loopback, private and link-local targets unless started with --allow-private-targets", ErrForbidden, addr, why)
	}
	return nil
}

// Control is a net.Dialer Control function that refuses forbidden
// addresses after resolution, just before the socket connects.
func (g Guard) Control(_, address string, _ syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrForbidden, address)
	}
	return forbiddenError(ap.Addr())
}

// Dialer returns a dialer that enforces the guard.
func (g Guard) Dialer() *net.Dialer {
	return &net.Dialer{Control: g.Control}
}
