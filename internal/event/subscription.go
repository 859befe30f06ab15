package event

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// SubscriptionStatus says whether a subscription receives and sends deliveries.
type SubscriptionStatus string

const (
	// Active subscriptions receive deliveries and send them.
	Active SubscriptionStatus = "active"
	// Paused subscriptions keep accumulating deliveries and send them on resume.
	Paused SubscriptionStatus = "paused"
	// Disabled subscriptions receive nothing new (the endpoint answered 410 Gone); resume enables them again.
	Disabled SubscriptionStatus = "disabled"
)

// Subscription is what one receiver gets: which events, over which channel, how hard to retry.
type Subscription struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// PartnerID and Environment say whose subscription it is, if a partner's.
	PartnerID      string             `json:"partner_id,omitempty"`
	Environment    string             `json:"environment,omitempty"`
	Status         SubscriptionStatus `json:"status"`
	StatusReason   string             `json:"status_reason,omitempty"`
	Channel        Channel            `json:"channel"`
	Filter         Filter             `json:"filter"`
	RetryPolicy    RetryPolicy        `json:"retry_policy"`
	MaxConcurrency int                `json:"max_concurrency"`
	// Transform reshapes the payload (like EventBridge's input transformer);
	// PayloadFormat picks envelope (default), data or cloudevents. Package
	// route/transform compiles them; a transform replaces the format.
	Transform     *Transform `json:"transform,omitempty"`
	PayloadFormat string     `json:"payload_format,omitempty"`
	// RateLimit bounds how fast deliveries are sent; over it they wait.
	RateLimit *RateLimit `json:"rate_limit,omitempty"`
	Secrets   []Secret   `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Channel says how deliveries leave. Only "webhook" exists so far; other
// channels add their own settings beside these.
type Channel struct {
	Type    string            `json:"type"`
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Timeout Duration          `json:"timeout,omitempty"`
	// Auth and ClientCert are values, not pointers, so that a shallow copy
	// of a subscription can seal or redact its secrets without touching
	// the original (see SecretFields).
	Auth       ChannelAuth `json:"auth,omitzero"`
	ClientCert ClientCert  `json:"client_cert,omitzero"`
	// VisibilityTimeout is how long a pulled message stays invisible to
	// other pulls (pull channel only; 0 means the default, 30s).
	VisibilityTimeout Duration `json:"visibility_timeout,omitempty"`
}

// Filter selects the events a subscription receives: both parts must pass.
type Filter struct {
	// EventTypes are globs on the event type ("order.*"); empty means every type.
	EventTypes []string `json:"event_types,omitempty"`
	// Pattern is an EventBridge event pattern matched against the envelope;
	// empty means every event. Package route/pattern compiles it.
	Pattern json.RawMessage `json:"pattern,omitempty"`
}

// RetryPolicy says how long and how often a failing delivery is retried.
type RetryPolicy struct {
	// MaxAttempts bounds the number of tries; 0 means only MaxAge bounds them.
	MaxAttempts int      `json:"max_attempts"`
	MaxAge      Duration `json:"max_age"`
	MinBackoff  Duration `json:"min_backoff"`
	MaxBackoff  Duration `json:"max_backoff"`
}

// Transform is an input transformer: values picked by JSONPath, put into a template.
type Transform struct {
	InputPaths map[string]string `json:"input_paths,omitempty"`
	Template   string            `json:"template"`
}

// RateLimit is a sending rate.
type RateLimit struct {
	PerSecond float64 `json:"per_second"`
}

// MaxRatePerSecond bounds a subscription's rate limit.
const MaxRatePerSecond = 100000

// Secret is one signing secret; during rotation the old one has an expiry.
type Secret struct {
	Value     string     `json:"value"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Defaults for what a subscription leaves out.
const (
	DefaultMaxConcurrency = 10
	MaxMaxConcurrency     = 1000
	DefaultTimeout        = 15 * time.Second
	MaxTimeout            = 2 * time.Minute
	DefaultMaxAge         = 24 * time.Hour
	DefaultMinBackoff     = 5 * time.Second
	DefaultMaxBackoff     = time.Hour
	MaxHeaders            = 20
)

var (
	globPattern   = regexp.MustCompile(`^[a-z0-9*][a-z0-9._*-]*$`)
	headerPattern = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	// reservedHeaders are set by eventgate and cannot be overridden.
	reservedHeaders = map[string]bool{"content-type": true, "content-length": true, "host": true, "webhook-id": true, "webhook-timestamp": true, "webhook-signature": true, "user-agent": true}
)

// ApplyDefaults fills what the client left out.
func (s *Subscription) ApplyDefaults() {
	if s.MaxConcurrency == 0 {
		s.MaxConcurrency = DefaultMaxConcurrency
	}
	if s.Channel.Timeout == 0 && s.Channel.Type != "pull" { // nothing is sent to a pull subscription
		s.Channel.Timeout = Duration(DefaultTimeout)
	}
	p := &s.RetryPolicy
	if p.MaxAge == 0 {
		p.MaxAge = Duration(DefaultMaxAge)
	}
	if p.MinBackoff == 0 {
		p.MinBackoff = Duration(DefaultMinBackoff)
	}
	if p.MaxBackoff == 0 {
		p.MaxBackoff = Duration(DefaultMaxBackoff)
	}
	if p.MaxBackoff < p.MinBackoff {
		p.MaxBackoff = p.MinBackoff
	}
	if s.Status == "" {
		s.Status = Active
	}
}

// Validate checks a subscription after defaults are applied.
func (s *Subscription) Validate() error {
	var v Problems
	if strings.TrimSpace(s.Name) == "" || len(s.Name) > 200 {
		v.Add("name", "is required, at most 200 characters")
	}
	v.Merge("channel.", s.Channel.Validate())
	for i, t := range s.Filter.EventTypes {
		if !ValidTypeGlob(t) {
			v.Add(fmt.Sprintf("filter.event_types[%d]", i), "must be an event type or a glob with '*', e.g. \"order.*\"")
		}
	}
	p := s.RetryPolicy
	if p.MaxAttempts < 0 {
		v.Add("retry_policy.max_attempts", "must be 0 (bounded by max_age only) or more")
	}
	if p.MaxAge < 0 || p.MaxAge.D() > 90*24*time.Hour {
		v.Add("retry_policy.max_age", "must be between 0 and 2160h (90 days)")
	}
	if p.MinBackoff.D() < 100*time.Millisecond {
		v.Add("retry_policy.min_backoff", "must be at least 100ms")
	}
	if p.MaxBackoff.D() > 24*time.Hour {
		v.Add("retry_policy.max_backoff", "must be at most 24h")
	}
	if s.RateLimit != nil && (s.RateLimit.PerSecond <= 0 || s.RateLimit.PerSecond > MaxRatePerSecond) {
		v.Add("rate_limit.per_second", fmt.Sprintf("must be more than 0 and at most %d (leave rate_limit out for no limit)", MaxRatePerSecond))
	}
	if s.MaxConcurrency < 1 || s.MaxConcurrency > MaxMaxConcurrency {
		v.Add("max_concurrency", fmt.Sprintf("must be between 1 and %d", MaxMaxConcurrency))
	}
	return v.Err()
}

// Validate checks the channel settings.
func (c *Channel) Validate() error {
	var v Problems
	if c.Type == "pull" {
		return c.validatePull()
	}
	if c.Type != "webhook" {
		v.Add("type", "must be \"webhook\" or \"pull\"")
		return v.Err()
	}
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
	if c.Auth != (ChannelAuth{}) {
		v.Merge("auth.", c.Auth.validate())
	}
	if c.ClientCert != (ClientCert{}) {
		c.ClientCert.check(&v, c.URL)
	}
	return v.Err()
}

// Bounds of a pull channel's visibility_timeout.
const (
	MinVisibilityTimeout = time.Second
	MaxVisibilityTimeout = 12 * time.Hour
)

// validatePull checks a pull channel: it has a visibility timeout and
// nothing of a webhook's.
func (c *Channel) validatePull() error {
	var v Problems
	if t := c.VisibilityTimeout.D(); t != 0 && (t < MinVisibilityTimeout || t > MaxVisibilityTimeout) {
		v.Add("visibility_timeout", fmt.Sprintf("must be between %s and %s (leave it out for 30s)", MinVisibilityTimeout, MaxVisibilityTimeout))
	}
	if c.URL != "" || len(c.Headers) > 0 || c.Auth != (ChannelAuth{}) || c.ClientCert != (ClientCert{}) {
		v.Add("type", "pull takes no url, headers, auth or client_cert: the partner fetches its messages")
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

// ValidTypeGlob reports whether g is an event type or a glob of them.
func ValidTypeGlob(g string) bool {
	return len(g) <= MaxTypeLength && globPattern.MatchString(g)
}

// MatchesType reports whether an event type passes the filter's type globs.
func (f *Filter) MatchesType(eventType string) bool {
	if len(f.EventTypes) == 0 {
		return true
	}
	return GlobsMatch(f.EventTypes, eventType)
}

// GlobsMatch reports whether any of the globs matches an event type.
func GlobsMatch(globs []string, eventType string) bool {
	for _, g := range globs {
		if Glob(g, eventType) {
			return true
		}
	}
	return false
}

// Glob matches s against pattern, where '*' stands for any run of characters.
func Glob(pattern, s string) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return pattern == s
	}
	if !strings.HasPrefix(s, pattern[:star]) {
		return false
	}
	rest, s := pattern[star+1:], s[star:]
	if rest == "" {
		return true
	}
	for i := 0; i <= len(s); i++ {
		if Glob(rest, s[i:]) {
			return true
		}
	}
	return false
}

// SigningSecrets returns the secrets that sign at time now: the current one
// and any rotated-out one that has not expired.
func (s *Subscription) SigningSecrets(now time.Time) []string {
	out := make([]string, 0, len(s.Secrets))
	for _, sec := range s.Secrets {
		if sec.ExpiresAt == nil || now.Before(*sec.ExpiresAt) {
			out = append(out, sec.Value)
		}
	}
	return out
}
