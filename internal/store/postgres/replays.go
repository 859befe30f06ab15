package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

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
	return s.pool.QueryRow(ctx, `INSERT INTO replays (id, subscription_id, from_at, to_at, filter, status, up_to, created_at, updated_at)
		SELECT $1, $2, $3, $4, $5, $6, coalesce(max(seq), 0), $7, $8 FROM events RETURNING up_to`,
		r.ID, r.SubscriptionID, r.From, r.To, string(filter), r.Status, r.CreatedAt, r.UpdatedAt).Scan(&r.UpTo)
}

func (s *Store) GetReplay(ctx context.Context, id string) (*event.Replay, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+replayColumns+` FROM replays r WHERE r.id = $1`, id)
	r, err := pgx.CollectExactlyOneRow(rows, scanReplay)
	return r, notFound(err)
}

func (s *Store) ListReplays(ctx context.Context, q store.ReplayQuery) ([]*event.Replay, string, error) {
	after, err := store.DecodeCursor(q.After)
	if err != nil {
		return nil, "", err
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+replayColumns+` FROM replays r JOIN subscriptions s ON s.id = r.subscription_id
		WHERE ($1 = '' OR r.id < $1) AND ($2 = '' OR s.partner_id = $2) ORDER BY r.id DESC LIMIT $3`, after, q.PartnerID, q.N()+1)
	out, err := pgx.CollectRows(rows, scanReplay)
	if err != nil {
		return nil, "", err
	}
	out, next := store.CutPage(out, q.N(), func(r *event.Replay) string { return r.ID })
	return out, next, nil
}

func (s *Store) RunningReplays(ctx context.Context) ([]*event.Replay, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+replayColumns+` FROM replays r WHERE r.status = 'running' ORDER BY r.id`)
	return pgx.CollectRows(rows, scanReplay)
}

func (s *Store) ReplayPage(ctx context.Context, r *event.Replay, limit int) ([]store.Archived, error) {
	rows, _ := s.pool.Query(ctx, `SELECT seq, id, type, envelope FROM events
		WHERE seq > $1 AND seq <= $2 AND received_at >= $3 AND received_at < $4 ORDER BY seq LIMIT $5`,
		r.Cursor, r.UpTo, r.From, r.To, limit)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Archived, error) {
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
	ids := make([]string, len(deliveries))
	eventIDs := make([]string, len(deliveries))
	pull := false // one subscription's deliveries: all pulled, or none
	for i, d := range deliveries {
		ids[i], eventIDs[i] = d.ID, d.EventID
		pull = d.Pull
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkAffected(tx.Exec(ctx, `UPDATE replays SET cursor = $1, matched = matched + $2, created = created + $3, status = $4, updated_at = $5
			WHERE id = $6 AND status = 'running' AND cursor = $7`, cursor, matched, len(deliveries), status, now, r.ID, r.Cursor)); err != nil {
			return store.ErrConflict // cancelled, or advanced by another node
		}
		// Parked (no due time) while the subscription is not active.
		_, err := tx.Exec(ctx, `INSERT INTO deliveries (id, event_id, subscription_id, status, cycle_start, due_at, created_at, updated_at, replay_id, pull)
			SELECT d.id, d.event_id, s.id, 'pending', $3, CASE WHEN s.status = 'active' THEN $3::timestamptz END, $3, $3, $4, $6
			FROM unnest($1::text[], $2::text[]) AS d(id, event_id) JOIN subscriptions s ON s.id = $5`,
			ids, eventIDs, now, r.ID, r.SubscriptionID, pull)
		return err
	})
}

func (s *Store) CancelReplay(ctx context.Context, id string, now time.Time) error {
	if err := checkAffected(s.pool.Exec(ctx, `UPDATE replays SET status = 'cancelled', updated_at = $1 WHERE id = $2 AND status = 'running'`, now, id)); err != nil {
		if _, getErr := s.GetReplay(ctx, id); getErr != nil {
			return getErr
		}
		return store.ErrConflict
	}
	return nil
}

func scanReplay(row pgx.CollectableRow) (*event.Replay, error) {
	var r event.Replay
	var filter []byte
	if err := row.Scan(&r.ID, &r.SubscriptionID, &r.From, &r.To, &filter, &r.Status, &r.Cursor, &r.UpTo, &r.Matched, &r.Created, &r.CreatedAt, &r.UpdatedAt,
		&r.Delivered, &r.Pending); err != nil {
		return nil, err
	}
	var f event.Filter
	if err := json.Unmarshal(filter, &f); err != nil {
		return nil, err
	}
	r.EventTypes, r.Pattern = f.EventTypes, f.Pattern
	r.From, r.To, r.CreatedAt, r.UpdatedAt = r.From.UTC(), r.To.UTC(), r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return &r, nil
}
