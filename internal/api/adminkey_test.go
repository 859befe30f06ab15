package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/api"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

// startOn starts a gateway on the store in dir with the given admin key
// ("" lets it generate one) and serves it; call sends a request with a key.
func startOn(t *testing.T, dir, adminKey string) (g *gateway.Gateway, call func(key, method, path string) (int, string), stop func()) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	g, err = gateway.Start(context.Background(), st, gateway.Config{AdminKey: adminKey, SingleNode: true})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(g))
	call = func(key, method, path string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	stop = func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		g.Shutdown(ctx)
		st.Close()
	}
	return g, call, stop
}

// adminKeyIDs lists the unrevoked admin keys by name.
func adminKeyIDs(t *testing.T, body string) map[string]string {
	t.Helper()
	var page struct {
		Data []struct{ ID, Name, Scope string }
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	ids := map[string]string{}
	for _, k := range page.Data {
		if k.Scope == "admin" {
			if _, twice := ids[k.Name]; twice {
				t.Fatalf("two admin keys named %q: %s", k.Name, body)
			}
			ids[k.Name] = k.ID
		}
	}
	return ids
}

// TestAdminKeyFromEnvironmentReplacesTheEarlierOne: changing
// EVENTGATE_ADMIN_KEY revokes the key of the earlier value; the printed
// bootstrap key is listed and revocable, and the last admin key is kept.
func TestAdminKeyFromEnvironmentReplacesTheEarlierOne(t *testing.T) {
	dir := t.TempDir()
	g, call, stop := startOn(t, dir, "")
	bootstrap := g.GeneratedAdminKey
	stop()

	const first, second = "eg_adm_first-env-key-0123", "eg_adm_second-env-key-0123"
	_, call, stop = startOn(t, dir, first)
	if code, _ := call(first, "GET", "/v1/keys"); code != 200 {
		t.Fatalf("the first EVENTGATE_ADMIN_KEY answered %d", code)
	}
	stop()
	_, call, stop = startOn(t, dir, second)
	if code, _ := call(first, "GET", "/v1/keys"); code != 401 {
		t.Fatalf("the replaced EVENTGATE_ADMIN_KEY answered %d, want 401", code)
	}
	code, body := call(second, "GET", "/v1/keys")
	ids := adminKeyIDs(t, body)
	if code != 200 || len(ids) != 2 || ids["bootstrap admin key"] == "" || ids["EVENTGATE_ADMIN_KEY"] == "" {
		t.Fatalf("admin keys with the second EVENTGATE_ADMIN_KEY: %d %s", code, body)
	}

	if code, _ := call(second, "DELETE", "/v1/keys/"+ids["bootstrap admin key"]); code != 204 {
		t.Fatalf("revoking the bootstrap key answered %d", code)
	}
	if code, _ := call(bootstrap, "GET", "/v1/keys"); code != 401 {
		t.Fatalf("the revoked bootstrap key answered %d", code)
	}
	code, body = call(second, "DELETE", "/v1/keys/"+ids["EVENTGATE_ADMIN_KEY"])
	if code != 409 || !strings.Contains(body, "is the last admin key; create another admin key") {
		t.Fatalf("revoking the last admin key answered %d %s", code, body)
	}
	if code, _ := call(second, "GET", "/v1/keys"); code != 200 {
		t.Fatalf("the last admin key answered %d after the refused revoke", code)
	}
	stop()

	// A node that starts with the replaced value refuses to run.
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gateway.Start(context.Background(), st, gateway.Config{AdminKey: first, SingleNode: true}); err == nil || !strings.Contains(err.Error(), "was revoked") {
		t.Fatalf("a start with a revoked EVENTGATE_ADMIN_KEY: %v", err)
	}
	st.Close()
}
