package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/source"
	"github.com/eventgate/eventgate/internal/store"
)

// createSource stores src as a new source.
func createSource(t *testing.T, s store.Store, src *source.Source) *source.Source {
	t.Helper()
	src.ID, src.CreatedAt = event.NewID(event.PrefixSource), time.Now().UTC().Truncate(time.Microsecond)
	if err := s.CreateSource(ctx, src); err != nil {
		t.Fatalf("CreateSource: %v", err)
	}
	return src
}

func testSources(t *testing.T, s store.Store) {
	hmacVerify := source.Verify{Type: source.HMAC, Secret: "s3cr\u00e9t\x00bytes", Header: "x-hub-signature-256", Algorithm: "sha256", Encoding: "hex", Prefix: "sha256="}
	first := createSource(t, s, &source.Source{Name: "github", Verify: hmacVerify,
		EventType: source.Locator{Path: "$.type"}, Dedupe: &source.Locator{Header: "x-delivery"}})
	second := createSource(t, s, &source.Source{Name: "svix", EventType: source.Locator{Literal: "invoice.paid"},
		Verify: source.Verify{Type: source.StandardWebhooks, Secret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}})
	got, err := s.GetSource(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "github" || got.Verify != hmacVerify || got.EventType != first.EventType || got.Dedupe == nil || *got.Dedupe != *first.Dedupe ||
		!got.CreatedAt.Equal(first.CreatedAt) || got.Counts != (source.Counts{}) {
		t.Fatalf("round trip changed the source:\n got %+v\nwant %+v", got, first)
	}

	got, err = s.GetSource(ctx, second.ID)
	if err != nil || got.EventType.Literal != "invoice.paid" || got.Dedupe != nil || got.Verify != second.Verify {
		t.Fatalf("a literal event type and no dedupe read back as %+v, %v", got, err)
	}

	page, next, err := s.ListSources(ctx, store.Page{Limit: 1})
	if err != nil || len(page) != 1 || page[0].ID != second.ID || next == "" {
		t.Fatalf("first page: %v %q %v, want the newest source", page, next, err)
	}
	page, next, _ = s.ListSources(ctx, store.Page{Limit: 1, After: next})
	if len(page) != 1 || page[0].ID != first.ID || next != "" {
		t.Fatalf("second and last page: %v %q", page, next)
	}

	for _, c := range []source.Counts{{Accepted: 2, Duplicates: 1}, {Accepted: 1, Rejected: 3, Invalid: 4}} {
		if err := s.AddSourceCounts(ctx, first.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.GetSource(ctx, first.ID); got.Counts != (source.Counts{Accepted: 3, Duplicates: 1, Rejected: 3, Invalid: 4}) {
		t.Fatalf("counts add up to %+v", got.Counts)
	}
	if got, _ := s.GetSource(ctx, second.ID); got.Counts != (source.Counts{}) {
		t.Fatalf("counting one source changed another: %+v", got.Counts)
	}

	changed := *first
	changed.Name, changed.EventType, changed.Dedupe = "github org", source.Locator{Header: "x-github-event"}, nil
	changed.Verify.Rotate("n3w secret", time.Hour, time.Now())
	if err := s.UpdateSource(ctx, &changed); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetSource(ctx, first.ID)
	if err != nil || got.Name != "github org" || got.Verify != changed.Verify || got.Verify.PreviousSecret != hmacVerify.Secret ||
		got.EventType != changed.EventType || got.Dedupe != nil || !got.CreatedAt.Equal(first.CreatedAt) || got.Counts.Accepted != 3 {
		t.Fatalf("after UpdateSource: %+v, %v\nwant %+v with the counts kept", got, err, changed)
	}
	missing := changed
	missing.ID = event.NewID(event.PrefixSource)
	if err := s.UpdateSource(ctx, &missing); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateSource of no source: %v, want ErrNotFound", err)
	}

	if err := s.DeleteSource(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSource(ctx, first.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted source: %v, want ErrNotFound", err)
	}
	if err := s.DeleteSource(ctx, first.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if err := s.AddSourceCounts(ctx, first.ID, source.Counts{Accepted: 1}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("counting a deleted source: %v, want ErrNotFound", err)
	}
}
