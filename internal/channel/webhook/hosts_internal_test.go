package webhook

import (
	"context"
	"testing"
)

func TestHostOf(t *testing.T) {
	for url, want := range map[string]string{
		"https://Hooks.Example.com/in?x=1": "hooks.example.com",
		"http://127.0.0.1:8080":            "127.0.0.1:8080",
		"https://example.com:8443#frag":    "example.com:8443",
		"https://[::1]:9000/a/b":           "[::1]:9000",
	} {
		if got := hostOf(url); got != want {
			t.Errorf("hostOf(%q) = %q, want %q", url, got, want)
		}
	}
}

// Hosts are forgotten once nobody holds or waits for their slots, so a
// gateway that has delivered to many hosts keeps no entry for each.
func TestHostSlotsForgetIdleHosts(t *testing.T) {
	h := &hostSlots{per: 1}
	first, err := h.acquire(context.Background(), "a.example")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.acquire(ctx, "a.example"); err == nil {
		t.Fatal("a second acquire of a full host succeeded")
	}
	if n := len(h.hosts); n != 1 {
		t.Fatalf("%d hosts kept while one holds a slot, want 1", n)
	}
	first()
	if n := len(h.hosts); n != 0 {
		t.Fatalf("%d hosts kept after the last release, want 0", n)
	}
}
