package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// replayColumns reads a replay with the counts of its deliveries.
const replayColumns = `r.id, r.subscription_id, r.from_at, r.to_at, r.filter, r.status, r.cursor, r.up_to, r.matched, r.created, r.created_at, r.updated_at,
	(SELECT count(*) FROM deliveries d WHERE d.replay_id = r.id AND d.status = 'succeeded'),
	(SELECT count(*) FROM deliveries d WHERE d.replay_id = r.id AND d.status IN ('pending', 'failed'))`

func (s *Store) CreateReplay(ctx context.Context, r *event.Replay) error {
	filter, err := json.Marshal(r.Filter())
	if err != nil {
		return err
	}
	return s.w.QueryRowContext(ctx, `INSERT INTO replays (id, subscription_id, from_at, to_at, filter, status, up_to, created_at, updated_at)
		SELECT ?, ?, ?, ?, ?, ?, coalesce(max(seq), 0), ?, ? FROM events RETURNING up_to`,
		r.ID, r.SubscriptionID, micros(r.From), micros(r.To), filter, r.Status, micros(r.CreatedAt), micros(r.UpdatedAt)).Scan(&r.UpTo)
}

func (s *Store) GetReplay(ctx context.Context, id string) (*event.Replay, error) {
	return scanReplay(s.r.QueryRowContext(ctx, `SELECT `+replayColumns+` FROM replays r WHERE r.id = ?`, id))
}

func (s *Store) ListReplays(ctx context.Context, q store.ReplayQuery) ([]*event.Replay, string, error) {
	after, err := store.DecodeCursor(q.After)
	if err != nil {
		return nil, "", err
	}
	if after == "" {
		after = "\xff"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+replayColumns+` FROM replays r JOIN subscriptions s ON s.id = r.subscription_id
		WHERE r.id < ?1 AND (?2 = '' OR s.partner_id = ?2) ORDER BY r.id DESC LIMIT ?3`, after, q.PartnerID, q.N()+1)
	if err != nil {
		return nil, "", err
	}
	out, err := collect(rows, scanReplay)
	if err != nil {
		return nil, "", err
	}
	out, next := store.CutPage(out, q.N(), func(r *event.Replay) string { return r.ID })
	return out, next, nil
}

func (s *Store) RunningReplays(ctx context.Context) ([]*event.Replay, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+replayColumns+` FROM replays r WHERE r.status = 'running' ORDER BY r.id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanReplay)
}

// ReplayPage walks events by seq from the cursor; seq is the primary key,
// so a page costs the events walked, never the whole table.
func (s *Store) ReplayPage(ctx context.Context, r *event.Replay, limit int) ([]store.Archived, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, id, type, envelope FROM events
		WHERE seq > ? AND seq <= ? AND received_at >= ? AND received_at < ? ORDER BY seq LIMIT ?`,
		r.Cursor, r.UpTo, micros(r.From), micros(r.To), limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row scanner) (store.Archived, error) {
		var a store.Archived
		err := row.Scan(&a.Seq, &a.ID, &a.Type, &a.Envelope)
		return a, err
	})
}

func (s *Store) AdvanceReplay(ctx context.Context, r *event.Replay, cursor int64, matched int, deliveries []*event.Delivery, done bool, now time.Time) error {
	status := r.Status
	if done {
		status = event.ReplayDone
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		err := checkAffected(tx.ExecContext(ctx, `UPDATE replays SET cursor = ?, matched = matched + ?, created = created + ?, status = ?, updated_at = ?
			WHERE id = ? AND status = 'running' AND cursor = ?`, cursor, matched, len(deliveries), status, micros(now), r.ID, r.Cursor))
		if err != nil {
			return store.ErrConflict // cancelled, or advanced by another node
		}
		var subStatus string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM subscriptions WHERE id = ?`, r.SubscriptionID).Scan(&subStatus); err != nil {
			return notFound(err)
		}
		var due any // parked while the subscription is not active
		if subStatus == string(event.Active) {
			due = micros(now)
		}
		args := make([]any, 0, 9*len(deliveries))
		for _, d := range deliveries {
			args = append(args, d.ID, d.EventID, d.SubscriptionID, micros(now), due, micros(now), micros(now), r.ID, d.Pull)
		}
		return s.insertRows(ctx, tx, `INSERT INTO deliveries (id, event_id, subscription_id, status, cycle_start, due_at, created_at, updated_at, replay_id, pull)`,
			`(?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)`, ``, args)
	})
}

func (s *Store) CancelReplay(ctx context.Context, id string, now time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE replays SET status = 'cancelled', updated_at = ? WHERE id = ? AND status = 'running'`, micros(now), id)
	if err := checkAffected(res, err); err != nil {
		if _, getErr := s.GetReplay(ctx, id); getErr != nil {
			return getErr
		}
		return store.ErrConflict
	}
	return nil
}

func scanReplay(row scanner) (*event.Replay, error) {
	var r event.Replay
	var from, to, created, updated int64
	var filter []byte
	if err := row.Scan(&r.ID, &r.SubscriptionID, &from, &to, &filter, &r.Status, &r.Cursor, &r.UpTo, &r.Matched, &r.Created, &created, &updated,
		&r.Delivered, &r.Pending); err != nil {
		return nil, notFound(err)
	}
	var f event.Filter
	if err := json.Unmarshal(filter, &f); err != nil {
		return nil, err
	}
	r.EventTypes, r.Pattern = f.EventTypes, f.Pattern
	r.From, r.To, r.CreatedAt, r.UpdatedAt = fromMicros(from), fromMicros(to), fromMicros(created), fromMicros(updated)
	return &r, nil
}
