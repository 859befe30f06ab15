package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// AppendEvents costs at most two round trips: one query looks up the
// idempotency keys and client ids of the whole batch, and one batch of
// unnest-based inserts stores what is new, as one implicit transaction.
// Unique constraints catch a concurrent append of the same key or id between
// the two; the batch then rolls back and starts over, and the lookup finds it.
func (s *Store) AppendEvents(ctx context.Context, lease store.Lease, entries []*store.Append) error {
	var dups []string
	err := retryRaces(func() (err error) {
		dups, err = s.appendOnce(ctx, lease, entries)
		return err
	})
	if err != nil {
		return err
	}
	for i, a := range entries {
		a.DuplicateOf = dups[i]
	}
	return nil
}

// routedAt is the lowest RoutedAt of entries, or nil when none has one.
func routedAt(entries []*store.Append) *int64 {
	var low *int64
	for _, a := range entries {
		if a.RoutedAt != nil && (low == nil || *a.RoutedAt < *low) {
			low = a.RoutedAt
		}
	}
	return low
}

// errStaleRouting is the SQLSTATE check_routing raises (migration 0006).
const errStaleRouting = "EG001"

// appendOnce stores what is new in entries and returns, for each entry, the
// id of the event it repeats, or "".
func (s *Store) appendOnce(ctx context.Context, lease store.Lease, entries []*store.Append) ([]string, error) {
	now := time.Now()
	windowStart := now.Add(-store.IdempotencyWindow)
	keys, ids, err := s.storedOriginals(ctx, entries, windowStart)
	if err != nil {
		return nil, err
	}
	// Decide entry by entry, in order, so that a repeat within the batch is a
	// duplicate of the first entry, exactly as if they came one by one.
	var ev eventRows
	var dl deliveryRows
	var ik keyRows
	dups := make([]string, len(entries))
	for i, a := range entries {
		a.IDTaken = false // set afresh: the append may be a second try
		if a.IdempotencyKey != "" {
			dups[i] = keys[a.IdempotencyKey]
		}
		if publisher, stored := ids[a.Event.ID]; dups[i] == "" && a.ClientID && stored {
			if publisher != a.Publisher {
				a.IDTaken = true
				continue
			}
			dups[i] = a.Event.ID
		}
		if dups[i] != "" {
			continue
		}
		ids[a.Event.ID] = a.Publisher
		ev.add(a)
		if a.IdempotencyKey != "" {
			keys[a.IdempotencyKey] = a.Event.ID
			ik.add(a.IdempotencyKey, a.Event.ID)
		}
		for _, d := range a.Deliveries {
			dl.add(d)
		}
	}
	if len(ev.id) == 0 {
		return dups, nil
	}
	b := &pgx.Batch{}
	if v := routedAt(entries); v != nil {
		// First, so that the whole batch rolls back when routing is stale:
		// one statement more, no round trip more.
		b.Queue(`SELECT check_routing($1)`, *v)
	}
	b.Queue(`INSERT INTO events (id, type, received_at, envelope, publisher, traceparent)
		SELECT id, type, $6, envelope, publisher, traceparent FROM unnest($1::text[], $2::text[], $3::bytea[], $4::int[], $5::text[], $7::text[]) AS e(id, type, envelope, n, publisher, traceparent) ORDER BY n`,
		ev.id, ev.typ, ev.envelope, ev.n, ev.publisher, now, ev.traceparent)
	if len(ik.key) > 0 {
		// An expired key is forgotten, so that the insert can take it again;
		// a key that is still fresh must have been stored concurrently: the
		// insert fails on it and the append starts over.
		b.Queue(`DELETE FROM idempotency_keys WHERE key = ANY($1) AND created_at <= $2`, ik.key, windowStart)
		b.Queue(`INSERT INTO idempotency_keys (key, event_id, created_at) SELECT key, event_id, $3 FROM unnest($1::text[], $2::text[]) AS k(key, event_id)`,
			ik.key, ik.eventID, now)
	}
	if len(dl.id) > 0 {
		// A subscription deleted between routing and this commit loses its
		// delivery instead of failing everyone's commit. One deleted after
		// this statement's snapshot fails the foreign key: a race, retried.
		// A pull delivery is visible at once and leased to nobody.
		b.Queue(`INSERT INTO deliveries (id, event_id, subscription_id, status, cycle_start, due_at, lease_owner, created_at, updated_at, pull)
			SELECT id, event_id, subscription_id, 'pending', created_at, CASE WHEN pull THEN created_at ELSE $5 END,
				CASE WHEN NOT pull THEN $6 END, created_at, created_at, pull
			FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $7::boolean[]) AS d(id, event_id, subscription_id, created_at, pull)
			WHERE EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = d.subscription_id)`,
			dl.id, dl.eventID, dl.subscriptionID, dl.createdAt, lease.Until, lease.Owner, dl.pull)
		// Sent on commit: long polls on every node wake (ListenPull).
		queuePullNotify(b, dl.pulledSubscriptions())
	}
	queueTypeCounts(b, ev.typ, now)
	err = s.sendBatch(ctx, b)
	if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == errStaleRouting {
		return nil, store.ErrStaleRouting
	}
	return dups, err
}

// storedOriginals finds, in one query, the fresh idempotency keys and the
// client-supplied event ids of entries that are already stored, with who
// published each id.
func (s *Store) storedOriginals(ctx context.Context, entries []*store.Append, windowStart time.Time) (keys map[string]string, ids map[string]string, err error) {
	keys, ids = map[string]string{}, map[string]string{}
	var wantKeys, wantIDs []string
	for _, a := range entries {
		if a.IdempotencyKey != "" {
			wantKeys = append(wantKeys, a.IdempotencyKey)
		}
		if a.ClientID {
			wantIDs = append(wantIDs, a.Event.ID)
		}
	}
	if len(wantKeys) == 0 && len(wantIDs) == 0 {
		return keys, ids, nil // ids the store made up cannot repeat: nothing to look up
	}
	rows, _ := s.pool.Query(ctx, `SELECT key, event_id, '' FROM idempotency_keys WHERE key = ANY($1) AND created_at > $2
		UNION ALL
		SELECT NULL, id, publisher FROM events WHERE id = ANY($3)`, wantKeys, windowStart, wantIDs)
	var key *string
	var id, publisher string
	_, err = pgx.ForEachRow(rows, []any{&key, &id, &publisher}, func() error {
		if key != nil {
			keys[*key] = id
		} else {
			ids[id] = publisher
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("look up idempotency keys: %w", err)
	}
	return keys, ids, nil
}

// eventRows, keyRows and deliveryRows gather a batch column by column, for unnest.
type eventRows struct {
	id, typ, publisher, traceparent []string
	envelope                        [][]byte
	n                               []int32
}

func (r *eventRows) add(a *store.Append) {
	r.id, r.typ = append(r.id, a.Event.ID), append(r.typ, a.Event.Type)
	r.envelope, r.n = append(r.envelope, a.Envelope), append(r.n, int32(len(r.n)))
	r.publisher, r.traceparent = append(r.publisher, a.Publisher), append(r.traceparent, a.TraceParent)
}

type keyRows struct{ key, eventID []string }

func (r *keyRows) add(key, eventID string) {
	r.key, r.eventID = append(r.key, key), append(r.eventID, eventID)
}

type deliveryRows struct {
	id, eventID, subscriptionID []string
	createdAt                   []time.Time
	pull                        []bool
}

// pulledSubscriptions lists, once each, the subscriptions of pull deliveries.
func (r *deliveryRows) pulledSubscriptions() []string {
	var out []string
	for i, pull := range r.pull {
		if pull && !slices.Contains(out, r.subscriptionID[i]) {
			out = append(out, r.subscriptionID[i])
		}
	}
	return out
}

func (r *deliveryRows) add(d *event.Delivery) {
	r.id, r.eventID, r.subscriptionID = append(r.id, d.ID), append(r.eventID, d.EventID), append(r.subscriptionID, d.SubscriptionID)
	r.createdAt, r.pull = append(r.createdAt, d.CreatedAt), append(r.pull, d.Pull)
}

func (s *Store) GetEvent(ctx context.Context, id string) (*event.Event, error) {
	var env []byte
	if err := s.pool.QueryRow(ctx, `SELECT envelope FROM events WHERE id = $1`, id).Scan(&env); err != nil {
		return nil, notFound(err)
	}
	return store.DecodeEnvelope(env)
}

func (s *Store) ListEvents(ctx context.Context, q store.EventQuery) ([]*event.Event, string, error) {
	after, err := store.DecodeSeqCursor(q.After)
	if err != nil {
		return nil, "", err
	}
	if after == 0 {
		after = math.MaxInt64
	}
	query := `SELECT seq, envelope FROM events WHERE seq < @after`
	args := pgx.NamedArgs{"after": after, "limit": q.N() + 1}
	if q.Type != "" {
		query += ` AND type = @type`
		args["type"] = q.Type
	}
	rows, _ := s.pool.Query(ctx, query+` ORDER BY seq DESC LIMIT @limit`, args)
	var out []*event.Event
	var seq, lastSeq int64
	var env []byte
	more := false
	_, err = pgx.ForEachRow(rows, []any{&seq, &env}, func() error {
		if len(out) == q.N() {
			more = true // the extra row asked for: there is a next page
			return nil
		}
		e, err := store.DecodeEnvelope(env)
		out, lastSeq = append(out, e), seq
		return err
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if more {
		next = store.EncodeCursor(strconv.FormatInt(lastSeq, 10))
	}
	return out, next, nil
}
