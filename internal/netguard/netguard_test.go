package netguard_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/eventgate/eventgate/internal/netguard"
)

func TestForbiddenRanges(t *testing.T) {
	refused := []string{"127.0.0.1", "127.8.9.1", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
		"fe80::1", "fd00:ec2::254", "0.0.0.0", "::", "100.64.0.1", "224.0.0.1", "255.255.255.255", "::ffff:127.0.0.1", "::ffff:10.0.0.1"}
	for _, s := range refused {
		if netguard.Forbidden(netip.MustParseAddr(s)) == "" {
			t.Errorf("%s must be refused", s)
		}
	}
	for _, c := range []struct{ addr, why string }{
		{"64:ff9b::a9fe:a9fe", "NAT64"}, // 169.254.169.254 through a NAT64 gateway
		{"64:ff9b::808:808", "NAT64"},   // even a public IPv4 address: the prefix is not for webhooks to name
		{"64:ff9b:1::a00:1", "NAT64"},
		{"::a9fe:a9fe", "IPv4-compatible"}, // ::169.254.169.254
		{"::8.8.8.8", "IPv4-compatible"},
		{"::ffff:169.254.169.254", "link-local"}, // IPv4-mapped: judged as the IPv4 address
		{"::ffff:192.0.2.1", "documentation"},
		{"::ffff:0:a9fe:a9fe", "IPv4-translated"},
		{"192.0.2.1", "documentation"},
		{"198.51.100.7", "documentation"},
		{"203.0.113.9", "documentation"},
		{"2001:db8::1", "documentation"},
		{"3fff::1", "documentation"},
	} {
		if why := netguard.Forbidden(netip.MustParseAddr(c.addr)); !strings.Contains(why, c.why) {
			t.Errorf("%s: refused as %q; want %s", c.addr, why, c.why)
		}
	}
	for _, s := range []string{"93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "8.8.8.8", "::ffff:8.8.8.8", "64:ff9c::1", "192.0.3.1", "203.0.114.1"} {
		if why := netguard.Forbidden(netip.MustParseAddr(s)); why != "" {
			t.Errorf("%s refused as %s; it is public", s, why)
		}
	}
}

func TestCheckURL(t *testing.T) {
	g := netguard.Guard{}
	for _, u := range []string{"http://127.0.0.1:8080/x", "https://localhost/x", "http://api.localhost/", "http://[::1]/", "http://169.254.169.254/latest/meta-data", "http://10.0.0.5/",
		"http://[64:ff9b::a9fe:a9fe]/", "http://[::169.254.169.254]/", "http://[::ffff:169.254.169.254]/", "http://192.0.2.10/", "http://203.0.113.1/"} {
		if err := g.CheckURL(u); !errors.Is(err, netguard.ErrForbidden) {
			t.Errorf("CheckURL(%s) = %v, want ErrForbidden", u, err)
		}
	}
	for _, u := range []string{"https://example.com/hook", "https://93.184.216.34/hook"} {
		if err := g.CheckURL(u); err != nil {
			t.Errorf("CheckURL(%s) = %v", u, err)
		}
	}
	if err := (netguard.Guard{AllowPrivate: true}).CheckURL("http://127.0.0.1/"); err != nil {
		t.Errorf("AllowPrivate must allow loopback: %v", err)
	}
}

// TestDialRefusesAfterResolution proves the connect-time check: a name that
// resolves to loopback (as a DNS rebinding attack would arrange) is refused.
func TestDialRefusesAfterResolution(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	client := func(g netguard.Guard) *http.Client {
		return &http.Client{Transport: &http.Transport{DialContext: g.Dialer().DialContext}}
	}
	// "localhost" passes no literal check at dial time: it is resolved first.
	_, err := client(netguard.Guard{}).Get("http://localhost:" + port + "/")
	if !errors.Is(err, netguard.ErrForbidden) {
		t.Fatalf("dial to a name resolving to loopback: %v, want ErrForbidden", err)
	}
	resp, err := client(netguard.Guard{AllowPrivate: true}).Get("http://localhost:" + port + "/")
	if err != nil {
		t.Fatalf("allowed dial failed: %v", err)
	}
	resp.Body.Close()
}

// hostAddr returns an address of one of this host's interfaces that is
// neither loopback nor link-local (those need no interface to be refused),
// or skips the test when there is none.
func hostAddr(t *testing.T) netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skipf("cannot list interface addresses: %v", err)
	}
	for _, a := range addrs {
		if ipNet, ok := a.(*net.IPNet); ok {
			if addr, ok := netip.AddrFromSlice(ipNet.IP); ok && !addr.IsLoopback() && !addr.IsLinkLocalUnicast() && addr.Unmap().Is4() {
				return addr.Unmap()
			}
		}
	}
	t.Skip("this machine has no IPv4 interface address besides loopback and link-local")
	return netip.Addr{}
}

// TestHostAddressRefusedAtDial: a receiver listening on the host's own
// interface address (eth0's, not loopback) is refused when the webhook
// connects, though it is reachable, and named as the host's own.
func TestHostAddressRefusedAtDial(t *testing.T) {
	addr := hostAddr(t)
	ln, err := net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	if why := netguard.Forbidden(addr); !strings.Contains(why, "this host's own") {
		t.Fatalf("%s, an address of this host, refused as %q; want as the host's own", addr, why)
	}
	client := func(g netguard.Guard) *http.Client {
		return &http.Client{Transport: &http.Transport{DialContext: g.Dialer().DialContext}}
	}
	_, err = client(netguard.Guard{}).Get(srv.URL)
	if !errors.Is(err, netguard.ErrForbidden) || !strings.Contains(err.Error(), "this host's own") {
		t.Fatalf("dial to %s, this host's address: %v; want ErrForbidden naming the host's own address", srv.URL, err)
	}
	resp, err := client(netguard.Guard{AllowPrivate: true}).Get(srv.URL)
	if err != nil {
		t.Fatalf("the listener on %s must be reachable when allowed: %v", addr, err)
	}
	resp.Body.Close()
}
