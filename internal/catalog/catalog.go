// Package catalog keeps the event type catalog's rules in memory: which
// types exist and the compiled JSON Schema each one's data must satisfy.
package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/eventgate/eventgate/internal/event"
)

// Catalog answers whether an event may be published. It is safe for
// concurrent use; changes swap in a new snapshot.
type Catalog struct {
	// Strict refuses event types that are not in the catalog.
	Strict bool
	types  atomic.Pointer[map[string]*entry]
}

type entry struct {
	def    *event.EventType
	schema *jsonschema.Schema
}

// New returns an empty catalog.
func New(strict bool) *Catalog {
	c := &Catalog{Strict: strict}
	c.types.Store(&map[string]*entry{})
	return c
}

// Load replaces every entry. A stored schema that no longer compiles is
// skipped and reported; the others load.
func (c *Catalog) Load(types []*event.EventType) error {
	m := make(map[string]*entry, len(types))
	var errs []error
	for _, t := range types {
		e, err := newEntry(t)
		if err != nil {
			errs = append(errs, fmt.Errorf("event type %s: %w", t.Name, err))
			e = &entry{def: t}
		}
		m[t.Name] = e
	}
	c.types.Store(&m)
	return errors.Join(errs...)
}

// Set adds or replaces one entry; its schema must compile.
func (c *Catalog) Set(t *event.EventType) error {
	e, err := newEntry(t)
	if err != nil {
		return err
	}
	c.update(func(m map[string]*entry) { m[t.Name] = e })
	return nil
}

// Remove forgets a type.
func (c *Catalog) Remove(name string) {
	c.update(func(m map[string]*entry) { delete(m, name) })
}

// Known reports whether a type is in the catalog.
func (c *Catalog) Known(name string) bool {
	_, ok := (*c.types.Load())[name]
	return ok
}

// update copies the map, changes the copy and swaps it in. Changes are
// rare (API calls); reads are on every publish.
func (c *Catalog) update(change func(map[string]*entry)) {
	for {
		old := c.types.Load()
		m := make(map[string]*entry, len(*old)+1)
		for k, v := range *old {
			m[k] = v
		}
		change(m)
		if c.types.CompareAndSwap(old, &m) {
			return
		}
	}
}

func newEntry(t *event.EventType) (*entry, error) {
	e := &entry{def: t}
	if len(bytes.TrimSpace(t.Schema)) == 0 {
		return e, nil
	}
	s, err := CompileSchema(t.Schema)
	if err != nil {
		return nil, err
	}
	e.schema = s
	return e, nil
}

// CompileSchema compiles a JSON Schema (2020-12 unless it says otherwise).
// References to other documents are refused: a schema must be
// self-contained, and the gateway fetches nothing on a publisher's behalf.
func CompileSchema(raw json.RawMessage) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("is not valid JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(refuseLoader{})
	const url = "eventgate:schema.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("is not a usable JSON Schema: %v", err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("is not a valid JSON Schema: %v", err)
	}
	return s, nil
}

type refuseLoader struct{}

func (refuseLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("references to other documents (%s) are not supported; inline the definition under $defs", url)
}

// Check decides whether e may be published: its type must be known in
// strict mode, and its data must satisfy the type's schema. Violations
// come as a *event.ValidationError with one field per violation, named by
// JSON pointer under "data".
func (c *Catalog) Check(e *event.Event) error {
	entry, ok := (*c.types.Load())[e.Type]
	if !ok {
		if c.Strict {
			var p event.Problems
			p.Add("type", fmt.Sprintf("%q is not in the event type catalog, and this gateway refuses unknown types (--strict-event-types); register it with PUT /v1/event-types/%s", e.Type, e.Type))
			return p.Err()
		}
		return nil
	}
	if entry.schema == nil {
		return nil
	}
	data, err := jsonschema.UnmarshalJSON(bytes.NewReader(e.Data))
	if err != nil {
		return err
	}
	err = entry.schema.Validate(data)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	return violations(ve)
}

var english = message.NewPrinter(language.English)

// violations flattens a schema validation error into field errors, most
// specific first.
func violations(ve *jsonschema.ValidationError) error {
	var p event.Problems
	seen := map[string]bool{}
	var leaves []*jsonschema.ValidationError
	var walk func(*jsonschema.ValidationError)
	walk = func(v *jsonschema.ValidationError) {
		if len(v.Causes) == 0 {
			leaves = append(leaves, v)
		}
		for _, c := range v.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.SliceStable(leaves, func(i, j int) bool { return len(leaves[i].InstanceLocation) > len(leaves[j].InstanceLocation) })
	for _, leaf := range leaves {
		field := "data"
		if len(leaf.InstanceLocation) > 0 {
			field = "data/" + strings.Join(leaf.InstanceLocation, "/")
		}
		msg := leaf.ErrorKind.LocalizedString(english)
		if key := field + msg; !seen[key] {
			seen[key] = true
			p.Add(field, "violates the event type's schema: "+msg)
		}
	}
	return p.Err()
}
