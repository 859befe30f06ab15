package storetest

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

func testAudit(t *testing.T, s store.Store) {
	old := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Microsecond)
	entries := []*store.AuditEntry{
		{Time: old, ActorKeyID: "key_a", ActorRole: "admin", Action: "partner.create", TargetID: "ptn_1", After: json.RawMessage(`{"name":"Acme"}`)},
		{ActorKeyID: "key_b", ActorRole: "partner", ActorPartnerID: "ptn_1", Action: "subscription.update", TargetID: "sub_1",
			Before: json.RawMessage(`{"name":"a"}`), After: json.RawMessage(`{"name":"b"}`)},
		{ActorKeyID: "key_a", ActorRole: "admin", Action: "subscription.delete", TargetID: "sub_1", Before: json.RawMessage(`{"name":"b"}`)},
	}
	for _, e := range entries {
		e.ID = event.NewID(event.PrefixAudit)
		if e.Time.IsZero() {
			e.Time = time.Now().UTC().Truncate(time.Microsecond)
		}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}
	list := func(q store.AuditQuery) []*store.AuditEntry {
		t.Helper()
		got, _, err := s.ListAudit(ctx, q)
		if err != nil {
			t.Fatalf("ListAudit(%+v): %v", q, err)
		}
		return got
	}
	all := list(store.AuditQuery{})
	if len(all) != 3 || all[0].ID != entries[2].ID || all[2].ID != entries[0].ID {
		t.Fatalf("ListAudit is not every entry newest first: %v", auditIDs(all))
	}
	got := all[1]
	if got.ActorPartnerID != "ptn_1" || got.ActorRole != "partner" || !got.Time.Equal(entries[1].Time) ||
		!jsonEqual(got.Before, entries[1].Before) || !jsonEqual(got.After, entries[1].After) {
		t.Fatalf("round trip changed the entry:\n got %+v\nwant %+v", got, entries[1])
	}
	if all[0].After != nil || all[2].Before != nil {
		t.Fatalf("an absent before or after reads back as %s / %s, want none", all[0].After, all[2].Before)
	}
	if got := list(store.AuditQuery{ActorKeyID: "key_a"}); len(got) != 2 {
		t.Fatalf("by actor: %v", auditIDs(got))
	}
	if got := list(store.AuditQuery{TargetID: "sub_1", Action: "subscription.update"}); len(got) != 1 || got[0].ID != entries[1].ID {
		t.Fatalf("by target and action: %v", auditIDs(got))
	}
	first, next, err := s.ListAudit(ctx, store.AuditQuery{Page: store.Page{Limit: 2}})
	if err != nil || len(first) != 2 || next == "" {
		t.Fatalf("first page: %v next %q err %v", auditIDs(first), next, err)
	}
	if rest := list(store.AuditQuery{Page: store.Page{Limit: 2, After: next}}); len(rest) != 1 || rest[0].ID != entries[0].ID {
		t.Fatalf("second page: %v", auditIDs(rest))
	}
	n, err := s.PruneAudit(ctx, time.Now().Add(-24*time.Hour), 10)
	if err != nil || n != 1 {
		t.Fatalf("PruneAudit = %d, %v; want the one old entry", n, err)
	}
	if got := list(store.AuditQuery{}); len(got) != 2 || got[1].ID != entries[1].ID {
		t.Fatalf("after pruning: %v", auditIDs(got))
	}
}

func auditIDs(es []*store.AuditEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Action+" "+e.TargetID)
	}
	return out
}

// jsonEqual compares documents as values: PostgreSQL's jsonb does not keep spacing.
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}
