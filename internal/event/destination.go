package event

import (
	"crypto/tls"
	"net/url"
	"strings"
)

// The ways a webhook destination can authenticate eventgate, like the
// authorization types of an EventBridge connection.
const (
	AuthBasic  = "basic"
	AuthAPIKey = "api_key"
	AuthBearer = "bearer"
	AuthOAuth2 = "oauth2_client_credentials"
)

// RedactedSecret stands for a stored secret in answers. Sent back in a
// change, it keeps the stored secret while its destination is unchanged.
const RedactedSecret = "********"

// ChannelAuth is the credential a webhook destination expects. Which
// fields apply depends on Type; the zero value means no authentication.
type ChannelAuth struct {
	Type string `json:"type"`
	// basic
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// api_key: Value is sent in the header named Header.
	Header string `json:"header,omitempty"`
	Value  string `json:"value,omitempty"`
	// bearer
	Token string `json:"token,omitempty"`
	// oauth2_client_credentials: a token is fetched from TokenURL, cached
	// until it expires and sent as a bearer token. Scope is space-separated.
	TokenURL     string `json:"token_url,omitempty"`
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// ClientCert is a PEM certificate and key for mutual TLS; the zero value
// means none.
type ClientCert struct {
	CertPEM string `json:"cert_pem"`
	KeyPEM  string `json:"key_pem"`
}

// headerName is the request header the credential travels in, or "".
func (a *ChannelAuth) headerName() string {
	switch a.Type {
	case AuthBasic, AuthBearer, AuthOAuth2:
		return "Authorization"
	case AuthAPIKey:
		return a.Header
	}
	return ""
}

func (a *ChannelAuth) validate() error {
	var v Problems
	required := func(field, value string) {
		if strings.TrimSpace(value) == "" {
			v.Add(field, "is required for type "+a.Type)
		}
	}
	secret := func(field, value string) {
		required(field, value)
		if value == RedactedSecret {
			v.Add(field, redactedProblem)
		}
	}
	switch a.Type {
	case AuthBasic:
		required("username", a.Username)
		secret("password", a.Password)
		if strings.Contains(a.Username, ":") {
			v.Add("username", "must not contain ':' (HTTP basic authentication cannot carry it)")
		}
	case AuthAPIKey:
		required("header", a.Header)
		secret("value", a.Value)
		if msg := headerNameProblem(a.Header); a.Header != "" && msg != "" {
			v.Add("header", msg)
		}
	case AuthBearer:
		secret("token", a.Token)
	case AuthOAuth2:
		required("token_url", a.TokenURL)
		required("client_id", a.ClientID)
		secret("client_secret", a.ClientSecret)
		if u, err := url.Parse(a.TokenURL); a.TokenURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil) {
			v.Add("token_url", "must be an absolute https URL without credentials, e.g. \"https://auth.example.com/oauth2/token\"")
		}
	default:
		v.Add("type", `must be "basic", "api_key", "bearer" or "oauth2_client_credentials"`)
		return v.Err()
	}
	// These travel in a header, where a line break would start another one.
	for _, f := range [][2]string{{"username", a.Username}, {"password", a.Password}, {"value", a.Value}, {"token", a.Token}} {
		if strings.ContainsAny(f[1], "\r\n") {
			v.Add(f[0], "must not contain line breaks")
		}
	}
	return v.Err()
}

// check adds the problems of a client certificate for a channel to channelURL.
func (c *ClientCert) check(v *Problems, channelURL string) {
	switch {
	case c.KeyPEM == RedactedSecret:
		v.Add("client_cert.key_pem", redactedProblem)
	case !strings.HasPrefix(channelURL, "https://"):
		v.Add("client_cert", "needs an https url: mutual TLS happens only over TLS")
	default:
		if _, err := tls.X509KeyPair([]byte(c.CertPEM), []byte(c.KeyPEM)); err != nil {
			v.Add("client_cert", "must hold a PEM certificate (cert_pem) and its unencrypted PEM private key (key_pem): "+err.Error())
		}
	}
}

const redactedProblem = "is the redaction placeholder and no stored secret applies (the destination changed, or none was stored); send the secret itself"

// secretSlots points at every field that can hold a secret, in a fixed order.
func (c *Channel) secretSlots() []*string {
	return []*string{&c.Auth.Password, &c.Auth.Value, &c.Auth.Token, &c.Auth.ClientSecret, &c.ClientCert.KeyPEM}
}

// SecretFields points at every secret the channel holds, so that they can
// be encrypted at rest and redacted in answers.
func (c *Channel) SecretFields() []*string {
	var out []*string
	for _, f := range c.secretSlots() {
		if *f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Redacted returns a copy of the channel whose secrets are replaced by
// RedactedSecret, for answers: a stored secret never leaves the gateway.
func (c *Channel) Redacted() Channel {
	r := *c
	for _, f := range r.SecretFields() {
		*f = RedactedSecret
	}
	return r
}

// KeepSecrets puts the secrets of stored back where a change sent
// RedactedSecret, so that a client can send back what it read. A secret
// is kept only while it would go where it went before; otherwise whoever
// may change a subscription could send its secret to a server of their own.
func (c *Channel) KeepSecrets(stored *Channel) {
	a, old := &c.Auth, &stored.Auth
	sameReceiver := a.Type == old.Type && c.URL == stored.URL
	keep(&a.Password, old.Password, sameReceiver)
	keep(&a.Value, old.Value, sameReceiver)
	keep(&a.Token, old.Token, sameReceiver)
	keep(&a.ClientSecret, old.ClientSecret, a.Type == old.Type && a.TokenURL == old.TokenURL && a.ClientID == old.ClientID)
	// A private key never leaves in a handshake; it only has to fit its certificate.
	keep(&c.ClientCert.KeyPEM, stored.ClientCert.KeyPEM, c.ClientCert.CertPEM == stored.ClientCert.CertPEM)
}

func keep(field *string, stored string, applies bool) {
	if *field == RedactedSecret && applies {
		*field = stored
	}
}
