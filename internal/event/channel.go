package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
)

// Channel says how a subscription's deliveries leave: the kind's name and
// its settings, decoded once by the kind's package (internal/channel/kinds
// holds the table of kinds), so that no delivery decodes them again.
type Channel struct {
	Type   string
	Config ChannelConfig
}

// ChannelConfig is the settings of one channel kind. Field names in the
// errors it returns are those inside the channel object ("url",
// "auth.token"); the subscription prefixes them with "channel.".
type ChannelConfig interface {
	// ApplyDefaults fills what the client left out.
	ApplyDefaults()
	// Validate checks the settings after defaults are applied.
	Validate() error
	// SecretFields points at every secret the settings hold, so that they
	// can be sealed at rest and redacted in answers and logs.
	SecretFields() []*string
	// KeepSecrets puts the secrets of stored (the same kind) back where
	// these settings hold RedactedSecret, as far as they would go where
	// they went before.
	KeepSecrets(stored ChannelConfig)
	// Clone returns a copy whose secrets can be changed without touching
	// the original, which a router may be holding.
	Clone() ChannelConfig
}

// RedactedSecret stands for a stored secret in answers. Sent back in a
// change, it keeps the stored secret while its destination is unchanged.
const RedactedSecret = "********"

// RedactedProblem is the problem of a secret field that holds
// RedactedSecret where no stored secret applies.
const RedactedProblem = "is the redaction placeholder and no stored secret applies (the destination changed, or none was stored); send the secret itself"

// MarshalJSON writes the channel as one object, the kind's name beside its
// settings: {"type": "webhook", "url": ...}.
func (c Channel) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"type":`)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the encoder writing the whole answer escapes, or not
	if err := enc.Encode(c.Type); err != nil {
		return nil, err
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline
	if c.Config == nil {
		buf.WriteByte('}')
		return buf.Bytes(), nil
	}
	at := buf.Len()
	if err := enc.Encode(c.Config); err != nil {
		return nil, err
	}
	settings := bytes.TrimSpace(buf.Bytes()[at:])
	if string(settings) == "{}" {
		buf.Truncate(at)
		buf.WriteByte('}')
		return buf.Bytes(), nil
	}
	buf.Bytes()[at] = ',' // the settings' own '{' joins them to the type
	buf.Truncate(at + len(settings))
	return buf.Bytes(), nil
}

// UnmarshalJSON refuses: only the kind knows its settings, and a channel
// decoded without them would send nowhere. internal/channel/kinds decodes
// channels (kinds.Decode).
func (c *Channel) UnmarshalJSON([]byte) error {
	return errors.New("a channel is decoded by its kind: use kinds.Decode")
}

// Validate checks the channel's settings.
func (c *Channel) Validate() error {
	if c.Config == nil {
		var v Problems
		v.Add("type", "is not a known channel kind")
		return v.Err()
	}
	return c.Config.Validate()
}

// SecretFields points at every secret the channel holds.
func (c *Channel) SecretFields() []*string {
	if c.Config == nil {
		return nil
	}
	return c.Config.SecretFields()
}

// Redacted returns a copy of the channel whose secrets are replaced by
// RedactedSecret, for answers and logs: a stored secret never leaves the gateway.
func (c *Channel) Redacted() Channel {
	r := c.WithOwnSecrets()
	for _, f := range r.SecretFields() {
		*f = RedactedSecret
	}
	return r
}

// WithOwnSecrets returns a copy whose secrets can be changed (sealed,
// redacted) without touching c.
func (c *Channel) WithOwnSecrets() Channel {
	r := *c
	if r.Config != nil {
		r.Config = r.Config.Clone()
	}
	return r
}

// KeepSecrets puts the secrets of stored back where a change sent
// RedactedSecret, so that a client can send back what it read, when the
// kind is unchanged; the kind decides which secrets still apply.
func (c *Channel) KeepSecrets(stored *Channel) {
	if c.Config != nil && stored.Config != nil && c.Type == stored.Type {
		c.Config.KeepSecrets(stored.Config)
	}
}

// LogValue logs the channel redacted: a secret never reaches a log.
func (c Channel) LogValue() slog.Value {
	return slog.AnyValue(loggedChannel(c.Redacted()))
}

// loggedChannel is a redacted channel, written as a channel is.
type loggedChannel Channel

func (c loggedChannel) MarshalJSON() ([]byte, error) { return Channel(c).MarshalJSON() }

// LogValue logs the subscription with its channel redacted; its signing
// secrets are never written.
func (s *Subscription) LogValue() slog.Value {
	c := *s
	c.Channel = s.Channel.Redacted()
	return slog.AnyValue((*loggedSubscription)(&c))
}

// loggedSubscription is a subscription written as it is, without LogValue.
type loggedSubscription Subscription
