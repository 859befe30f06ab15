package webhook

import (
	"crypto/tls"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/eventgate/eventgate/internal/channel"
	"github.com/eventgate/eventgate/internal/event"
)

// Kind is the webhook channel in the table of kinds.
var Kind = channel.Kind{
	Name:      "webhook",
	NewConfig: func() event.ChannelConfig { return &Config{} },
	Check:     check,
	NewSender: func(env channel.Env) channel.Sender {
		return New(Options{Guard: env.Guard, Proxy: env.Proxy, MaxConnsPerHost: env.MaxConnsPerHost})
	},
}

// Defaults and bounds of a webhook channel's settings.
const (
	DefaultTimeout = 15 * time.Second
	MaxTimeout     = 2 * time.Minute
	MaxHeaders     = 20
)

// Config is a webhook channel's settings: {"type": "webhook", "url": ...}.
type Config struct {
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Timeout event.Duration    `json:"timeout,omitempty"`
	// Auth and ClientCert are values, not pointers, so that Clone's
	// shallow copy can seal or redact its secrets without touching the
	// original.
	Auth       Auth       `json:"auth,omitzero"`
	ClientCert ClientCert `json:"client_cert,omitzero"`
}

// The ways a webhook destination can authenticate eventgate, like the
// authorization types of an EventBridge connection.
const (
	AuthBasic  = "basic"
	AuthAPIKey = "api_key"
	AuthBearer = "bearer"
	AuthOAuth2 = "oauth2_client_credentials"
)

// Auth is the credential a webhook destination expects. Which fields
// apply depends on Type; the zero value means no authentication.
type Auth struct {
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

// configOf returns the webhook settings of sub, or nil for another kind.
func configOf(sub *event.Subscription) *Config {
	c, _ := sub.Channel.Config.(*Config)
	return c
}

var (
	headerPattern = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	// reservedHeaders are set by eventgate and cannot be overridden.
	reservedHeaders = map[string]bool{"content-type": true, "content-length": true, "host": true, "webhook-id": true, "webhook-timestamp": true, "webhook-signature": true, "user-agent": true}
)

func (c *Config) ApplyDefaults() {
	if c.Timeout == 0 {
		c.Timeout = event.Duration(DefaultTimeout)
	}
}

func (c *Config) Validate() error {
	var v event.Problems
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		v.Add("url", "must be an absolute http(s) URL without credentials, e.g. \"https://example.com/webhooks\"")
	}
	if len(c.Headers) > MaxHeaders {
		v.Add("headers", fmt.Sprintf("has more than %d entries", MaxHeaders))
	}
	authHeader := c.Auth.headerName()
	for name, val := range c.Headers {
		switch problem := headerNameProblem(name); {
		case problem != "":
			v.Add("headers."+name, problem)
		case authHeader != "" && strings.EqualFold(name, authHeader):
			v.Add("headers."+name, "is set by channel.auth; leave it out of headers")
		case strings.ContainsAny(val, "\r\n"):
			v.Add("headers."+name, "must not contain line breaks")
		}
	}
	if c.Timeout < 0 || c.Timeout.D() > MaxTimeout {
		v.Add("timeout", fmt.Sprintf("must be at most %s", MaxTimeout))
	}
	if c.Auth != (Auth{}) {
		v.Merge("auth.", c.Auth.validate())
	}
	if c.ClientCert != (ClientCert{}) {
		c.ClientCert.check(&v, c.URL)
	}
	return v.Err()
}

// check holds the destinations, which receive the credentials, to what
// the node's guard allows; an OAuth2 token endpoint, which receives the
// client secret, to https unless private targets are allowed.
func check(cfg event.ChannelConfig, env channel.Env) error {
	c := cfg.(*Config)
	var v event.Problems
	if err := env.Guard.CheckURL(c.URL); err != nil && c.URL != "" {
		v.Add("url", err.Error())
	}
	if tokenURL := c.Auth.TokenURL; tokenURL != "" {
		if u, err := url.Parse(tokenURL); err == nil && u.Scheme == "http" && !env.Guard.AllowPrivate {
			v.Add("auth.token_url", "must be https: the client secret travels to it (http only with --allow-private-targets)")
		} else if err := env.Guard.CheckURL(tokenURL); err != nil {
			v.Add("auth.token_url", err.Error())
		}
	}
	return v.Err()
}

// headerNameProblem says what is wrong with a header name a client sets, or "".
func headerNameProblem(name string) string {
	switch {
	case !headerPattern.MatchString(name):
		return "is not a valid header name"
	case reservedHeaders[strings.ToLower(name)]:
		return "is set by eventgate and cannot be overridden"
	}
	return ""
}

// headerName is the request header the credential travels in, or "".
func (a *Auth) headerName() string {
	switch a.Type {
	case AuthBasic, AuthBearer, AuthOAuth2:
		return "Authorization"
	case AuthAPIKey:
		return a.Header
	}
	return ""
}

func (a *Auth) validate() error {
	var v event.Problems
	required := func(field, value string) {
		if strings.TrimSpace(value) == "" {
			v.Add(field, "is required for type "+a.Type)
		}
	}
	secret := func(field, value string) {
		required(field, value)
		if value == event.RedactedSecret {
			v.Add(field, event.RedactedProblem)
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
func (c *ClientCert) check(v *event.Problems, channelURL string) {
	switch {
	case c.KeyPEM == event.RedactedSecret:
		v.Add("client_cert.key_pem", event.RedactedProblem)
	case !strings.HasPrefix(channelURL, "https://"):
		v.Add("client_cert", "needs an https url: mutual TLS happens only over TLS")
	default:
		if _, err := tls.X509KeyPair([]byte(c.CertPEM), []byte(c.KeyPEM)); err != nil {
			v.Add("client_cert", "must hold a PEM certificate (cert_pem) and its unencrypted PEM private key (key_pem): "+err.Error())
		}
	}
}

func (c *Config) SecretFields() []*string {
	var out []*string
	for _, f := range []*string{&c.Auth.Password, &c.Auth.Value, &c.Auth.Token, &c.Auth.ClientSecret, &c.ClientCert.KeyPEM} {
		if *f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (c *Config) Clone() event.ChannelConfig {
	r := *c
	return &r
}

// KeepSecrets keeps a secret only while it would go where it went
// before; otherwise whoever may change a subscription could send its
// secret to a server of their own.
func (c *Config) KeepSecrets(storedConfig event.ChannelConfig) {
	stored := storedConfig.(*Config)
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
	if *field == event.RedactedSecret && applies {
		*field = stored
	}
}
