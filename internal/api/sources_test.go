package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/eventgate/eventgate/internal/sign"
)

const githubSecret = "It's a Secret to Everybody"

// githubSource receives GitHub-style webhooks: an HMAC-SHA256 of the body
// in x-hub-signature-256, the type in x-github-event, the delivery id in
// x-github-delivery.
var githubSource = map[string]any{
	"name":       "github",
	"verify":     map[string]any{"type": "hmac", "secret": githubSecret, "header": "x-hub-signature-256", "prefix": "sha256="},
	"event_type": map[string]any{"from_header": "x-github-event"},
	"dedupe":     map[string]any{"from_header": "x-github-delivery"},
}

type sourceAnswer struct {
	ID         string `json:"id"`
	IngestPath string `json:"ingest_path"`
	Verify     struct {
		Type, Header, Algorithm, Encoding, Prefix string
	} `json:"verify"`
	Counts struct {
		Accepted, Duplicates, Rejected, Invalid int64
	} `json:"counts"`
}

func (e *env) createSource(def any) sourceAnswer {
	e.t.Helper()
	var s sourceAnswer
	e.must(http.StatusCreated, "POST", "/v1/sources", def, &s)
	return s
}

// counts reads a source's counts as accepted, duplicates, rejected, invalid.
func (e *env) counts(s sourceAnswer) [4]int64 {
	e.t.Helper()
	e.must(http.StatusOK, "GET", "/v1/sources/"+s.ID, nil, &s)
	return [4]int64{s.Counts.Accepted, s.Counts.Duplicates, s.Counts.Rejected, s.Counts.Invalid}
}

// answer is an HTTP response, as e.do returns it.
type answer struct {
	code   int
	header http.Header
	body   []byte
}

func answerOf(code int, h http.Header, body []byte) answer { return answer{code, h, body} }

// ingest posts to a source's public URL, without an API key.
func (e *env) ingest(s sourceAnswer, body string, headers ...string) answer {
	e.t.Helper()
	return answerOf(e.do("POST", s.IngestPath, body, append([]string{"Authorization", ""}, headers...)...))
}

func githubSignature(body string) string {
	mac := hmac.New(sha256.New, []byte(githubSecret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// githubHeaders are what GitHub sends with body.
func githubHeaders(body, event, delivery string) []string {
	return []string{"X-Hub-Signature-256", githubSignature(body), "X-GitHub-Event", event, "X-GitHub-Delivery", delivery}
}

// wantAccepted checks a 202 and returns the event id.
func wantAccepted(t *testing.T, a answer, replayed bool) string {
	t.Helper()
	var out struct{ ID string }
	if a.code != http.StatusAccepted || json.Unmarshal(a.body, &out) != nil || !strings.HasPrefix(out.ID, "evt_") {
		t.Fatalf("ingest = %d %s, want 202 with an event id", a.code, a.body)
	}
	if got := a.header.Get("Idempotent-Replayed") == "true"; got != replayed {
		t.Fatalf("Idempotent-Replayed: %q, want it %v", a.header.Get("Idempotent-Replayed"), replayed)
	}
	return out.ID
}

// wantProblem checks a problem+json answer and returns it.
func wantProblem(t *testing.T, a answer, status int, detail string) problem {
	t.Helper()
	var p problem
	if a.code != status || a.header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(a.body, &p) != nil || !strings.Contains(p.Detail, detail) {
		t.Fatalf("answer %d %s %s, want %d problem+json saying %q", a.code, a.header.Get("Content-Type"), a.body, status, detail)
	}
	return p
}

func (e *env) eventCount() int {
	e.t.Helper()
	var page struct{ Data []json.RawMessage }
	e.must(http.StatusOK, "GET", "/v1/events", nil, &page)
	return len(page.Data)
}

func TestGitHubWebhookIsVerifiedAndDelivered(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.subscribe(rc.URL, map[string]any{"filter": map[string]any{"event_types": []string{"push"}}})
	src := e.createSource(githubSource)
	if !strings.HasPrefix(src.ID, "src_") || src.IngestPath != "/ingest/"+src.ID || src.Verify.Algorithm != "sha256" || src.Verify.Encoding != "hex" {
		t.Fatalf("created source %+v: want a src_ id, its ingest path and the defaults filled", src)
	}

	body := `{"ref":"refs/heads/main","repository":{"full_name":"octo/hello"}}`
	id := wantAccepted(t, e.ingest(src, body, githubHeaders(body, "push", "72d3162e-cc78-11e3-81ab-4c9367dc0958")...), false)
	waitFor(t, "the receiver to get the event", func() bool { return rc.count() == 1 })
	var env struct {
		ID, Type, Source, Subject string
		Data                      json.RawMessage
	}
	if err := json.Unmarshal(rc.requests()[0].Body, &env); err != nil {
		t.Fatal(err)
	}
	if env.ID != id || env.Type != "push" || env.Source != "source/"+src.ID || env.Subject != "" || string(env.Data) != body {
		t.Fatalf("delivered envelope %+v, want event %s of type push from source/%s with the body as data", env, id, src.ID)
	}
	if got := e.counts(src); got != [4]int64{1, 0, 0, 0} {
		t.Fatalf("counts %v, want 1 accepted", got)
	}
}

func TestWrongSignaturesAreRefusedAndStoreNothing(t *testing.T) {
	e := newEnv(t)
	src := e.createSource(githubSource)
	body := `{"ref":"refs/heads/main"}`
	cases := map[string][]string{
		"wrong secret":      {"X-Hub-Signature-256", "sha256=" + strings.Repeat("ab", 32)},
		"other body":        {"X-Hub-Signature-256", githubSignature(body + " ")},
		"missing signature": {"X-Hub-Signature-256", ""},
		"no prefix":         {"X-Hub-Signature-256", strings.TrimPrefix(githubSignature(body), "sha256=")},
		"not hex":           {"X-Hub-Signature-256", "sha256=zz"},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			a := e.ingest(src, body, append([]string{"X-GitHub-Event", "push", "X-GitHub-Delivery", name}, h...)...)
			p := wantProblem(t, a, http.StatusUnauthorized, "x-hub-signature-256")
			if !strings.HasSuffix(p.Type, "/invalid-signature") || strings.Contains(string(a.body), githubSecret) {
				t.Fatalf("problem %+v", p)
			}
		})
	}
	if n := e.eventCount(); n != 0 {
		t.Fatalf("%d events stored from refused requests", n)
	}
	if got := e.counts(src); got != [4]int64{0, 0, int64(len(cases)), 0} {
		t.Fatalf("counts %v, want %d rejected", got, len(cases))
	}
}

func TestStandardWebhooksSignedRequests(t *testing.T) {
	e := newEnv(t)
	secret := sign.NewSecret()
	src := e.createSource(map[string]any{"name": "svix", "verify": map[string]any{"type": "standard-webhooks", "secret": secret}, "event_type": map[string]any{"from_path": "$.type"}})
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"type":"invoice.paid","data":{"invoice":"in_1"}}`
	signed := func(msgID string, at time.Time) []string {
		sig, err := wh.Sign(msgID, at, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return []string{"webhook-id", msgID, "webhook-timestamp", strconv.FormatInt(at.Unix(), 10), "webhook-signature", sig}
	}

	now := time.Now()
	id := wantAccepted(t, e.ingest(src, body, signed("msg_1", now)...), false)
	// A retry is signed anew; its webhook-id makes it a duplicate without any dedupe setting.
	if again := wantAccepted(t, e.ingest(src, body, signed("msg_1", now.Add(time.Second))...), true); again != id {
		t.Fatalf("a retry answered %s, want the original %s", again, id)
	}
	for _, at := range []time.Time{now.Add(-10 * time.Minute), now.Add(10 * time.Minute)} {
		if p := wantProblem(t, e.ingest(src, body, signed("msg_2", at)...), http.StatusUnauthorized, "5 minutes"); !strings.HasSuffix(p.Type, "/stale-timestamp") {
			t.Fatalf("timestamp %v off: problem %+v", at.Sub(now), p)
		}
	}
	wrong, _ := standardwebhooks.NewWebhook(sign.NewSecret())
	sig, _ := wrong.Sign("msg_3", now, []byte(body))
	forged := e.ingest(src, body, "webhook-id", "msg_3", "webhook-timestamp", strconv.FormatInt(now.Unix(), 10), "webhook-signature", sig)
	wantProblem(t, forged, http.StatusUnauthorized, "signature")

	var ev struct{ Type, Source string }
	e.must(http.StatusOK, "GET", "/v1/events/"+id, nil, &ev)
	if ev.Type != "invoice.paid" || ev.Source != "source/"+src.ID || e.eventCount() != 1 {
		t.Fatalf("stored %+v, %d events; want one invoice.paid", ev, e.eventCount())
	}
	if got := e.counts(src); got != [4]int64{1, 1, 3, 0} {
		t.Fatalf("counts %v, want 1 accepted, 1 duplicate, 3 rejected", got)
	}
}

func TestDuplicateIsAcknowledgedOnce(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.subscribe(rc.URL, nil)
	src, other := e.createSource(githubSource), e.createSource(githubSource)
	body := `{"zen":"Design for failure."}`
	headers := githubHeaders(body, "ping", "delivery-1")
	first := wantAccepted(t, e.ingest(src, body, headers...), false)
	if again := wantAccepted(t, e.ingest(src, body, headers...), true); again != first {
		t.Fatalf("the repeat answered %s, want the original %s", again, first)
	}
	// The same dedupe id at another source is another provider's: not a duplicate.
	if elsewhere := wantAccepted(t, e.ingest(other, body, headers...), false); elsewhere == first {
		t.Fatal("a dedupe id repeated at another source was taken for a duplicate")
	}
	e.waitAllSucceeded("", 2)
	if rc.count() != 2 || e.eventCount() != 2 {
		t.Fatalf("%d deliveries, %d events; want 2 of each", rc.count(), e.eventCount())
	}
	if got := e.counts(src); got != [4]int64{1, 1, 0, 0} {
		t.Fatalf("counts %v, want 1 accepted, 1 duplicate", got)
	}
}

func TestEventTypeFromLiteralHeaderOrPath(t *testing.T) {
	e := newEnv(t)
	body := `{"event":{"kind":"shipment.sent"},"id":42}`
	cases := []struct {
		name      string
		eventType any
		dedupe    any
		header    string // the x-event header sent
		want      string
	}{
		{"literal", "parcel.update", nil, "", "parcel.update"},
		{"header", map[string]any{"from_header": "x-event"}, nil, "shipment.delivered", "shipment.delivered"},
		{"path", map[string]any{"from_path": "$.event.kind"}, map[string]any{"from_path": "$.id"}, "", "shipment.sent"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := map[string]any{"name": c.name, "verify": githubSource["verify"], "event_type": c.eventType}
			if c.dedupe != nil {
				def["dedupe"] = c.dedupe
			}
			src := e.createSource(def)
			id := wantAccepted(t, e.ingest(src, body, "X-Hub-Signature-256", githubSignature(body), "X-Event", c.header), false)
			var ev struct{ Type string }
			e.must(http.StatusOK, "GET", "/v1/events/"+id, nil, &ev)
			if ev.Type != c.want {
				t.Fatalf("type %q, want %q", ev.Type, c.want)
			}
		})
	}
}

func TestRequestsWithoutAValidEventAreRefused(t *testing.T) {
	e := newEnv(t)
	def := map[string]any{"name": "x", "verify": githubSource["verify"], "event_type": map[string]any{"from_path": "$.event.kind"}}
	src := e.createSource(def)
	def["event_type"], def["dedupe"] = "order.created", map[string]any{"from_header": "x-delivery"}
	withDedupe := e.createSource(def)
	e.must(http.StatusOK, "PUT", "/v1/event-types/order.created", `{"schema":{"type":"object","required":["order_id"]}}`, nil)
	cases := []struct {
		name   string
		src    sourceAnswer
		body   string
		status int
		field  string
		detail string
	}{
		{"not JSON", src, `ref=main`, 400, "", "not JSON"},
		{"no type", src, `{"event":{}}`, 422, "event_type.from_path", "$.event.kind is not in the body"},
		{"not a type", src, `{"event":{"kind":"Shipment Sent"}}`, 422, "event_type.from_path", `gave "Shipment Sent"`},
		{"type not a string", src, `{"event":{"kind":["a"]}}`, 422, "event_type.from_path", "an array"},
		{"no dedupe id", withDedupe, `{"order_id":1}`, 422, "dedupe.from_header", "x-delivery header is missing"},
		{"schema violated", withDedupe, `{"total":1}`, 422, "data", "order_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			headers := []string{"X-Hub-Signature-256", githubSignature(c.body)}
			if c.name == "schema violated" {
				headers = append(headers, "X-Delivery", "d-1")
			}
			if p := wantProblem(t, e.ingest(c.src, c.body, headers...), c.status, c.detail); c.field != "" && !hasField(p, c.field) {
				t.Fatalf("errors %+v do not name %s", p.Errors, c.field)
			}
		})
	}
	if n := e.eventCount(); n != 0 {
		t.Fatalf("%d events stored from refused requests", n)
	}
	if got := e.counts(src); got != [4]int64{0, 0, 0, 4} {
		t.Fatalf("counts %v, want 4 invalid", got)
	}
}

func TestBadSourceDefinitionsAreRefused(t *testing.T) {
	e := newEnv(t)
	hmacVerify := `"verify":{"type":"hmac","secret":"s","header":"x-sig"}`
	cases := []struct{ name, body, field, detail string }{
		{"unknown verify type", `{"name":"x","verify":{"type":"rsa","secret":"s"},"event_type":"a"}`, "verify.type", `"rsa"`},
		{"missing verify type", `{"name":"x","verify":{"secret":"s"},"event_type":"a"}`, "verify.type", "required"},
		{"missing secret", `{"name":"x","verify":{"type":"hmac","header":"x-sig"},"event_type":"a"}`, "verify.secret", "required"},
		{"missing hmac header", `{"name":"x","verify":{"type":"hmac","secret":"s"},"event_type":"a"}`, "verify.header", "required"},
		{"bad algorithm", `{"name":"x","verify":{"type":"hmac","secret":"s","header":"x-sig","algorithm":"md5"},"event_type":"a"}`, "verify.algorithm", `"md5"`},
		{"bad encoding", `{"name":"x","verify":{"type":"hmac","secret":"s","header":"x-sig","encoding":"base32"},"event_type":"a"}`, "verify.encoding", `"base32"`},
		{"bad whsec secret", `{"name":"x","verify":{"type":"standard-webhooks","secret":"whsec_short"},"event_type":"a"}`, "verify.secret", "whsec_"},
		{"hmac option on standard webhooks", `{"name":"x","verify":{"type":"standard-webhooks","secret":"` + sign.NewSecret() + `","prefix":"v1="},"event_type":"a"}`, "verify.prefix", "hmac sources only"},
		{"bad path", `{"name":"x",` + hmacVerify + `,"event_type":{"from_path":"$.items[0].type"}}`, "event_type.from_path", "member names"},
		{"path without $", `{"name":"x",` + hmacVerify + `,"event_type":{"from_path":"type"}}`, "event_type.from_path", `"$."`},
		{"bad literal type", `{"name":"x",` + hmacVerify + `,"event_type":"Push Event"}`, "event_type", "not an event type"},
		{"two locations", `{"name":"x",` + hmacVerify + `,"event_type":{"from_header":"x-e","from_path":"$.t"}}`, "event_type", "from_header"},
		{"event type of the wrong shape", `{"name":"x",` + hmacVerify + `,"event_type":42}`, "event_type", "must be a string"},
		{"missing event type", `{"name":"x",` + hmacVerify + `}`, "event_type", "required"},
		{"literal dedupe", `{"name":"x",` + hmacVerify + `,"event_type":"a","dedupe":"same"}`, "dedupe", "every request a duplicate"},
		{"bad dedupe header", `{"name":"x",` + hmacVerify + `,"event_type":"a","dedupe":{"from_header":"x y"}}`, "dedupe.from_header", "header name"},
		{"missing name", `{` + hmacVerify + `,"event_type":"a"}`, "name", "required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if p := wantProblem(t, answerOf(e.do("POST", "/v1/sources", c.body)), http.StatusUnprocessableEntity, c.detail); !hasField(p, c.field) {
				t.Fatalf("errors %+v do not name %s", p.Errors, c.field)
			}
		})
	}
	misspelt := answerOf(e.do("POST", "/v1/sources", `{"name":"x",`+hmacVerify+`,"event_type":"a","verfiy":{}}`))
	wantProblem(t, misspelt, http.StatusBadRequest, "verfiy")
	var page struct{ Data []json.RawMessage }
	e.must(http.StatusOK, "GET", "/v1/sources", nil, &page)
	if len(page.Data) != 0 {
		t.Fatalf("refused definitions stored %d sources", len(page.Data))
	}
}

func TestSourceManagement(t *testing.T) {
	e := newEnv(t)
	src := e.createSource(githubSource)
	for _, path := range []string{"/v1/sources", "/v1/sources/" + src.ID} {
		code, _, body := e.do("GET", path, nil)
		if code != http.StatusOK || !strings.Contains(string(body), src.ID) || strings.Contains(string(body), githubSecret) || strings.Contains(string(body), `"secret"`) {
			t.Fatalf("GET %s = %d %s: want the source without its secret", path, code, body)
		}
		if code, _, _ := e.do("GET", path, nil, "Authorization", ""); code != http.StatusUnauthorized {
			t.Fatalf("GET %s without a key = %d, want 401", path, code)
		}
	}
	wantProblem(t, e.ingest(src, strings.Repeat(" ", 256<<10+1)), http.StatusRequestEntityTooLarge, "256 KiB")

	e.must(http.StatusNoContent, "DELETE", "/v1/sources/"+src.ID, nil, nil)
	body := `{}`
	for _, gone := range []sourceAnswer{src, {IngestPath: "/ingest/src_unknown"}} {
		wantProblem(t, e.ingest(gone, body, githubHeaders(body, "push", "d")...), http.StatusNotFound, "No source")
	}
	wantProblem(t, answerOf(e.do("GET", "/v1/sources/"+src.ID, nil)), http.StatusNotFound, "")
}

// TestSourceCountersReachTheStore: counters are buffered in memory, and a
// graceful stop writes them, so the store holds what the API showed.
func TestSourceCountersReachTheStore(t *testing.T) {
	e := newEnv(t)
	src := e.createSource(githubSource)
	body := `{"zen":"x"}`
	for range 3 {
		e.ingest(src, body, "X-Hub-Signature-256", "sha256=00", "X-GitHub-Event", "ping", "X-GitHub-Delivery", "d1")
	}
	if got := e.counts(src); got != [4]int64{0, 0, 3, 0} {
		t.Fatalf("counts through the API %v, want 3 rejected", got)
	}
	e.g.Shutdown(context.Background())
	stored, err := e.st.GetSource(context.Background(), src.ID)
	if err != nil || stored.Counts.Rejected != 3 {
		t.Fatalf("stored counts %+v, %v; want 3 rejected written at shutdown", stored.Counts, err)
	}
}

// TestSourceSettingsChangeAndSecretRotates: PATCH changes a source's
// settings and rotates its secret at the same ingest URL; the old secret
// keeps verifying during the overlap and not after one of 0s. Secrets are
// never answered.
func TestSourceSettingsChangeAndSecretRotates(t *testing.T) {
	e := newEnv(t)
	src := e.createSource(githubSource)
	signedWith := func(secret, body, delivery string) []string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(body))
		return []string{"X-Hub-Signature-256", "sha256=" + hex.EncodeToString(mac.Sum(nil)), "X-GitHub-Event", "push", "X-GitHub-Delivery", delivery}
	}
	const body = `{"kind":"repo.pushed"}`
	wantAccepted(t, e.ingest(src, body, signedWith(githubSecret, body, "d1")...), false)

	const second = "the second secret"
	code, _, answered := e.do("PATCH", "/v1/sources/"+src.ID, map[string]any{"name": "github org", "verify": map[string]any{"secret": second},
		"event_type": map[string]any{"from_path": "$.kind"}})
	var changed struct {
		Name       string
		IngestPath string `json:"ingest_path"`
		Verify     struct {
			Header                  string
			PreviousSecretExpiresAt time.Time `json:"previous_secret_expires_at"`
		}
	}
	if code != 200 || json.Unmarshal(answered, &changed) != nil || changed.Name != "github org" || changed.IngestPath != src.IngestPath || changed.Verify.Header != "x-hub-signature-256" {
		t.Fatalf("PATCH: %d %s", code, answered)
	}
	if until := time.Until(changed.Verify.PreviousSecretExpiresAt); until < 23*time.Hour || until > 24*time.Hour {
		t.Fatalf("the old secret verifies for %v more, want the default 24h", until)
	}
	if strings.Contains(string(answered), second) || strings.Contains(string(answered), githubSecret) {
		t.Fatalf("an answer holds a secret: %s", answered)
	}

	id := wantAccepted(t, e.ingest(src, body, signedWith(second, body, "d2")...), false)
	wantAccepted(t, e.ingest(src, body, signedWith(githubSecret, body, "d3")...), false) // the overlap
	var ev struct{ Type string }
	e.must(200, "GET", "/v1/events/"+id, nil, &ev)
	if ev.Type != "repo.pushed" {
		t.Fatalf("event type %q after changing event_type to $.kind", ev.Type)
	}

	e.must(200, "PATCH", "/v1/sources/"+src.ID, map[string]any{"verify": map[string]any{"secret": "the third secret"}, "secret_overlap": "0s"}, nil)
	wantProblem(t, e.ingest(src, body, signedWith(second, body, "d4")...), 401, "does not match")
	wantProblem(t, e.ingest(src, body, signedWith(githubSecret, body, "d5")...), 401, "does not match")
	wantAccepted(t, e.ingest(src, body, signedWith("the third secret", body, "d6")...), false)

	p := wantProblem(t, answerOf(e.do("PATCH", "/v1/sources/"+src.ID, `{"secret_overlap":"1h"}`)), 422, "secret_overlap")
	if !hasField(p, "secret_overlap") {
		t.Fatalf("problem %+v, want it to name secret_overlap", p)
	}
	e.must(404, "PATCH", "/v1/sources/src_01M8VRW8K4A8STQ2F6BEE6H548", `{"name":"x"}`, nil)
}
