package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// quotaReason starts the status reason of a subscription paused by its
// partner's monthly quota, so that the next month resumes only those.
const quotaReason = "monthly delivery quota reached"

// MonthStart is the first instant of t's month, UTC: quotas count from it.
func MonthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// MonthlyDelivered counts a partner's deliveries since the month began.
func (g *Gateway) MonthlyDelivered(ctx context.Context, partnerID string, now time.Time) (int64, error) {
	days, err := g.store.PartnerUsage(ctx, partnerID, MonthStart(now), now.Add(time.Hour))
	var n int64
	for _, d := range days {
		n += d.Delivered
	}
	return n, err
}

// ErrOverQuota refuses to resume a subscription whose partner used up its
// monthly deliveries: it would only be paused again.
var ErrOverQuota = errors.New("over quota")

// checkResume refuses to resume a partner's subscription while the partner
// is at its monthly delivery quota.
func (g *Gateway) checkResume(ctx context.Context, s *event.Subscription) error {
	if s.PartnerID == "" {
		return nil
	}
	delivered, limit, err := g.quota.usage(ctx, s.PartnerID, time.Now())
	if err != nil || limit == 0 || delivered < limit {
		return err
	}
	return fmt.Errorf("%w: the partner delivered %d of its %d monthly deliveries; the subscription resumes by itself next month, or when an administrator raises the partner's quotas.monthly_deliveries", ErrOverQuota, delivered, limit)
}

// EnforceQuotas pauses the subscriptions of partners that used up their
// monthly deliveries (deliveries wait, nothing is lost) and resumes them
// when a new month gives them room again.
func (g *Gateway) EnforceQuotas(ctx context.Context, now time.Time) error {
	for page := (store.Page{Limit: store.MaxLimit}); ; {
		partners, next, err := g.store.ListPartners(ctx, page)
		if err != nil {
			return err
		}
		for _, p := range partners {
			if err := g.enforceQuota(ctx, p, now); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		page.After = next
	}
}

func (g *Gateway) enforceQuota(ctx context.Context, p *event.Partner, now time.Time) error {
	var delivered int64
	if p.Quotas.MonthlyDeliveries > 0 {
		var err error
		if delivered, err = g.MonthlyDelivered(ctx, p.ID, now); err != nil {
			return err
		}
		delivered = max(delivered, g.quota.known(p.ID, now)) // recorded or not yet
	}
	over := p.Quotas.MonthlyDeliveries > 0 && delivered >= p.Quotas.MonthlyDeliveries
	for page := (store.SubscriptionQuery{PartnerID: p.ID, Page: store.Page{Limit: store.MaxLimit}}); ; {
		subs, next, err := g.store.ListSubscriptions(ctx, page)
		if err != nil {
			return err
		}
		for _, s := range subs {
			pausedByQuota := s.Status == event.Paused && strings.HasPrefix(s.StatusReason, quotaReason)
			switch {
			case over && s.Status == event.Active:
				reason := fmt.Sprintf("%s (%d of %d); deliveries wait until next month, or raise the partner's quotas.monthly_deliveries", quotaReason, delivered, p.Quotas.MonthlyDeliveries)
				if _, err := g.setStatus(ctx, s.ID, event.Paused, reason); err != nil {
					return err
				}
				slog.Warn("partner reached its monthly delivery quota; subscription paused", "partner", p.ID, "subscription", s.ID)
			case !over && pausedByQuota:
				if _, err := g.setStatus(ctx, s.ID, event.Active, ""); err != nil {
					return err
				}
			}
		}
		if next == "" {
			return nil
		}
		page.After = next
	}
}
