package sqlite

import (
	"context"
	"time"

	"github.com/eventgate/eventgate/internal/store"
)

const auditColumns = `id, at, actor_key_id, actor_role, actor_partner_id, action, target_id, before, after`

func (s *Store) AppendAudit(ctx context.Context, e *store.AuditEntry) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit_log (`+auditColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, micros(e.Time), e.ActorKeyID, e.ActorRole, e.ActorPartnerID, e.Action, e.TargetID, nullJSON(e.Before), nullJSON(e.After))
	return err
}

func (s *Store) ListAudit(ctx context.Context, q store.AuditQuery) ([]*store.AuditEntry, string, error) {
	after, err := store.DecodeCursor(q.After)
	if err != nil {
		return nil, "", err
	}
	if after == "" {
		after = "\xff"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log
		WHERE id < ?1 AND (?2 = '' OR actor_key_id = ?2) AND (?3 = '' OR target_id = ?3) AND (?4 = '' OR action = ?4)
		ORDER BY id DESC LIMIT ?5`, after, q.ActorKeyID, q.TargetID, q.Action, q.N()+1)
	if err != nil {
		return nil, "", err
	}
	out, err := collect(rows, func(row scanner) (*store.AuditEntry, error) {
		var e store.AuditEntry
		var at int64
		var before, after []byte
		err := row.Scan(&e.ID, &at, &e.ActorKeyID, &e.ActorRole, &e.ActorPartnerID, &e.Action, &e.TargetID, &before, &after)
		e.Time, e.Before, e.After = fromMicros(at), before, after
		return &e, err
	})
	if err != nil {
		return nil, "", err
	}
	out, next := store.CutPage(out, q.N(), func(e *store.AuditEntry) string { return e.ID })
	return out, next, nil
}

func (s *Store) PruneAudit(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM audit_log WHERE id IN (
		SELECT id FROM audit_log WHERE at < ? ORDER BY at LIMIT ?)`, micros(before), limit)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// nullJSON stores an absent document as NULL.
func nullJSON(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}
