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

// PutEventType validates and stores a catalog entry: its schema must
// compile and its example, if any, must satisfy it.
func (g *Gateway) PutEventType(ctx context.Context, t *event.EventType) error {
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
