package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/catalog"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// CatalogEntry is an event type with the subscriptions that receive it,
// as far as the caller may see them.
type CatalogEntry struct {
	*event.EventType
	Subscriptions []string `json:"subscriptions"`
}

// entry shows an event type to who: a partner sees only its own
// subscriptions among the receivers.
func (g *Gateway) entry(who auth.Principal, t *event.EventType) *CatalogEntry {
	subs := []string{}
	for _, id := range g.router.Receivers(t.Name) {
		if s := g.router.Get(id); !who.IsPartner() || (s != nil && s.PartnerID == who.PartnerID) {
			subs = append(subs, id)
		}
	}
	return &CatalogEntry{t, subs}
}

// mayBrowse reports whether who may see an event type: a partner only
// those it is granted.
func (g *Gateway) mayBrowse(ctx context.Context, who auth.Principal) (func(name string) bool, error) {
	if err := adminsAndPartners(who); err != nil {
		return nil, err
	}
	if !who.IsPartner() {
		return func(string) bool { return true }, nil
	}
	p, err := g.store.GetPartner(ctx, who.PartnerID)
	if err != nil {
		return nil, err
	}
	return func(name string) bool { return event.GlobsMatch(p.SubscribeTypes, name) }, nil
}

// ListEventTypes answers a page of the catalog as who may browse it. A
// partner's page holds only granted types, so it may hold fewer than
// asked for while more follow.
func (g *Gateway) ListEventTypes(ctx context.Context, who auth.Principal, page store.Page) ([]*CatalogEntry, string, error) {
	visible, err := g.mayBrowse(ctx, who)
	if err != nil {
		return nil, "", err
	}
	types, next, err := g.store.ListEventTypes(ctx, page)
	if err != nil {
		return nil, "", err
	}
	entries := make([]*CatalogEntry, 0, len(types))
	for _, t := range types {
		if visible(t.Name) {
			entries = append(entries, g.entry(who, t))
		}
	}
	return entries, next, nil
}

// GetEventType returns a catalog entry who may browse.
func (g *Gateway) GetEventType(ctx context.Context, who auth.Principal, name string) (*CatalogEntry, error) {
	visible, err := g.mayBrowse(ctx, who)
	if err != nil {
		return nil, err
	}
	if !visible(name) {
		return nil, store.ErrNotFound
	}
	t, err := g.store.GetEventType(ctx, name)
	if err != nil {
		return nil, err
	}
	return g.entry(who, t), nil
}

// PutEventType validates and stores a catalog entry, replacing the whole
// definition: its schema must compile and its example, if any, must
// satisfy it. A Schema that is nil (left out) while the stored type has a
// schema is refused: data would stop being validated unnoticed. An
// explicit JSON null removes the schema.
func (g *Gateway) PutEventType(ctx context.Context, who auth.Principal, t *event.EventType) (*CatalogEntry, error) {
	if err := adminOnly(who); err != nil {
		return nil, err
	}
	stored, err := g.store.GetEventType(ctx, t.Name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var old json.RawMessage
	if err == nil {
		old = snapshot(stored)
	}
	if t.Schema == nil && err == nil && hasJSON(stored.Schema) {
		var p event.Problems
		p.Add("schema", "is left out, which would remove the type's schema and stop validating its data: send the schema again, send \"schema\": null to remove it, or change only some fields with PATCH")
		return nil, p.Err()
	}
	return g.storeEventType(ctx, who, t, old)
}

// eventTypeFields are the fields of a definition that PATCH may change.
var eventTypeFields = map[string]bool{"description": true, "schema": true, "example": true, "deprecated": true}

// PatchEventType changes the fields present in patch (JSON merge patch,
// RFC 7396: null clears a field) and keeps the others.
func (g *Gateway) PatchEventType(ctx context.Context, who auth.Principal, name string, patch map[string]json.RawMessage) (*CatalogEntry, error) {
	if err := adminOnly(who); err != nil {
		return nil, err
	}
	t, err := g.store.GetEventType(ctx, name)
	if err != nil {
		return nil, err
	}
	old := snapshot(t)
	var p event.Problems
	for field, value := range patch {
		if !eventTypeFields[field] {
			p.Add(field, "is not a field of an event type; use description, schema, example or deprecated")
			continue
		}
		null := !hasJSON(value)
		switch field {
		case "description":
			t.Description = ""
			if !null && json.Unmarshal(value, &t.Description) != nil {
				p.Add(field, "must be a string, or null to clear it")
			}
		case "deprecated":
			t.Deprecated = false
			if !null && json.Unmarshal(value, &t.Deprecated) != nil {
				p.Add(field, "must be true or false, or null for false")
			}
		case "schema":
			t.Schema = nil
			if !null {
				t.Schema = value
			}
		case "example":
			t.Example = nil
			if !null {
				t.Example = value
			}
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return g.storeEventType(ctx, who, t, old)
}

// storeEventType validates and stores a whole definition, and answers the
// entry as stored; old is the stored one's snapshot, nil for a new type.
func (g *Gateway) storeEventType(ctx context.Context, who auth.Principal, t *event.EventType, old json.RawMessage) (*CatalogEntry, error) {
	if !hasJSON(t.Schema) {
		t.Schema = nil // an explicit null is stored as none
	}
	var p event.Problems
	if !event.ValidTypeName(t.Name) {
		p.Add("name", "must match [a-z0-9][a-z0-9._-]*, at most 128 characters, e.g. \"order.created\"")
	}
	if len(t.Description) > 2000 {
		p.Add("description", "must be at most 2000 characters")
	}
	if hasJSON(t.Schema) {
		if _, err := catalog.CompileSchema(t.Schema); err != nil {
			p.Add("schema", err.Error())
		} else if hasJSON(t.Example) {
			probe := catalog.New(false)
			_ = probe.Set(t)
			var ve *event.ValidationError
			if err := probe.Check(&event.Event{Type: t.Name, Data: t.Example}); errors.As(err, &ve) {
				p.Add("example", "does not satisfy the schema: "+ve.Error())
			}
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	t.UpdatedAt = time.Now().UTC()
	if err := g.store.PutEventType(ctx, t); err != nil {
		return nil, err
	}
	if err := g.catalog.Set(t); err != nil {
		return nil, err
	}
	stored, err := g.store.GetEventType(ctx, t.Name)
	if err != nil {
		return nil, err
	}
	g.audit(ctx, who, AuditEventTypePut, t.Name, old, snapshot(stored))
	return g.entry(who, stored), nil
}

// DeleteEventType removes a type that no subscription receives.
func (g *Gateway) DeleteEventType(ctx context.Context, who auth.Principal, name string) error {
	if err := adminOnly(who); err != nil {
		return err
	}
	if subs := g.router.Receivers(name); len(subs) > 0 {
		return fmt.Errorf("%w: event type %s is still received by %d subscription(s), e.g. %s; change their filters first", store.ErrConflict, name, len(subs), subs[0])
	}
	stored, err := g.store.GetEventType(ctx, name)
	if err != nil {
		return err
	}
	if err := g.store.DeleteEventType(ctx, name); err != nil {
		return err
	}
	g.audit(ctx, who, AuditEventTypeDelete, name, snapshot(stored), nil)
	g.catalog.Remove(name)
	return nil
}

func hasJSON(b json.RawMessage) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}
