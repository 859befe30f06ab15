package main

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/eventgate/eventgate/pkg/client"
)

// `eventgate apply` and `eventgate export`: partners, event types and
// subscriptions kept in a file, made so on a gateway through its API.
// Resources are matched by name (subscriptions by name within their
// partner); a field the file leaves out is left as the gateway has it.

//go:embed apply.schema.json
var applySchemaJSON []byte

// The kinds of resources, in the order they are created: a subscription
// needs its partner. Deletions go the other way.
const (
	kindPartner      = "partner"
	kindEventType    = "event_type"
	kindSubscription = "subscription"
)

var kinds = []string{kindPartner, kindEventType, kindSubscription}

// fileKeys are the file's lists of each kind.
var fileKeys = map[string]string{kindPartner: "partners", kindEventType: "event_types", kindSubscription: "subscriptions"}

// redacted is how the gateway answers a stored secret.
const redacted = "********"

// secretPaths are the fields of a subscription that hold secrets: the file
// may take them from the environment, and the plan never shows them.
var secretPaths = map[string]bool{
	"channel.auth.password": true, "channel.auth.value": true, "channel.auth.token": true,
	"channel.auth.client_secret": true, "channel.client_cert.key_pem": true,
}

// opaqueKeys are objects compared and replaced whole, not field by field:
// their keys are the user's, not the gateway's.
var opaqueKeys = map[string]bool{"metadata": true, "headers": true, "input_paths": true, "schema": true, "example": true, "pattern": true}

// durationKeys hold Go durations, which the gateway answers in their
// canonical form ("1m" is answered "1m0s").
var durationKeys = map[string]bool{"timeout": true, "visibility_timeout": true, "max_age": true, "min_backoff": true, "max_backoff": true}

// resource is a partner, event type or subscription in the file's form.
type resource struct {
	kind  string
	label string         // the name; partner/name for a partner's subscription
	spec  map[string]any // the fields, as JSON values
	id    string         // the gateway's id, for a resource read from it
}

// state is a set of resources by kind and label.
type state map[string]map[string]resource

func (s state) add(r resource) error {
	if s[r.kind] == nil {
		s[r.kind] = map[string]resource{}
	}
	if _, dup := s[r.kind][r.label]; dup {
		return fmt.Errorf("two %ss are named %s: a name must be unique", r.kind, r.label)
	}
	s[r.kind][r.label] = r
	return nil
}

func subscriptionLabel(partner, name string) string {
	if partner == "" {
		return name
	}
	return partner + "/" + name
}

func applyCmd(args []string) error {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	start := remote(fs)
	var file string
	fs.StringVar(&file, "f", "", "the file of partners, event types and subscriptions, YAML or JSON (- is stdin; required)")
	dryRun := fs.Bool("dry-run", false, "print the plan only")
	prune := fs.Bool("prune", false, "also delete the partners, event types and subscriptions the file does not name")
	detailed := fs.Bool("detailed-exitcode", false, "with --dry-run, exit 2 when the plan is not empty")
	ctx, c, stop, err := start(args)
	if err != nil {
		return err
	}
	defer stop()
	if file == "" {
		return errors.New("usage: eventgate apply -f FILE [--dry-run [--detailed-exitcode]] [--prune] [--url URL --key KEY]")
	}
	desired, err := loadApplyFile(file)
	if err != nil {
		return err
	}
	current, err := readState(ctx, c)
	if err != nil {
		return err
	}
	p, err := makePlan(desired, current, *prune)
	if err != nil {
		return err
	}
	p.print(os.Stdout)
	if len(p.actions) == 0 || *dryRun {
		if *detailed && len(p.actions) > 0 {
			return fmt.Errorf("the plan holds %d changes (--detailed-exitcode)", len(p.actions))
		}
		return nil
	}
	if err := p.apply(ctx, c, current); err != nil {
		return err
	}
	fmt.Println("applied.")
	return nil
}

func exportCmd(args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	start := remote(fs)
	asJSON := fs.Bool("json", false, "write JSON instead of YAML")
	ctx, c, stop, err := start(args)
	if err != nil {
		return err
	}
	defer stop()
	current, err := readState(ctx, c)
	if err != nil {
		return err
	}
	doc := map[string]any{}
	for _, kind := range kinds {
		list := []any{}
		for _, label := range sortedKeys(current[kind]) {
			list = append(list, exportable(current[kind][label].spec))
		}
		doc[fileKeys[kind]] = list
	}
	if *asJSON {
		return printJSON(doc)
	}
	var root yaml.Node
	if err := root.Encode(doc); err != nil {
		return err
	}
	// In the order a person reads them: the kinds as created, a name first.
	keysFirst(&root, fileKeys[kindPartner], fileKeys[kindEventType], fileKeys[kindSubscription])
	for i := 1; i < len(root.Content); i += 2 {
		for _, item := range root.Content[i].Content {
			keysFirst(item, "name", "partner")
		}
	}
	enc := yaml.NewEncoder(os.Stdout)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return err
	}
	return enc.Close()
}

// keysFirst moves the keys of the mapping m to its front, in that order.
func keysFirst(m *yaml.Node, keys ...string) {
	pairs := make([][]*yaml.Node, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		pairs = append(pairs, m.Content[i:i+2])
	}
	rank := func(pair []*yaml.Node) int {
		if i := slices.Index(keys, pair[0].Value); i >= 0 {
			return i
		}
		return len(keys)
	}
	slices.SortStableFunc(pairs, func(a, b []*yaml.Node) int { return rank(a) - rank(b) })
	m.Content = slices.Concat(pairs...)
}

// loadApplyFile reads a YAML or JSON file (JSON is YAML), validates it
// against apply.schema.json and answers its resources.
func loadApplyFile(path string) (state, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	j, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := validateApplyFile(j); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var file map[string][]map[string]any
	if err := json.Unmarshal(j, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := state{}
	for _, kind := range kinds {
		for i, spec := range file[fileKeys[kind]] {
			name := spec["name"].(string) // the schema requires it
			label := name
			if kind == kindSubscription {
				partner, _ := spec["partner"].(string)
				label = subscriptionLabel(partner, name)
				if err := expandSecrets(spec); err != nil {
					return nil, fmt.Errorf("%s: /%s/%d: %w", path, fileKeys[kind], i, err)
				}
				normalizeDurations(spec)
			}
			if err := s.add(resource{kind: kind, label: label, spec: spec}); err != nil {
				return nil, fmt.Errorf("%s: /%s/%d: %w", path, fileKeys[kind], i, err)
			}
		}
	}
	return s, nil
}

// applySchema is compiled on first use: the other commands need not pay for it.
var applySchema = sync.OnceValue(func() *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(applySchemaJSON))
	if err != nil {
		panic(err)
	}
	c := jsonschema.NewCompiler()
	const url = "eventgate:apply.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		panic(err)
	}
	return c.MustCompile(url)
})

// validateApplyFile checks the file against its schema; every violation
// names its place in the file as a JSON pointer.
func validateApplyFile(j []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		return err
	}
	var ve *jsonschema.ValidationError
	if err := applySchema().Validate(inst); !errors.As(err, &ve) {
		return err
	}
	var msgs []string
	var walk func(*jsonschema.ValidationError)
	walk = func(v *jsonschema.ValidationError) {
		if len(v.Causes) == 0 {
			msgs = append(msgs, fmt.Sprintf("/%s: %s", strings.Join(v.InstanceLocation, "/"), v.ErrorKind.LocalizedString(english)))
		}
		for _, c := range v.Causes {
			walk(c)
		}
	}
	walk(ve)
	slices.Sort(msgs)
	return fmt.Errorf("does not match the file's schema:\n  %s", strings.Join(slices.Compact(msgs), "\n  "))
}

var english = message.NewPrinter(language.English)

var envReference = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandSecrets replaces ${NAME} in a subscription's secrets by the
// environment's NAME, so that the file need not hold them.
func expandSecrets(spec map[string]any) error {
	var err error
	walk(spec, "", func(path string, m map[string]any, k string) {
		s, ok := m[k].(string)
		if !ok || !secretPaths[path] {
			return
		}
		m[k] = envReference.ReplaceAllStringFunc(s, func(ref string) string {
			name := envReference.FindStringSubmatch(ref)[1]
			v, set := os.LookupEnv(name)
			if !set && err == nil {
				err = fmt.Errorf("%s refers to ${%s}, which the environment does not set", path, name)
			}
			return v
		})
	})
	return err
}

func normalizeDurations(spec map[string]any) {
	walk(spec, "", func(_ string, m map[string]any, k string) {
		if s, ok := m[k].(string); ok && durationKeys[k] {
			if d, err := time.ParseDuration(s); err == nil {
				m[k] = d.String()
			}
		}
	})
}

// walk calls visit for every field of m and of the objects within,
// with its dotted path.
func walk(m map[string]any, prefix string, visit func(path string, m map[string]any, k string)) {
	for k, v := range m {
		path := prefix + k
		visit(path, m, k)
		if sub, ok := v.(map[string]any); ok {
			walk(sub, path+".", visit)
		}
	}
}

// readState answers the gateway's partners, event types and subscriptions
// in the file's form, without what the gateway assigns (ids, times, status).
func readState(ctx context.Context, c *client.Client) (state, error) {
	s := state{}
	partnerNames := map[string]string{}
	for p, err := range c.AllPartners(ctx, client.ListOptions{Limit: 500}) {
		if err != nil {
			return nil, fmt.Errorf("listing partners: %w", err)
		}
		partnerNames[p.ID] = p.Name
		if err := s.add(resource{kind: kindPartner, label: p.Name, id: p.ID,
			spec: pick(p, "name", "environments", "metadata", "quotas", "subscribe_types")}); err != nil {
			return nil, fmt.Errorf("the gateway's partners: %w", err)
		}
	}
	for t, err := range c.AllEventTypes(ctx, client.ListOptions{Limit: 500}) {
		if err != nil {
			return nil, fmt.Errorf("listing event types: %w", err)
		}
		if err := s.add(resource{kind: kindEventType, label: t.Name, id: t.Name,
			spec: pick(t, "name", "description", "schema", "example", "deprecated")}); err != nil {
			return nil, fmt.Errorf("the gateway's event types: %w", err)
		}
	}
	for sub, err := range c.AllSubscriptions(ctx, client.ListOptions{Limit: 500}) {
		if err != nil {
			return nil, fmt.Errorf("listing subscriptions: %w", err)
		}
		spec := pick(sub, "name", "environment", "channel", "filter", "retry_policy", "max_concurrency", "rate_limit", "transform", "payload_format")
		partner := ""
		if sub.PartnerID != "" {
			partner = cmp.Or(partnerNames[sub.PartnerID], sub.PartnerID) // a deleted partner's is known by id
			spec["partner"] = partner
		}
		if err := s.add(resource{kind: kindSubscription, label: subscriptionLabel(partner, sub.Name), id: sub.ID, spec: spec}); err != nil {
			return nil, fmt.Errorf("the gateway's subscriptions: %w", err)
		}
	}
	return s, nil
}

// pick answers v's JSON fields named, leaving out the empty ones (but
// false), which a file leaves out too.
func pick(v any, names ...string) map[string]any {
	b, _ := json.Marshal(v) // the client's own types always marshal
	var all map[string]any
	_ = json.Unmarshal(b, &all)
	out := map[string]any{}
	for _, name := range names {
		v := all[name]
		if _, isBool := v.(bool); isBool || !empty(v) {
			out[name] = v
		}
	}
	return out
}

func empty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case bool:
		return !v
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// exportable is v without its redacted secrets, and with whole numbers
// written as such (JSON decoding made every number a float64: 1e+06).
func exportable(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, field := range v {
			if field != redacted {
				out[k] = exportable(field)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = exportable(item)
		}
		return out
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v)
		}
	}
	return v
}

// change is one field that differs.
type change struct {
	path     string
	from, to any
	secret   bool
}

func (c change) String() string {
	if c.secret {
		return c.path + " (secret)"
	}
	return fmt.Sprintf("%s %s -> %s", c.path, shown(c.from), shown(c.to))
}

func shown(v any) string {
	if v == nil {
		return "(unset)"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// diff answers the fields want sets that have holds otherwise. A secret
// the file sets is always a change: the gateway answers it redacted, so
// it cannot be compared.
func diff(prefix string, want, have map[string]any) []change {
	var changes []change
	for _, k := range sortedKeys(want) {
		path := prefix + k
		w, h := want[k], have[k]
		if secretPaths[path] || h == redacted {
			changes = append(changes, change{path: path, secret: true})
			continue
		}
		wm, wIsMap := w.(map[string]any)
		hm, hIsMap := h.(map[string]any)
		if wIsMap && (hIsMap || h == nil) && !opaqueKeys[k] { // field by field, so that a secret in a new object shows as one
			changes = append(changes, diff(path+".", wm, hm)...)
		} else if !reflect.DeepEqual(w, h) && !(empty(w) && empty(h)) {
			changes = append(changes, change{path: path, from: h, to: w})
		}
	}
	return changes
}

// merge answers want laid over have: the fields the file leaves out keep
// the gateway's values (a redacted secret sent back keeps the stored one),
// except in opaque objects and in an object whose type changes.
func merge(k string, want, have any) any {
	wm, wIsMap := want.(map[string]any)
	hm, hIsMap := have.(map[string]any)
	if !wIsMap || !hIsMap || opaqueKeys[k] || (wm["type"] != nil && wm["type"] != hm["type"]) {
		return want
	}
	out := map[string]any{}
	for k, v := range hm {
		out[k] = v
	}
	for k, v := range wm {
		out[k] = merge(k, v, hm[k])
	}
	return out
}

// action is one step of a plan.
type action struct {
	op      string // create, update or delete
	want    resource
	have    resource
	changes []change
}

type plan struct{ actions []action }

// makePlan answers what makes current as desired: creations and updates
// in kinds' order, then, with prune, deletions in the reverse order.
func makePlan(desired, current state, prune bool) (*plan, error) {
	p := &plan{}
	for _, kind := range kinds {
		for _, label := range sortedKeys(desired[kind]) {
			want := desired[kind][label]
			if partner, ok := want.spec["partner"].(string); ok && desired[kindPartner][partner].spec == nil {
				if prune {
					return nil, fmt.Errorf("subscription %s: partner %s is not in the file, so --prune would delete it", label, partner)
				}
				if current[kindPartner][partner].spec == nil {
					return nil, fmt.Errorf("subscription %s: partner %s is neither in the file nor on the gateway", label, partner)
				}
			}
			have, exists := current[kind][label]
			if !exists {
				p.actions = append(p.actions, action{op: "create", want: want})
				continue
			}
			if changes := diff("", want.spec, have.spec); len(changes) > 0 {
				p.actions = append(p.actions, action{op: "update", want: want, have: have, changes: changes})
			}
		}
	}
	if prune {
		for _, kind := range slices.Backward(kinds) {
			for _, label := range sortedKeys(current[kind]) {
				if _, named := desired[kind][label]; !named {
					p.actions = append(p.actions, action{op: "delete", have: current[kind][label]})
				}
			}
		}
	}
	return p, nil
}

func (p *plan) print(w io.Writer) {
	if len(p.actions) == 0 {
		fmt.Fprintln(w, "no changes")
		return
	}
	count := map[string]int{}
	for _, a := range p.actions {
		count[a.op]++
		switch a.op {
		case "create":
			fmt.Fprintf(w, "+ create %s %s\n", a.want.kind, a.want.label)
		case "update":
			for _, c := range a.changes {
				fmt.Fprintf(w, "~ update %s %s: %s\n", a.want.kind, a.want.label, c)
			}
		case "delete":
			fmt.Fprintf(w, "- delete %s %s\n", a.have.kind, a.have.label)
		}
	}
	fmt.Fprintf(w, "plan: %d to create, %d to update, %d to delete\n", count["create"], count["update"], count["delete"])
}

// apply carries the plan out, step by step; it stops at the first refusal,
// naming the resource, and a rerun takes up from there.
func (p *plan) apply(ctx context.Context, c *client.Client, current state) error {
	partnerIDs := map[string]string{}
	for name, r := range current[kindPartner] {
		partnerIDs[name] = r.id
	}
	for _, a := range p.actions {
		r := a.want
		if a.op == "delete" {
			r = a.have
		}
		if err := applyStep(ctx, c, a, partnerIDs); err != nil {
			return fmt.Errorf("%s %s %s: %w", a.op, r.kind, r.label, err)
		}
	}
	return nil
}

// applyStep carries out one action; partnerIDs learns the partners it creates.
func applyStep(ctx context.Context, c *client.Client, a action, partnerIDs map[string]string) error {
	if a.op == "delete" {
		switch a.have.kind {
		case kindPartner:
			return c.DeletePartner(ctx, a.have.id)
		case kindEventType:
			return c.DeleteEventType(ctx, a.have.id)
		default:
			return c.DeleteSubscription(ctx, a.have.id)
		}
	}
	fields := a.want.spec
	if a.op == "update" {
		fields = map[string]any{}
		for _, ch := range a.changes {
			k, _, _ := strings.Cut(ch.path, ".")
			fields[k] = merge(k, a.want.spec[k], a.have.spec[k])
		}
	}
	switch a.want.kind {
	case kindPartner:
		var in client.PartnerInput
		if err := convert(fields, &in); err != nil {
			return err
		}
		if a.op == "update" {
			_, err := c.UpdatePartner(ctx, a.have.id, in)
			return err
		}
		created, err := c.CreatePartner(ctx, in)
		if err == nil {
			partnerIDs[created.Name] = created.ID
		}
		return err
	case kindEventType:
		name := a.want.spec["name"].(string)
		if a.op == "update" {
			var patch client.EventTypePatch
			if err := convert(fields, &patch); err != nil {
				return err
			}
			_, err := c.PatchEventType(ctx, name, patch)
			return err
		}
		var in client.EventTypeInput
		if err := convert(without(fields, "name"), &in); err != nil {
			return err
		}
		_, err := c.PutEventType(ctx, name, in)
		return err
	default:
		if a.op == "update" {
			var patch client.SubscriptionPatch
			if err := convert(fields, &patch); err != nil {
				return err
			}
			_, err := c.UpdateSubscription(ctx, a.have.id, patch)
			return err
		}
		var in client.SubscriptionInput
		if err := convert(without(fields, "partner"), &in); err != nil {
			return err
		}
		if partner, ok := fields["partner"].(string); ok {
			in.PartnerID = partnerIDs[partner]
		}
		_, err := c.CreateSubscription(ctx, in)
		return err
	}
}

// convert turns the file's fields into the client's request type.
func convert(fields map[string]any, out any) error {
	b, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func without(m map[string]any, key string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
