package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eventgate/eventgate/internal/catalog"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// PutEventType validates and stores a catalog entry, replacing the whole
// definition: its schema must compile and its example, if any, must
// satisfy it. A Schema that is nil (left out) while the stored type has a
// schema is refused: data would stop being validated unnoticed. An
// explicit JSON null removes the schema.
func (g *Gateway) PutEventType(ctx context.Context, t *event.EventType) error {
	if t.Schema == nil {
		stored, err := g.Store.GetEventType(ctx, t.Name)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err == nil && hasJSON(stored.Schema) {
			var p event.Problems
			p.Add("schema", "is left out, which would remove the type's schema and stop validating its data: send the schema again, send \"schema\": null to remove it, or change only some fields with PATCH")
			return p.Err()
		}
	}
	return g.storeEventType(ctx, t)
}

// eventTypeFields are the fields of a definition that PATCH may change.
var eventTypeFields = map[string]bool{"description": true, "schema": true, "example": true, "deprecated": true}

// PatchEventType changes the fields present in patch (JSON merge patch,
// RFC 7396: null clears a field) and keeps the others.
func (g *Gateway) PatchEventType(ctx context.Context, name string, patch map[string]json.RawMessage) (*event.EventType, error) {
	t, err := g.Store.GetEventType(ctx, name)
	if err != nil {
		return nil, err
	}
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
	return t, g.storeEventType(ctx, t)
}

// storeEventType validates and stores a whole definition.
func (g *Gateway) storeEventType(ctx context.Context, t *event.EventType) error {
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
		return err
	}
	t.UpdatedAt = time.Now().UTC()
	if err := g.Store.PutEventType(ctx, t); err != nil {
		return err
	}
	return g.Catalog.Set(t)
}

// DeleteEventType removes a type that no subscription receives.
func (g *Gateway) DeleteEventType(ctx context.Context, name string) error {
	if subs := g.Router.Receivers(name); len(subs) > 0 {
		return fmt.Errorf("%w: event type %s is still received by %d subscription(s), e.g. %s; change their filters first", store.ErrConflict, name, len(subs), subs[0])
	}
	if err := g.Store.DeleteEventType(ctx, name); err != nil {
		return err
	}
	g.Catalog.Remove(name)
	return nil
}

func hasJSON(b json.RawMessage) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}
