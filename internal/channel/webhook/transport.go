package webhook

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"
)

// newClient returns an HTTP client that leaves through the proxy, or
// connects through the guard, presenting cert when it is not nil.
func (s *Sender) newClient(cert *tls.Certificate) *http.Client {
	transport := &http.Transport{
		DialContext:         s.dialer().DialContext,
		TLSClientConfig:     &tls.Config{RootCAs: s.opts.RootCAs},
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        1000,
		MaxIdleConnsPerHost: 1000, // many subscriptions may share one host: keep their connections alive
		// and open no more than are kept: beyond it most sends dialled a
		// connection that was closed after one use (fanout, 100
		// subscriptions × max_concurrency 50 to one host: 12,380 dials for
		// 100,000 deliveries). A host's sends beyond it wait for a free
		// connection, which also spares a receiver thousands at once.
		// The dispatcher bounds sends to one host lower still
		// (Destination); these limits are per transport key, and through
		// a proxy all plain-HTTP targets share one key.
		MaxConnsPerHost:       1000,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: MaxTimeout,
	}
	if s.opts.Proxy != nil {
		transport.Proxy = http.ProxyURL(s.opts.Proxy)
	}
	if cert != nil {
		transport.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{
		Transport: transport,
		// A webhook endpoint answers itself; following a redirect would
		// send the signed payload (or a token request) to a place nobody configured.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// dialer guards connections, unless a proxy carries them all: then the
// only peer is the proxy the operator named, which may well sit on a
// private network, and filtering destinations is the proxy's job.
func (s *Sender) dialer() *net.Dialer {
	if s.opts.Proxy != nil {
		return &net.Dialer{}
	}
	return s.opts.Guard.Dialer()
}

// clientFor returns the client for a subscription: the shared one, or
// for a client certificate, one of its own (TLS settings are per transport).
func (s *Sender) clientFor(subscriptionID string, cc ClientCert) (*http.Client, error) {
	if cc == (ClientCert{}) {
		return s.shared, nil
	}
	return s.mtls.get(subscriptionID, fingerprint(cc.CertPEM, cc.KeyPEM), func() (*http.Client, error) {
		cert, err := tls.X509KeyPair([]byte(cc.CertPEM), []byte(cc.KeyPEM))
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		return s.newClient(&cert), nil
	})
}
