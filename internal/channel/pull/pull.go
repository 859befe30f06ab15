// Package pull is the channel kind that does not push: a subscription's
// deliveries wait in the store until a consumer pulls them, each leased
// for the visibility timeout, and acknowledges them.
package pull

import (
	"time"

	"github.com/eventgate/eventgate/internal/channel"
	"github.com/eventgate/eventgate/internal/event"
)

// Kind is the pull channel in the table of kinds: no sender, no secrets.
var Kind = channel.Kind{
	Name:      "pull",
	NewConfig: func() event.ChannelConfig { return &Config{} },
}

// Bounds and default of the visibility timeout.
const (
	DefaultVisibilityTimeout = 30 * time.Second
	MinVisibilityTimeout     = time.Second
	MaxVisibilityTimeout     = 12 * time.Hour
)

// Config is a pull channel's settings: {"type": "pull", "visibility_timeout": "30s"}.
type Config struct {
	// VisibilityTimeout is how long a pulled message stays invisible to
	// other pulls; not acknowledged by then, it is visible again and the
	// attempt counts as failed.
	VisibilityTimeout event.Duration `json:"visibility_timeout,omitempty"`
}

func (c *Config) ApplyDefaults() {
	if c.VisibilityTimeout == 0 {
		c.VisibilityTimeout = event.Duration(DefaultVisibilityTimeout)
	}
}

func (c *Config) Validate() error {
	var v event.Problems
	if d := c.VisibilityTimeout.D(); d < MinVisibilityTimeout || d > MaxVisibilityTimeout {
		v.Add("visibility_timeout", "must be between 1s and 12h, e.g. \"30s\"")
	}
	return v.Err()
}

func (c *Config) SecretFields() []*string         { return nil }
func (c *Config) KeepSecrets(event.ChannelConfig) {}
func (c *Config) Clone() event.ChannelConfig      { r := *c; return &r }
