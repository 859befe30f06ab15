// Package webhooktest provides the servers that webhook destinations
// need in tests: an OAuth2 token endpoint, a forward proxy, and a
// certificate authority for mutual TLS. All are real HTTP servers.
package webhooktest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TokenServer is an OAuth2 token endpoint for the client credentials
// grant. It issues "token-1", "token-2", ... to ClientID/ClientSecret.
type TokenServer struct {
	*httptest.Server
	ClientID string
	// ExpiresIn is the lifetime given to new tokens, in seconds.
	ExpiresIn atomic.Int64
	// Fail makes the endpoint answer 500.
	Fail   atomic.Bool
	issued atomic.Int64
	mu     sync.Mutex
	secret string
	scopes []string
}

// NewTokenServer starts a token endpoint at URL + "/token".
func NewTokenServer(t testing.TB) *TokenServer {
	ts := &TokenServer{ClientID: "eventgate", secret: "client-secret-1"}
	ts.ExpiresIn.Store(3600)
	ts.Server = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.Close)
	return ts
}

// TokenURL is where tokens are fetched.
func (ts *TokenServer) TokenURL() string { return ts.URL + "/token" }

// ClientSecret is the secret the endpoint accepts now.
func (ts *TokenServer) ClientSecret() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.secret
}

// RotateSecret makes the endpoint accept only secret from now on.
func (ts *TokenServer) RotateSecret(secret string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.secret = secret
}

// Issued is how many tokens were handed out.
func (ts *TokenServer) Issued() int { return int(ts.issued.Load()) }

// Scopes are the scope parameters of the requests so far.
func (ts *TokenServer) Scopes() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.scopes...)
}

func (ts *TokenServer) serve(w http.ResponseWriter, r *http.Request) {
	if ts.Fail.Load() {
		http.Error(w, `{"error":"temporarily_unavailable"}`, http.StatusInternalServerError)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if r.Method != http.MethodPost || r.URL.Path != "/token" || r.PostFormValue("grant_type") != "client_credentials" || id != ts.ClientID || secret != ts.ClientSecret() {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client"}`)
		return
	}
	ts.mu.Lock()
	ts.scopes = append(ts.scopes, r.PostFormValue("scope"))
	ts.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": fmt.Sprintf("token-%d", ts.issued.Add(1)),
		"token_type":   "Bearer",
		"expires_in":   ts.ExpiresIn.Load(),
	})
}

// Proxy is a forward HTTP proxy that answers absolute-URI requests for
// the hosts it knows with their handlers, and records every request, so
// that destinations need not exist (nor resolve) for a test to reach them.
type Proxy struct {
	*httptest.Server
	mu    sync.Mutex
	seen  []string
	hosts map[string]http.Handler
}

// NewProxy starts a proxy serving hosts ("partner.example" -> handler).
func NewProxy(t testing.TB, hosts map[string]http.Handler) *Proxy {
	p := &Proxy{hosts: hosts}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	return p
}

// Seen lists the requests the proxy carried, as "METHOD http://host/path".
func (p *Proxy) Seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.seen = append(p.seen, r.Method+" "+r.URL.String())
	p.mu.Unlock()
	h, ok := p.hosts[r.URL.Host]
	if !r.URL.IsAbs() || !ok {
		http.Error(w, "test proxy: no route to "+r.URL.String(), http.StatusBadGateway)
		return
	}
	h.ServeHTTP(w, r)
}

// CA is a certificate authority that issues client certificates.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// NewCA makes a certificate authority.
func NewCA(t testing.TB) *CA {
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "eventgate test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &CA{cert: cert, key: key}
}

// Pool trusts the CA, for a server's ClientCAs.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// Issue returns a client certificate for commonName and its key, as PEM.
func (ca *CA) Issue(t testing.TB, commonName string) (certPEM, keyPEM string) {
	key := newKey(t)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: commonName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}
