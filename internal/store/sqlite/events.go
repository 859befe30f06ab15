package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

func (s *Store) AppendEvents(ctx context.Context, lease store.Lease, entries []*store.Append) error {
	err := s.appendEvents(ctx, lease, entries, false)
	if sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		// A subscription was deleted between routing and this commit: its
		// deliveries are dropped instead of failing everyone's commit.
		// Rare, so only then is each subscription checked.
		err = s.appendEvents(ctx, lease, entries, true)
	}
	return err
}

func (s *Store) appendEvents(ctx context.Context, lease store.Lease, entries []*store.Append, checkSubscriptions bool) error {
	now := time.Now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		findKey, err := s.prepared(ctx, tx, `SELECT event_id FROM idempotency_keys WHERE key = ? AND created_at > ?`)
		if err != nil {
			return err
		}
		findPublisher, err := s.prepared(ctx, tx, `SELECT publisher FROM events WHERE id = ?`)
		if err != nil {
			return err
		}
		insertKey, err := s.prepared(ctx, tx, `INSERT OR REPLACE INTO idempotency_keys (key, event_id, created_at) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		var subscribed map[string]bool
		if checkSubscriptions {
			if subscribed, err = s.existingSubscriptions(ctx, tx, entries); err != nil {
				return err
			}
		}
		windowStart := micros(now.Add(-store.IdempotencyWindow))
		typeCounts := map[string]int64{}
		// Events and deliveries are inserted together at the end, many
		// rows per statement; until then an event id given twice in this
		// group is caught here, not by the events table.
		eventRows := make([]any, 0, 5*len(entries))
		deliveryRows := make([]any, 0, 8*len(entries)) // most events have a delivery or none
		var clientIDs map[string]string                // publishers of the client ids in this group
		for _, a := range entries {
			a.DuplicateOf, a.IDTaken = "", false // set afresh: the append may be a second try
			if a.IdempotencyKey != "" {
				a.DuplicateOf, err = lookup(ctx, findKey, a.IdempotencyKey, windowStart)
				if err != nil {
					return err
				}
			}
			if a.DuplicateOf == "" && a.ClientID {
				publisher, stored := clientIDs[a.Event.ID]
				if !stored {
					if publisher, stored, err = storedPublisher(ctx, findPublisher, a.Event.ID); err != nil {
						return err
					}
				}
				switch {
				case !stored:
					if clientIDs == nil {
						clientIDs = map[string]string{}
					}
					clientIDs[a.Event.ID] = a.Publisher
				case publisher == a.Publisher:
					a.DuplicateOf = a.Event.ID
				default:
					a.IDTaken = true
				}
			}
			if a.DuplicateOf != "" || a.IDTaken {
				continue
			}
			eventRows = append(eventRows, a.Event.ID, a.Event.Type, micros(now), a.Envelope, a.Publisher, a.TraceParent)
			typeCounts[a.Event.Type]++
			if a.IdempotencyKey != "" {
				if _, err := insertKey.ExecContext(ctx, a.IdempotencyKey, a.Event.ID, micros(now)); err != nil {
					return err
				}
			}
			for _, d := range a.Deliveries {
				if checkSubscriptions && !subscribed[d.SubscriptionID] {
					continue
				}
				c := micros(d.CreatedAt)
				if d.Pull { // visible at once, leased to nobody
					deliveryRows = append(deliveryRows, d.ID, d.EventID, d.SubscriptionID, c, c, nil, c, c, true)
					continue
				}
				deliveryRows = append(deliveryRows, d.ID, d.EventID, d.SubscriptionID, c, micros(lease.Until), lease.Owner, c, c, false)
			}
		}
		if err := s.insertRows(ctx, tx, `INSERT INTO events (id, type, received_at, envelope, publisher, traceparent)`, `(?, ?, ?, ?, ?, ?)`, ``, eventRows); err != nil {
			return err
		}
		if err := s.insertRows(ctx, tx, `INSERT INTO deliveries (id, event_id, subscription_id, status, cycle_start, due_at, lease_owner, created_at, updated_at, pull)`,
			`(?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)`, ``, deliveryRows); err != nil {
			return err
		}
		return s.countEventTypes(ctx, tx, typeCounts, now)
	})
}

// sqliteCode is the extended result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// existingSubscriptions reports which of the subscriptions the entries'
// deliveries go to still exist, asking once for each.
func (s *Store) existingSubscriptions(ctx context.Context, tx *sql.Tx, entries []*store.Append) (map[string]bool, error) {
	find, err := s.prepared(ctx, tx, `SELECT id FROM subscriptions WHERE id = ?`)
	if err != nil {
		return nil, err
	}
	exists := map[string]bool{}
	for _, a := range entries {
		for _, d := range a.Deliveries {
			if _, asked := exists[d.SubscriptionID]; asked {
				continue
			}
			id, err := lookup(ctx, find, d.SubscriptionID)
			if err != nil {
				return nil, err
			}
			exists[d.SubscriptionID] = id != ""
		}
	}
	return exists, nil
}

// lookup returns the single string a query finds, or "" when it finds none.
func lookup(ctx context.Context, stmt *sql.Stmt, args ...any) (string, error) {
	var v string
	err := stmt.QueryRowContext(ctx, args...).Scan(&v)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return v, err
}

// storedPublisher returns who published the stored event id ("" when the
// gateway made the id up), and whether it is stored at all.
func storedPublisher(ctx context.Context, find *sql.Stmt, id string) (publisher string, stored bool, err error) {
	err = find.QueryRowContext(ctx, id).Scan(&publisher)
	if err == sql.ErrNoRows {
		return "", false, nil
	}
	return publisher, err == nil, err
}

func (s *Store) GetEvent(ctx context.Context, id string) (*event.Event, error) {
	var env []byte
	if err := s.r.QueryRowContext(ctx, `SELECT envelope FROM events WHERE id = ?`, id).Scan(&env); err != nil {
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
		after = 1<<63 - 1
	}
	query := `SELECT seq, envelope FROM events WHERE seq < ?`
	args := []any{after}
	if q.Type != "" {
		query += ` AND type = ?`
		args = append(args, q.Type)
	}
	query += ` ORDER BY seq DESC LIMIT ?`
	args = append(args, q.N()+1)
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*event.Event
	var lastSeq int64
	for rows.Next() {
		var env []byte
		if err := rows.Scan(&lastSeq, &env); err != nil {
			return nil, "", err
		}
		if len(out) == q.N() {
			// One row more than asked: there is a next page, starting after the last kept row.
			// The next page starts with that row: seq < lastSeq+1.
			return out, store.EncodeCursor(strconv.FormatInt(lastSeq+1, 10)), rows.Err()
		}
		e, err := store.DecodeEnvelope(env)
		if err != nil {
			return nil, "", err
		}
		out = append(out, e)
	}
	return out, "", rows.Err()
}
