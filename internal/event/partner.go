package event

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Partner is an external party that integrates: a customer, a supplier, a
// third party. Onboarding one is data: a partner, its keys, its subscriptions.
type Partner struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Environments the partner's subscriptions may belong to (prod, test, ...).
	Environments []string          `json:"environments"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	Quotas       Quotas            `json:"quotas"`
	// SubscribeTypes are the event type globs the partner may receive; its
	// subscriptions' filters narrow them, never widen them. None: nothing.
	SubscribeTypes []string  `json:"subscribe_types"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Quotas bound what a partner may use; 0 means unlimited.
type Quotas struct {
	MaxSubscriptions  int   `json:"max_subscriptions"`
	MonthlyDeliveries int64 `json:"monthly_deliveries"`
}

// DefaultEnvironments are given to a partner that names none.
var DefaultEnvironments = []string{"prod", "test"}

var environmentPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// ApplyDefaults fills what the client left out.
func (p *Partner) ApplyDefaults() {
	if len(p.Environments) == 0 {
		p.Environments = append([]string(nil), DefaultEnvironments...)
	}
	if p.SubscribeTypes == nil {
		p.SubscribeTypes = []string{}
	}
}

// Validate checks a partner after defaults are applied.
func (p *Partner) Validate() error {
	var v Problems
	if strings.TrimSpace(p.Name) == "" || len(p.Name) > 200 {
		v.Add("name", "is required, at most 200 characters")
	}
	seen := map[string]bool{}
	for i, env := range p.Environments {
		switch {
		case !environmentPattern.MatchString(env):
			v.Add(fmt.Sprintf("environments[%d]", i), "must be lower case letters, digits and '-', starting with a letter, e.g. \"prod\"")
		case seen[env]:
			v.Add(fmt.Sprintf("environments[%d]", i), "is listed twice")
		}
		seen[env] = true
	}
	for i, t := range p.SubscribeTypes {
		if !ValidTypeGlob(t) {
			v.Add(fmt.Sprintf("subscribe_types[%d]", i), "must be an event type or a glob with '*', e.g. \"order.*\"")
		}
	}
	if len(p.Metadata) > 50 {
		v.Add("metadata", "has more than 50 entries")
	}
	if p.Quotas.MaxSubscriptions < 0 {
		v.Add("quotas.max_subscriptions", "must be 0 (unlimited) or more")
	}
	if p.Quotas.MonthlyDeliveries < 0 {
		v.Add("quotas.monthly_deliveries", "must be 0 (unlimited) or more")
	}
	return v.Err()
}

// HasEnvironment reports whether env is one of the partner's environments.
func (p *Partner) HasEnvironment(env string) bool {
	for _, e := range p.Environments {
		if e == env {
			return true
		}
	}
	return false
}
