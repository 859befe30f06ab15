// Package kinds is the table of channel kinds: the one place that lists
// them, and what turns a subscription's channel object into the kind's
// settings, checks them and builds the senders.
package kinds

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/eventgate/eventgate/internal/channel"
	"github.com/eventgate/eventgate/internal/channel/pull"
	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/event"
)

// all lists every channel kind; adding a kind is adding it here.
var all = []channel.Kind{
	webhook.Kind,
	pull.Kind,
}

// lookup returns the kind called name.
func lookup(name string) (channel.Kind, bool) {
	i := slices.IndexFunc(all, func(k channel.Kind) bool { return k.Name == name })
	if i < 0 {
		return channel.Kind{}, false
	}
	return all[i], true
}

// names lists the kinds' names, as a problem message shows them.
func names() string {
	names := make([]string, len(all))
	for i, k := range all {
		names[i] = fmt.Sprintf("%q", k.Name)
	}
	return strings.Join(names, ", ")
}

// Decode reads a subscription's channel object, {"type": kind, settings...},
// into the kind's settings, strictly: an unknown kind or field, or a
// value of the wrong type, is a validation error naming channel.<field>.
func Decode(raw json.RawMessage) (event.Channel, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return event.Channel{}, problem("channel", "must be an object with a \"type\", e.g. {\"type\": \"webhook\", \"url\": \"https://example.com/hook\"}")
	}
	var name string
	if err := json.Unmarshal(fields["type"], &name); err != nil {
		name = ""
	}
	kind, ok := lookup(name)
	if !ok {
		return event.Channel{}, problem("channel.type", "must be one of "+names())
	}
	delete(fields, "type")
	settings, err := json.Marshal(fields)
	if err != nil {
		return event.Channel{}, err
	}
	cfg := kind.NewConfig()
	if err := decodeStrict(settings, cfg); err != nil {
		return event.Channel{}, decodeProblem(kind, fields, err)
	}
	return event.Channel{Type: kind.Name, Config: cfg}, nil
}

func decodeStrict(settings []byte, cfg event.ChannelConfig) error {
	dec := json.NewDecoder(bytes.NewReader(settings))
	dec.DisallowUnknownFields()
	return dec.Decode(cfg)
}

// decodeProblem names the field a decoding error is about.
func decodeProblem(kind channel.Kind, fields map[string]json.RawMessage, err error) error {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		return problem("channel."+typeErr.Field, "must be "+jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return problem("channel."+field, fmt.Sprintf("is not a setting of a %s channel", kind.Name))
	}
	// A field's own UnmarshalJSON (a duration) does not say which field
	// it was: decode them one at a time to find it.
	for name, value := range fields {
		one, _ := json.Marshal(map[string]json.RawMessage{name: value})
		if fieldErr := decodeStrict(one, kind.NewConfig()); fieldErr != nil {
			return problem("channel."+name, fieldErr.Error())
		}
	}
	return problem("channel", err.Error())
}

// jsonKind names a Go kind the way JSON clients know it.
func jsonKind(goKind string) string {
	switch {
	case goKind == "struct" || goKind == "map":
		return "an object"
	case goKind == "slice" || goKind == "array":
		return "an array"
	case goKind == "bool":
		return "true or false"
	case strings.HasPrefix(goKind, "int") || strings.HasPrefix(goKind, "uint") || strings.HasPrefix(goKind, "float"):
		return "a number"
	}
	return "a " + goKind
}

func problem(field, message string) error {
	var p event.Problems
	p.Add(field, message)
	return p.Err()
}

// Check checks a channel's settings against the node's environment, with
// fields named channel.<field>.
func Check(c *event.Channel, env channel.Env) error {
	kind, ok := lookup(c.Type)
	if !ok || kind.Check == nil || c.Config == nil {
		return nil
	}
	var p event.Problems
	p.Merge("channel.", kind.Check(c.Config, env))
	return p.Err()
}

// Senders builds the sender of every kind that pushes.
func Senders(env channel.Env) channel.Senders {
	out := channel.Senders{}
	for _, k := range all {
		if k.NewSender != nil {
			out[k.Name] = k.NewSender(env)
		}
	}
	return out
}
