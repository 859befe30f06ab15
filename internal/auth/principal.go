package auth

import (
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// Principal is who calls an operation: an administrator, a publisher with
// its publish grant, or a partner. Every operation of the gateway takes one
// and enforces its scope itself, so the API, the portal and the CLI cannot
// differ. A partner's environments and subscribe grant live on the partner
// and are read by the operations that need them, so a change to them holds
// at once rather than when a cached principal expires.
type Principal struct {
	Role  string // ScopeAdmin, ScopePublisher or ScopePartner
	KeyID string // the key it authenticated with; "" for the gateway's own work
	// PartnerID is the partner a partner key belongs to.
	PartnerID string
	// PublishTypes are the globs a publisher or partner may publish; none
	// means every type for a publisher and nothing for a partner.
	PublishTypes []string
}

// Admin is the principal of an administrator (and of the CLI run by the operator).
var Admin = Principal{Role: ScopeAdmin}

// PrincipalOf is the principal a key stands for.
func PrincipalOf(k *store.Key) Principal {
	return Principal{Role: k.Scope, KeyID: k.ID, PartnerID: k.PartnerID, PublishTypes: k.PublishTypes}
}

// IsAdmin reports whether p may see and change everything.
func (p Principal) IsAdmin() bool { return p.Role == ScopeAdmin }

// IsPartner reports whether p is confined to one partner's things.
func (p Principal) IsPartner() bool { return p.Role == ScopePartner }

// MayPublish reports whether p's publish grant covers an event type.
func (p Principal) MayPublish(eventType string) bool {
	if p.IsAdmin() || (p.Role == ScopePublisher && len(p.PublishTypes) == 0) {
		return true
	}
	return event.GlobsMatch(p.PublishTypes, eventType)
}
