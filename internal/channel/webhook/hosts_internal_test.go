package webhook

import "testing"

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
