package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventgate/eventgate/internal/store"
)

const auditColumns = `id, at, actor_key_id, actor_role, actor_partner_id, action, target_id, before, after`

func (s *Store) AppendAudit(ctx context.Context, e *store.AuditEntry) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO audit_log (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.ID, e.Time, e.ActorKeyID, e.ActorRole, e.ActorPartnerID, e.Action, e.TargetID, nullJSON(e.Before), nullJSON(e.After))
	return err
}

func (s *Store) ListAudit(ctx context.Context, q store.AuditQuery) ([]*store.AuditEntry, string, error) {
	after, err := store.DecodeCursor(q.After)
	if err != nil {
		return nil, "", err
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_log
		WHERE ($1 = '' OR id < $1) AND ($2 = '' OR actor_key_id = $2) AND ($3 = '' OR target_id = $3) AND ($4 = '' OR action = $4)
		ORDER BY id DESC LIMIT $5`, after, q.ActorKeyID, q.TargetID, q.Action, q.N()+1)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.AuditEntry, error) {
		var e store.AuditEntry
		var before, after []byte
		err := row.Scan(&e.ID, &e.Time, &e.ActorKeyID, &e.ActorRole, &e.ActorPartnerID, &e.Action, &e.TargetID, &before, &after)
		e.Time, e.Before, e.After = e.Time.UTC(), before, after
		return &e, err
	})
	if err != nil {
		return nil, "", err
	}
	out, next := store.CutPage(out, q.N(), func(e *store.AuditEntry) string { return e.ID })
	return out, next, nil
}

func (s *Store) PruneAudit(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM audit_log WHERE id IN (
		SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2)`, before, limit)
	return int(tag.RowsAffected()), err
}

// nullJSON stores an absent document as NULL; a present one is sent as
// text, which jsonb parses.
func nullJSON(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}
