package pattern

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// gen builds random patterns and events over a small vocabulary, so that
// they often match, often nearly match, and exercise arrays, nesting and
// every operator.
type gen struct{ r *rand.Rand }

var (
	genStrings = []string{"a", "A", "ab", "aB", "abc", "b", "ba", "x*y", "", "10.0.0.5", "10.1.2.3", "2001:db8::1", "straße", "STRASSE"}
	genNumbers = []string{"0", "1", "5", "5.0", "-3", "10", "100", "2.5"}
	genTop     = []string{"type", "source", "subject", "severity"}
	genData    = []string{"customer_id", "amount", "tags", "ip", "flag"}
)

func (g gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g gen) quoted(list []string) string { q, _ := json.Marshal(g.pick(list)); return string(q) }

func (g gen) predicate() string {
	switch g.r.IntN(16) {
	case 0:
		return g.quoted(genStrings)
	case 1:
		return g.pick(genNumbers)
	case 2:
		return g.pick([]string{"true", "false", "null"})
	case 3:
		return `{"prefix": ` + g.quoted([]string{"a", "ab", "1", ""}) + `}`
	case 4:
		return `{"suffix": ` + g.quoted([]string{"b", "ab", ".5", "y"}) + `}`
	case 5:
		return `{"prefix": {"equals-ignore-case": ` + g.quoted([]string{"A", "aB", "STR"}) + `}}`
	case 6:
		return `{"suffix": {"equals-ignore-case": ` + g.quoted([]string{"B", "SSE", "ße"}) + `}}`
	case 7:
		return `{"equals-ignore-case": ` + g.quoted(genStrings) + `}`
	case 8:
		return `{"wildcard": ` + g.quoted([]string{"a*", "*b", "*", "a*c", "x\\*y", "*.*", "1*"}) + `}`
	case 9:
		return `{"numeric": ` + g.pick([]string{`["=", 5]`, `[">", 0]`, `["<=", 1]`, `[">=", 1, "<", 10]`, `[">", -5, "<=", 5]`, `["<", 0]`}) + `}`
	case 10:
		return `{"cidr": ` + g.quoted([]string{"10.0.0.0/24", "10.0.0.0/8", "2001:db8::/32", "0.0.0.0/0"}) + `}`
	case 11:
		return `{"exists": ` + g.pick([]string{"true", "false"}) + `}`
	case 12:
		return `{"anything-but": ` + g.pick([]string{`"a"`, `5`, `["a", "b"]`, `[1, 5]`, `{"prefix": "a"}`, `{"suffix": "b"}`,
			`{"equals-ignore-case": ["A", "b"]}`, `{"wildcard": "a*"}`}) + `}`
	default:
		return g.quoted(genStrings)
	}
}

func (g gen) leaf() string {
	preds := make([]string, 1+g.r.IntN(3))
	for i := range preds {
		preds[i] = g.predicate()
	}
	return "[" + strings.Join(preds, ", ") + "]"
}

// object returns the members of a random pattern object.
func (g gen) object(names []string, depth int) string {
	var members []string
	used := map[string]bool{}
	for range 1 + g.r.IntN(3) {
		name := g.pick(names)
		if used[name] {
			continue
		}
		used[name] = true
		switch {
		case name == "data" || name == "items" || name == "attributes":
			members = append(members, fmt.Sprintf("%q: {%s}", name, g.object(genData, depth+1)))
		default:
			members = append(members, fmt.Sprintf("%q: %s", name, g.leaf()))
		}
	}
	if depth < 3 && g.r.IntN(4) == 0 {
		alts := make([]string, 2+g.r.IntN(2))
		for i := range alts {
			alts[i] = "{" + g.object(names, depth+1) + "}"
		}
		members = append(members, `"$or": [`+strings.Join(alts, ", ")+`]`)
	}
	return strings.Join(members, ", ")
}

func (g gen) pattern() *Pattern {
	for {
		raw := "{" + g.object(append(slices.Clone(genTop), "data", "items"), 1) + "}"
		if p, err := Compile([]byte(raw)); err == nil {
			return p
		}
	}
}

func (g gen) scalar() any {
	switch g.r.IntN(5) {
	case 0, 1:
		return g.pick(genStrings)
	case 2:
		return json.Number(g.pick(genNumbers))
	case 3:
		return []any{true, false, nil}[g.r.IntN(3)]
	default:
		return float64(g.r.IntN(12) - 2)
	}
}

func (g gen) value(depth int) any {
	switch n := g.r.IntN(10); {
	case n < 6 || depth > 2:
		return g.scalar()
	case n < 8:
		arr := make([]any, g.r.IntN(4))
		for i := range arr {
			arr[i] = g.value(depth + 1)
		}
		return arr
	default:
		return g.object2(genData, depth+1)
	}
}

func (g gen) object2(names []string, depth int) map[string]any {
	obj := map[string]any{}
	for _, name := range names {
		if g.r.IntN(3) > 0 {
			obj[name] = g.value(depth)
		}
	}
	return obj
}

func (g gen) event() map[string]any {
	ev := g.object2(genTop, 1)
	if g.r.IntN(4) > 0 {
		ev["data"] = g.object2(genData, 2)
	}
	if g.r.IntN(2) == 0 {
		items := make([]any, g.r.IntN(4))
		for i := range items {
			items[i] = g.object2(genData, 2)
		}
		ev["items"] = items
	}
	return ev
}

// loopMatch is the reference: every pattern tried one by one.
func loopMatch(patterns map[string]*Pattern, event map[string]any) []string {
	var ids []string
	for id, p := range patterns {
		if p.MatchValue(event) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestMatcherAgreesWithPatternLoop(t *testing.T) {
	for seed := range uint64(5) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			g := gen{rand.New(rand.NewPCG(seed, 42))}
			m := NewMatcher()
			patterns := map[string]*Pattern{}
			add := func(id string) {
				p := g.pattern()
				patterns[id] = p
				m.Add(id, p)
			}
			for i := range 400 {
				add(fmt.Sprint("p", i))
			}
			matches, checks := 0, 0
			compare := func(round string) {
				for range 500 {
					ev := g.event()
					want := loopMatch(patterns, ev)
					got := m.Match(ev, nil)
					slices.Sort(got)
					if !slices.Equal(got, want) {
						evJSON, _ := json.Marshal(ev)
						t.Fatalf("%s: event %s\nMatcher   %v\nloop      %v\n%s", round, evJSON, got, want, describe(patterns, got, want))
					}
					matches += len(want)
					checks += len(patterns)
				}
			}
			compare("initial")
			// Churn: remove some, replace some, add some.
			for i := 0; i < 400; i += 3 {
				id := fmt.Sprint("p", i)
				m.Remove(id)
				delete(patterns, id)
			}
			for i := 1; i < 400; i += 5 {
				add(fmt.Sprint("p", i))
			}
			for i := 400; i < 500; i++ {
				add(fmt.Sprint("p", i))
			}
			if m.Len() != len(patterns) {
				t.Fatalf("Len = %d, want %d", m.Len(), len(patterns))
			}
			compare("after churn")
			// The test only proves something if both outcomes are common.
			if rate := float64(matches) / float64(checks); rate < 0.02 || rate > 0.8 {
				t.Fatalf("match rate %.3f: the generator is not exercising the matcher", rate)
			}
			for id := range patterns {
				m.Remove(id)
			}
			if m.Len() != 0 || len(m.root.edges) != 0 || len(m.root.children) != 0 || m.root.values.size != 0 || len(m.always) != 0 {
				t.Fatalf("index not empty after removing everything: %+v", m.root)
			}
		})
	}
}

func describe(patterns map[string]*Pattern, got, want []string) string {
	var b strings.Builder
	for _, id := range append(slices.Clone(got), want...) {
		if slices.Contains(got, id) != slices.Contains(want, id) {
			fmt.Fprintf(&b, "%s: %s\n", id, dumpClauses(patterns[id]))
		}
	}
	return b.String()
}

func dumpClauses(p *Pattern) string {
	var parts []string
	for _, cl := range p.clauses {
		var conds []string
		for _, lc := range cl {
			conds = append(conds, fmt.Sprintf("%s(%d preds, absent=%v)", strings.Join(lc.path, "."), len(lc.cond.preds), lc.cond.matchAbsent))
		}
		parts = append(parts, strings.Join(conds, " & "))
	}
	return strings.Join(parts, " | ")
}

func mustCompile(t testing.TB, raw string) *Pattern {
	t.Helper()
	p, err := Compile([]byte(raw))
	if err != nil {
		t.Fatalf("Compile(%s): %v", raw, err)
	}
	return p
}

// TestMatcherOnlyChecksCandidates proves that Match does not try every
// pattern: with thousands of selective patterns, only a handful are
// confirmed per event.
func TestMatcherOnlyChecksCandidates(t *testing.T) {
	m := NewMatcher()
	for i := range 3000 {
		var raw string
		switch i % 6 {
		case 0:
			raw = fmt.Sprintf(`{"type": ["order.created"], "data": {"customer_id": ["c-%d"]}}`, i)
		case 1:
			raw = fmt.Sprintf(`{"subject": [{"prefix": "orders/c-%d/"}]}`, i)
		case 2:
			raw = fmt.Sprintf(`{"type": ["order.created"], "data": {"amount": [{"numeric": [">=", %d, "<", %d]}]}}`, i*10, i*10+10)
		case 3:
			raw = fmt.Sprintf(`{"data": {"customer_id": [{"equals-ignore-case": "C-%d"}]}, "severity": [{"anything-but": "debug"}]}`, i-3)
		case 4:
			raw = fmt.Sprintf(`{"$or": [{"data": {"customer_id": ["c-%d"]}}, {"subject": [{"suffix": "/ord-%d"}]}]}`, i, i)
		default:
			raw = fmt.Sprintf(`{"source": [{"wildcard": "shop-%d/*"}], "data": {"ip": [{"cidr": "10.%d.0.0/16"}]}}`, i, i%256)
		}
		m.Add(fmt.Sprint(i), mustCompile(t, raw))
	}
	event := map[string]any{
		"type": "order.created", "source": "shop-5/api", "subject": "orders/c-1/ord-4", "severity": "info",
		"data": map[string]any{"customer_id": "c-0", "amount": json.Number("25"), "ip": "10.5.1.1"},
	}
	sc := m.collect(event)
	candidates := len(sc.candidates)
	m.scratch.Put(sc)
	got := m.Match(event, nil)
	slices.Sort(got)
	want := []string{"0", "1", "2", "3", "4", "5"}
	if !slices.Equal(got, want) {
		t.Fatalf("Match = %v, want %v", got, want)
	}
	if candidates > 30 {
		t.Fatalf("%d candidates confirmed for %d matches among %d patterns; the index is not selective", candidates, len(got), m.Len())
	}
}

func TestMatcherAddReplacesAndRemove(t *testing.T) {
	m := NewMatcher()
	ev := map[string]any{"type": "a", "n": 1.0}
	m.Add("s", mustCompile(t, `{"type": ["a"]}`))
	m.Add("s", mustCompile(t, `{"type": ["b"]}`))
	if m.Len() != 1 {
		t.Fatalf("Len = %d after replacing, want 1", m.Len())
	}
	if got := m.Match(ev, nil); len(got) != 0 {
		t.Fatalf("replaced pattern still matches: %v", got)
	}
	m.Add("all", nil)
	m.Add("zero", &Pattern{})
	m.Add("absent", mustCompile(t, `{"missing": [{"exists": false}]}`))
	dst := m.Match(ev, []string{"keep"})
	slices.Sort(dst)
	if want := []string{"absent", "all", "keep", "zero"}; !slices.Equal(dst, want) {
		t.Fatalf("Match = %v, want %v", dst, want)
	}
	m.Remove("all")
	m.Remove("zero")
	m.Remove("absent")
	m.Remove("s")
	m.Remove("never-added")
	if m.Len() != 0 || len(m.Match(ev, nil)) != 0 {
		t.Fatal("matcher should be empty")
	}
	var zero Matcher
	if got := zero.Match(ev, nil); got != nil {
		t.Fatalf("zero Matcher matched %v", got)
	}
}

func TestMatcherConcurrentMatch(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(7, 7))}
	m := NewMatcher()
	patterns := map[string]*Pattern{}
	for i := range 300 {
		id := fmt.Sprint(i)
		patterns[id] = g.pattern()
		m.Add(id, patterns[id])
	}
	events := make([]map[string]any, 200)
	for i := range events {
		events[i] = g.event()
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, ev := range events {
				got := m.Match(ev, nil)
				slices.Sort(got)
				if want := loopMatch(patterns, ev); !slices.Equal(got, want) {
					t.Errorf("concurrent Match = %v, want %v", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
