package webhook_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/channel/webhook/webhooktest"
	"github.com/eventgate/eventgate/internal/netguard"
)

// mtlsReceiver is an https endpoint that accepts only clients with a
// certificate from ca, and records their common names.
type mtlsReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	clients []string
}

func newMTLSReceiver(t *testing.T, ca *webhooktest.CA) *mtlsReceiver {
	rc := &mtlsReceiver{}
	rc.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.clients = append(rc.clients, r.TLS.PeerCertificates[0].Subject.CommonName)
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	rc.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool()}
	rc.StartTLS()
	t.Cleanup(rc.Close)
	return rc
}

// sender trusts the receiver's server certificate.
func (rc *mtlsReceiver) sender() *webhook.Sender {
	roots := x509.NewCertPool()
	roots.AddCert(rc.Certificate())
	return webhook.New(webhook.Options{Guard: netguard.Guard{AllowPrivate: true}, RootCAs: roots})
}

func (rc *mtlsReceiver) commonNames() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.clients...)
}

func withClientCert(certPEM, keyPEM string) func(*webhook.Config) {
	return func(c *webhook.Config) { c.ClientCert = webhook.ClientCert{CertPEM: certPEM, KeyPEM: keyPEM} }
}

func TestClientCertificateForMutualTLS(t *testing.T) {
	ca := webhooktest.NewCA(t)
	rc := newMTLSReceiver(t, ca)
	s := rc.sender()

	if r := send(s, subscription(rc.URL, nil)); r.OK || r.Err == nil {
		t.Fatalf("without a client certificate: %+v, want a failed attempt", r)
	}
	sub := subscription(rc.URL, withClientCert(ca.Issue(t, "partner-a")))
	if r := send(s, sub); !r.OK {
		t.Fatalf("with a client certificate: %+v", r)
	}
	// A renewed certificate replaces the old one at the next delivery.
	cc := &sub.Channel.Config.(*webhook.Config).ClientCert
	cc.CertPEM, cc.KeyPEM = ca.Issue(t, "partner-a-renewed")
	if r := send(s, sub); !r.OK {
		t.Fatalf("with a renewed client certificate: %+v", r)
	}
	if got, want := rc.commonNames(), []string{"partner-a", "partner-a-renewed"}; !slices.Equal(got, want) {
		t.Fatalf("receiver saw clients %q, want %q", got, want)
	}
}

func TestClientCertificateFromAnotherCAIsRefused(t *testing.T) {
	rc := newMTLSReceiver(t, webhooktest.NewCA(t))
	stranger := webhooktest.NewCA(t)
	if r := send(rc.sender(), subscription(rc.URL, withClientCert(stranger.Issue(t, "mallory")))); r.OK || r.Err == nil {
		t.Fatalf("a certificate the receiver does not trust: %+v, want a failed attempt", r)
	}
}
