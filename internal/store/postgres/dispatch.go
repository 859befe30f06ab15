package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// ClaimDue leases due deliveries in one statement. SKIP LOCKED lets nodes
// claim side by side without waiting on each other's rows, and FOR UPDATE
// re-checks due_at on the latest version of a row another node changed
// meanwhile, so no delivery is claimed twice. The locking select runs once
// (an InitPlan), and "id = ANY(ARRAY(...))" keeps the update an index lookup
// even under a generic plan, which cannot know how small the limit is.
func (s *Store) ClaimDue(ctx context.Context, lease store.Lease, now time.Time, limit int) ([]*store.Job, error) {
	rows, _ := s.pool.Query(ctx, `WITH claimed AS (
			UPDATE deliveries SET lease_owner = @owner, due_at = @until
			WHERE id = ANY (ARRAY(
				SELECT id FROM deliveries
				WHERE due_at <= @now AND NOT pull
				ORDER BY due_at
				LIMIT @limit
				FOR UPDATE SKIP LOCKED))
			RETURNING id, event_id, subscription_id, attempts, cycle_attempts, cycle_start
		)
		SELECT c.id, c.event_id, c.subscription_id, c.attempts, c.cycle_attempts, c.cycle_start, e.envelope, e.traceparent
		FROM claimed c JOIN events e ON e.id = c.event_id`,
		pgx.NamedArgs{"now": now, "limit": limit, "owner": lease.Owner, "until": lease.Until})
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Job, error) {
		var j store.Job
		err := row.Scan(&j.DeliveryID, &j.EventID, &j.SubscriptionID, &j.Attempts, &j.CycleAttempts, &j.CycleStart, &j.Envelope, &j.TraceParent)
		return &j, err
	})
}

func (s *Store) Envelopes(ctx context.Context, eventIDs []string) (map[string][]byte, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, envelope FROM events WHERE id = ANY ($1)`, eventIDs)
	out := make(map[string][]byte, len(eventIDs))
	var id string
	var env []byte
	_, err := pgx.ForEachRow(rows, []any{&id, &env}, func() error {
		out[id] = env
		return nil
	})
	return out, err
}

func (s *Store) ExtendLeases(ctx context.Context, lease store.Lease) error {
	_, err := s.pool.Exec(ctx, `UPDATE deliveries SET due_at = $1 WHERE lease_owner = $2 AND due_at IS NOT NULL`, lease.Until, lease.Owner)
	return err
}

func (s *Store) ReleaseAllLeases(ctx context.Context, now time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE deliveries d SET lease_owner = NULL, due_at = CASE WHEN `+sendsNow+` THEN $1::timestamptz END
		WHERE lease_owner IS NOT NULL`, now)
	return err
}

// Settle writes all outcomes in one round trip: one insert for the attempts,
// one update for the tried deliveries and one for the released ones, as one
// implicit transaction. An outcome for a delivery the owner no longer leases
// (another node took it over) records the attempt but leaves the delivery be;
// one for a delivery deleted meanwhile (with its subscription) is dropped.
// Settle may be repeated after an error that left unclear whether it
// committed: a repeat adds no attempt twice and, the leases being gone,
// changes nothing.
func (s *Store) Settle(ctx context.Context, owner string, outcomes []*store.Outcome) error {
	return retryRaces(func() error { return s.settleOnce(ctx, owner, outcomes) })
}

func (s *Store) settleOnce(ctx context.Context, owner string, outcomes []*store.Outcome) error {
	var tried triedRows
	var released releasedRows
	for _, o := range outcomes {
		if o.Attempt == nil {
			released.id, released.now = append(released.id, o.DeliveryID), append(released.now, o.Now)
		} else {
			tried.add(o)
		}
	}
	b := &pgx.Batch{}
	if len(tried.id) > 0 {
		// The update comes first: the attempts' foreign key check then finds
		// each delivery already locked by this transaction, and writes no
		// row lock of its own to the WAL. NOT EXISTS rather than ON CONFLICT
		// keeps the insert from being speculative, which costs WAL too.
		b.Queue(`UPDATE deliveries d SET status = o.status, attempts = d.attempts + 1, cycle_attempts = d.cycle_attempts + 1,
				last_error = o.error, last_status_code = o.status_code, due_at = o.due_at, lease_owner = NULL, updated_at = o.at
			FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[]) AS o(id, status, error, status_code, due_at, at)
			WHERE d.id = o.id AND d.lease_owner = $7`,
			tried.id, tried.status, tried.errText, tried.statusCode, tried.dueAt, tried.at, owner)
		b.Queue(`INSERT INTO attempts (id, delivery_id, at, status_code, latency_us, response_body, error)
			SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[], $5::bigint[], $6::text[], $7::text[])
				AS a(id, delivery_id, at, status_code, latency_us, response_body, error)
			WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id)
				AND NOT EXISTS (SELECT 1 FROM attempts p WHERE p.id = a.id)`,
			tried.attemptID, tried.id, tried.at, tried.statusCode, tried.latencyUs, tried.responseBody, tried.errText)
	}
	if len(released.id) > 0 {
		// A released delivery is due now, or parked if its subscription stopped sending meanwhile.
		b.Queue(`UPDATE deliveries d SET lease_owner = NULL, due_at = CASE WHEN `+sendsNow+` THEN r.now END
			FROM unnest($1::text[], $2::timestamptz[]) AS r(id, now)
			WHERE d.id = r.id AND d.lease_owner = $3`,
			released.id, released.now, owner)
	}
	if b.Len() == 0 {
		return nil
	}
	return s.sendBatch(ctx, b)
}

// triedRows and releasedRows gather outcomes column by column, for unnest.
type triedRows struct {
	id, attemptID, status, errText, responseBody []string
	statusCode                                   []int32
	latencyUs                                    []int64
	at                                           []time.Time
	dueAt                                        []*time.Time // the retry time of a failed delivery, else NULL
}

func (r *triedRows) add(o *store.Outcome) {
	a := o.Attempt
	var due *time.Time
	if o.Status == event.Failed {
		due = &o.NextAttemptAt
	}
	r.id, r.attemptID, r.status = append(r.id, o.DeliveryID), append(r.attemptID, a.ID), append(r.status, string(o.Status))
	r.errText, r.responseBody = append(r.errText, a.Error), append(r.responseBody, a.ResponseBody)
	r.statusCode, r.latencyUs = append(r.statusCode, int32(a.StatusCode)), append(r.latencyUs, a.Latency.Microseconds())
	r.at, r.dueAt = append(r.at, a.At), append(r.dueAt, due)
}

type releasedRows struct {
	id  []string
	now []time.Time
}
