package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// The audit log records every change made through the operations below,
// here rather than in the API so that every caller (API, CLI, portal) is
// recorded alike. An entry is written right after its change commits,
// not in the same transaction: a crash between the two loses the entry,
// never the change, and a failed write is logged rather than failing a
// request whose change already holds.

// Audited actions, as GET /v1/audit filters them.
const (
	AuditSubscriptionCreate  = "subscription.create"
	AuditSubscriptionUpdate  = "subscription.update"
	AuditSubscriptionDelete  = "subscription.delete"
	AuditSubscriptionStatus  = "subscription.status" // pause, resume
	AuditSubscriptionRotate  = "subscription.rotate_secret"
	AuditSubscriptionRedrive = "subscription.redrive"
	AuditDeliveryRetry       = "delivery.retry"
	AuditPartnerCreate       = "partner.create"
	AuditPartnerUpdate       = "partner.update"
	AuditPartnerDelete       = "partner.delete"
	AuditKeyCreate           = "key.create"
	AuditKeyRevoke           = "key.revoke"
	AuditEventTypePut        = "event_type.put"
	AuditEventTypeDelete     = "event_type.delete"
	AuditSourceCreate        = "source.create"
	AuditSourceUpdate        = "source.update"
	AuditSourceDelete        = "source.delete"
)

// audit records that who made a change; before and after are snapshots
// (nil where the target did not exist).
func (g *Gateway) audit(ctx context.Context, who auth.Principal, action, target string, before, after json.RawMessage) {
	e := &store.AuditEntry{ID: event.NewID(event.PrefixAudit), Time: time.Now().UTC().Truncate(time.Microsecond),
		ActorKeyID: who.KeyID, ActorRole: who.Role, ActorPartnerID: who.PartnerID, Action: action, TargetID: target, Before: before, After: after}
	// The change holds whether or not the client waits for this.
	if err := g.store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		slog.Error("recording a change in the audit log failed", "action", action, "target", target, "key", who.KeyID, "err", err)
	}
}

// snapshot is v as the audit log keeps it: JSON, with the secrets that
// answers redact redacted (signing and source secrets are never marshalled).
func snapshot(v any) json.RawMessage {
	if s, ok := v.(*event.Subscription); ok {
		c := *s
		c.Channel = s.Channel.Redacted()
		v = &c
	}
	b, _ := json.Marshal(v) // the audited types always marshal
	return b
}

// ListAudit answers a page of the audit log, newest first; administrators only.
func (g *Gateway) ListAudit(ctx context.Context, who auth.Principal, q store.AuditQuery) ([]*store.AuditEntry, string, error) {
	if err := adminOnly(who); err != nil {
		return nil, "", err
	}
	return g.store.ListAudit(ctx, q)
}
