package main_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/eventgate/eventgate/internal/store/postgres/pgtest"
)

// writeCounter is a proxy in front of a gateway that counts the requests
// that could change it, so that a test can tell a no-op from a rewrite.
type writeCounter struct {
	url    string
	writes atomic.Int64
}

func countWrites(t *testing.T, target string) *writeCounter {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	wc := &writeCounter{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			wc.writes.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	wc.url = srv.URL
	return wc
}

const applyFile = `
partners:
  - name: acme
    environments: [prod, test]
    metadata: {tier: gold}
    quotas: {max_subscriptions: 5, monthly_deliveries: 1000000}
    subscribe_types: ["order.*"]
event_types:
  - name: order.created
    description: An order was placed.
    schema: {type: object, required: [order_id], properties: {order_id: {type: integer}}}
    example: {order_id: 42}
subscriptions:
  - name: acme-orders
    partner: acme
    environment: prod
    channel: {type: webhook, url: "https://hooks.acme.example/eventgate", timeout: 10s}
    filter: {event_types: ["order.*"]}
    retry_policy: {max_attempts: 8, max_backoff: 1h}
    max_concurrency: 4
    rate_limit: {per_second: 20}
    payload_format: data
  - name: acme-pull
    partner: acme
    environment: test
    channel: {type: pull, visibility_timeout: 1m}
`

func TestApplyAndExport(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			env := []string{"EVENTGATE_ADMIN_KEY=" + key}
			if store == "postgres" {
				env = append(env, "EVENTGATE_DATABASE_URL="+pgtest.FreshSchema(t),
					"EVENTGATE_MASTER_KEY="+base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))))
			}
			testApplyAndExport(t, start(t, t.TempDir(), env...))
		})
	}
}

func testApplyAndExport(t *testing.T, g *gateway) {
	proxy := countWrites(t, g.url)
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// apply runs the command with stdin and answers its output, exit code
	// and the number of requests that could change the gateway.
	apply := func(stdin string, args ...string) (string, int, int64) {
		t.Helper()
		proxy.writes.Store(0)
		out, stderr, code := g.cli(stdin, append([]string{"apply", "--url", proxy.url}, args...)...)
		return out + stderr, code, proxy.writes.Load()
	}
	expectPlan := func(what, out string, lines ...string) {
		t.Helper()
		got := strings.Split(strings.TrimSpace(out), "\n")
		if strings.Join(got[:min(len(lines), len(got))], "\n") != strings.Join(lines, "\n") {
			t.Fatalf("%s: the plan\n%s\nwant it to start\n%s", what, out, strings.Join(lines, "\n"))
		}
	}
	v1 := write("v1.yaml", applyFile)

	out, code, writes := apply("", "-f", v1, "--dry-run", "--detailed-exitcode")
	expectPlan("a dry run on an empty gateway", out, "+ create partner acme", "+ create event_type order.created",
		"+ create subscription acme/acme-orders", "+ create subscription acme/acme-pull", "plan: 4 to create, 0 to update, 0 to delete")
	if code != 2 || writes != 0 {
		t.Fatalf("a dry run with changes: exit %d, %d writes; want exit 2 and no write", code, writes)
	}

	out, code, writes = apply("", "-f", v1)
	if code != 0 || writes != 4 || !strings.HasSuffix(out, "applied.\n") {
		t.Fatalf("the first apply: exit %d, %d writes\n%s", code, writes, out)
	}
	out, code, writes = apply("", "-f", v1, "--detailed-exitcode", "--dry-run")
	if code != 0 || writes != 0 || out != "no changes\n" {
		t.Fatalf("applying the same file again: exit %d, %d writes\n%s", code, writes, out)
	}
	out, code, writes = apply("", "-f", v1)
	if code != 0 || writes != 0 || out != "no changes\n" {
		t.Fatalf("applying the same file again: exit %d, %d writes\n%s", code, writes, out)
	}

	v2content := strings.NewReplacer(`event_types: ["order.*"]`, `event_types: ["order.created", "order.paid"]`,
		"max_subscriptions: 5", "max_subscriptions: 10").Replace(applyFile)
	v2 := write("v2.json", asJSON(t, v2content))
	out, code, writes = apply("", "-f", v2)
	expectPlan("a changed JSON file", out, `~ update partner acme: quotas.max_subscriptions 5 -> 10`,
		`~ update subscription acme/acme-orders: filter.event_types ["order.*"] -> ["order.created","order.paid"]`,
		"plan: 0 to create, 2 to update, 0 to delete", "applied.")
	if code != 0 || writes != 2 {
		t.Fatalf("a changed file: exit %d, %d writes; want one write each for the partner and the subscription", code, writes)
	}
	if out, _, writes = apply("", "-f", v2); out != "no changes\n" || writes != 0 {
		t.Fatalf("the changed file again: %d writes\n%s", writes, out)
	}

	exported, stderr, code := g.cli("", "export")
	if code != 0 || !strings.HasPrefix(exported, "partners:\n  - name: acme\n") || !strings.Contains(exported, "monthly_deliveries: 1000000\n") || strings.Contains(exported, "ptn_") || strings.Contains(exported, "sub_") || strings.Contains(exported, "created_at") || strings.Contains(exported, "status") || !strings.Contains(exported, "order.paid") {
		t.Fatalf("export: exit %d, %s\n%s", code, stderr, exported)
	}
	if out, code, writes = apply(exported, "-f", "-", "--dry-run", "--prune", "--detailed-exitcode"); out != "no changes\n" || code != 0 || writes != 0 {
		t.Fatalf("export | apply --dry-run --prune: exit %d, %d writes\n%s\nof\n%s", code, writes, out, exported)
	}

	// A subscription's secret comes from the environment and never shows.
	t.Setenv("ACME_TOKEN", "tok-do-not-print")
	withSecret := write("secret.yaml", strings.Replace(v2content, "timeout: 10s}", `timeout: 10s, auth: {type: bearer, token: "${ACME_TOKEN}"}}`, 1))
	out, code, writes = apply("", "-f", withSecret)
	expectPlan("a secret set", out, "~ update subscription acme/acme-orders: channel.auth.token (secret)",
		`~ update subscription acme/acme-orders: channel.auth.type (unset) -> "bearer"`, "plan: 0 to create, 1 to update, 0 to delete")
	if code != 0 || writes != 1 || strings.Contains(out, "tok-do-not-print") {
		t.Fatalf("a secret set: exit %d, %d writes\n%s", code, writes, out)
	}
	// The gateway answers it redacted: a secret the file sets is always sent.
	out, code, writes = apply("", "-f", withSecret)
	expectPlan("a secret set again", out, "~ update subscription acme/acme-orders: channel.auth.token (secret)", "plan: 0 to create, 1 to update, 0 to delete")
	if code != 0 || writes != 1 || strings.Contains(out, "tok-do-not-print") {
		t.Fatalf("a secret set again: exit %d, %d writes\n%s", code, writes, out)
	}
	if exported, _, _ = g.cli("", "export"); strings.Contains(exported, "token") || strings.Contains(exported, "********") {
		t.Fatalf("export wrote a secret:\n%s", exported)
	}

	subscriptionsOnly := write("subscriptions-only.yaml", v2content[strings.Index(v2content, "\nsubscriptions:"):])
	if out, code, writes = apply("", "-f", subscriptionsOnly, "--prune"); code != 2 || writes != 0 ||
		!strings.Contains(out, "subscription acme/acme-orders: partner acme is not in the file, so --prune would delete it") {
		t.Fatalf("--prune of a partner the file's subscriptions need: exit %d, %d writes\n%s", code, writes, out)
	}

	// Without --prune, what the file leaves out stays; with it, it goes.
	withoutPull := write("without-pull.yaml", v2content[:strings.Index(v2content, "  - name: acme-pull")])
	if out, _, writes = apply("", "-f", withoutPull, "--dry-run"); strings.Contains(out, "delete") || writes != 0 {
		t.Fatalf("a file leaving a subscription out, without --prune: %d writes\n%s", writes, out)
	}
	out, code, writes = apply("", "-f", withoutPull, "--prune")
	if code != 0 || writes != 1 || !strings.Contains(out, "- delete subscription acme/acme-pull\n") || strings.Count(out, "- delete") != 1 {
		t.Fatalf("--prune: exit %d, %d writes\n%s", code, writes, out)
	}
	if list, _, _ := g.cli("", "subscriptions", "list"); strings.Contains(list, "acme-pull") {
		t.Fatalf("acme-pull is still there after --prune:\n%s", list)
	}
}

// asJSON is the YAML y written as JSON, for the file format's other form.
func asJSON(t *testing.T, y string) string {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal([]byte(y), &doc); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(j)
}

func TestApplyRefusesBadFiles(t *testing.T) {
	g := &gateway{t: t, url: "http://127.0.0.1:1"} // a bad file is refused before the gateway is asked
	dir := t.TempDir()
	for _, tc := range []struct{ name, file, want string }{
		{"schema", "partners:\n  - name: acme\n    quotas: {max_subscriptions: -1}\nsubscriptions:\n  - name: x\n    channel: {type: carrier-pigeon}\n",
			"/partners/0/quotas/max_subscriptions: minimum: got -1, want 0\n  /subscriptions/0/channel/type: value must be one of 'webhook', 'pull'"},
		{"unknown field", `{"partners": [{"name": "acme", "quota": {}}]}`, "/partners/0: additional properties 'quota' not allowed"},
		{"duplicate", "event_types:\n  - name: a.b\n  - name: a.b\n", "/event_types/1: two event_types are named a.b"},
		{"unset secret", "subscriptions:\n  - name: s\n    channel: {type: webhook, url: 'https://x.example', auth: {type: bearer, token: '${EVENTGATE_TEST_UNSET}'}}\n",
			"/subscriptions/0: channel.auth.token refers to ${EVENTGATE_TEST_UNSET}, which the environment does not set"},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := g.cli("", "apply", "-f", path)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d\n%s\nwant it to say\n%s", tc.name, code, stderr, tc.want)
		}
	}
}
