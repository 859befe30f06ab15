package netguard_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
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
	for _, s := range []string{"93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "8.8.8.8"} {
		if why := netguard.Forbidden(netip.MustParseAddr(s)); why != "" {
			t.Errorf("%s refused as %s; it is public", s, why)
		}
	}
}

func TestCheckURL(t *testing.T) {
	g := netguard.Guard{}
	for _, u := range []string{"http://127.0.0.1:8080/x", "https://localhost/x", "http://api.localhost/", "http://[::1]/", "http://169.254.169.254/latest/meta-data", "http://10.0.0.5/"} {
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
