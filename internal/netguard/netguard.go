// Package netguard keeps deliveries from reaching the gateway's own network:
// loopback, private, link-local (cloud metadata), the host's own and other
// special addresses are refused unless the operator allows them. The check
// runs on the resolved address at connect time, so DNS rebinding does not
// get through. Every channel that connects somewhere uses one Guard:
// CheckHost or CheckURL when a destination is saved, Dialer (or CheckAddr)
// when it connects.
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
// private, link-local, multicast and unspecified, and the host's own
// addresses. IPv4-mapped addresses (::ffff:a.b.c.d) are judged as the IPv4
// address they are.
var specialRanges = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "reserved (\"this network\")"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved (IETF protocol assignments)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved (benchmarking)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (or broadcast)"},
	{netip.MustParsePrefix("192.88.99.0/24"), "reserved (6to4 relay anycast)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	// Prefixes that carry an IPv4 address, which may be any of the above:
	// 64:ff9b::a9fe:a9fe is 169.254.169.254 on a NAT64 network.
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64 (it reaches any IPv4 address, private ones included)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible (deprecated; it carries any IPv4 address)"},
	{netip.MustParsePrefix("::ffff:0:0:0/96"), "IPv4-translated (it carries any IPv4 address)"},
	{netip.MustParsePrefix("2001::/32"), "Teredo (it carries any IPv4 address)"},
	{netip.MustParsePrefix("2002::/16"), "6to4 (it carries any IPv4 address)"},
	{netip.MustParsePrefix("fec0::/10"), "deprecated site-local"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("3fff::/20"), "documentation"},
}

// Forbidden says why addr may not be reached, or "" when it may.
func Forbidden(addr netip.Addr) string {
	addr = addr.Unmap().WithZone("")
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
	case hostAddrs.contains(addr):
		return "this host's own address (it reaches the gateway's own services)"
	}
	for _, r := range specialRanges {
		if r.prefix.Contains(addr) {
			return r.why
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

// CheckURL refuses, at configuration time, a URL whose host CheckHost
// refuses.
func (g Guard) CheckURL(raw string) error {
	if g.AllowPrivate {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	return g.CheckHost(u.Hostname())
}

// CheckHost refuses, at configuration time, a host that is a refused
// address literal or a localhost name. Other names are checked after DNS
// resolution, when a connection is made (Dialer).
func (g Guard) CheckHost(host string) error {
	if g.AllowPrivate {
		return nil
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%w: %s is loopback; %s", ErrForbidden, host, refusedWhat)
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return g.CheckAddr(addr)
	}
	return nil
}

// CheckAddr refuses an address that Forbidden names a reason for.
func (g Guard) CheckAddr(addr netip.Addr) error {
	if g.AllowPrivate {
		return nil
	}
	if why := Forbidden(addr); why != "" {
		return fmt.Errorf("%w: %s is refused as %s; %s", ErrForbidden, addr, why, refusedWhat)
	}
	return nil
}

const refusedWhat = "eventgate refuses loopback, private, link-local, reserved and its host's own addresses unless started with --allow-private-targets"

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
	return g.CheckAddr(ap.Addr())
}

// Dialer returns a dialer that enforces the guard.
func (g Guard) Dialer() *net.Dialer {
	return &net.Dialer{Control: g.Control}
}
