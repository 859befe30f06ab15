package gateway

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// Who may do what. Every exported operation takes the caller's principal
// and checks it here first. A partner gets store.ErrNotFound for what is
// not its own, as for what does not exist, so that it cannot learn other
// partners' ids; a publisher gets a *Forbidden.

// Forbidden is an operation the caller's role or grants do not allow; its
// message says who can allow it.
type Forbidden struct{ Reason string }

func (f *Forbidden) Error() string { return f.Reason }

// errPublishOnly refuses a publisher key anything but publishing.
var errPublishOnly = &Forbidden{"A publisher key may only publish events; use an admin or partner key."}

// ReservedSource is an event whose source names an origin that only the
// gateway stamps: partner/<id> on partners' events, source/<id> on events
// received through a source.
type ReservedSource struct{ Source string }

func (r *ReservedSource) Error() string {
	return fmt.Sprintf("source %q starts with a prefix reserved for events the gateway stamps (partner/ on partners' events, source/ on events received through a source); choose another source", r.Source)
}

// reservedSourcePrefixes are the origins the gateway stamps itself, which
// receivers are told to trust (docs/marketplace.md).
var reservedSourcePrefixes = []string{"partner/", "source/"}

// adminOnly lets administrators in.
func adminOnly(who auth.Principal) error {
	switch {
	case who.IsAdmin():
		return nil
	case who.IsPartner():
		return store.ErrNotFound
	}
	return errPublishOnly
}

// adminsAndPartners lets administrators in, and partners to their own things.
func adminsAndPartners(who auth.Principal) error {
	if who.IsAdmin() || who.IsPartner() {
		return nil
	}
	return errPublishOnly
}

// ownPartner checks that who may see partner id: an administrator any,
// a partner only itself.
func ownPartner(who auth.Principal, id string) error {
	if err := adminsAndPartners(who); err != nil {
		return err
	}
	if who.IsPartner() && who.PartnerID != id {
		return store.ErrNotFound
	}
	return nil
}

// ownSubscription loads a subscription who may touch.
func (g *Gateway) ownSubscription(ctx context.Context, who auth.Principal, id string) (*event.Subscription, error) {
	if err := adminsAndPartners(who); err != nil {
		return nil, err
	}
	sub, err := g.store.GetSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	if who.IsPartner() && sub.PartnerID != who.PartnerID {
		return nil, store.ErrNotFound
	}
	return sub, nil
}

// ownDelivery loads a delivery who may touch.
func (g *Gateway) ownDelivery(ctx context.Context, who auth.Principal, id string) (*event.Delivery, error) {
	if err := adminsAndPartners(who); err != nil {
		return nil, err
	}
	d, err := g.store.GetDelivery(ctx, id)
	if err != nil {
		return nil, err
	}
	if who.IsPartner() {
		if _, err := g.ownSubscription(ctx, who, d.SubscriptionID); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// checkPublish checks an event against who's grants, refuses sources only
// the gateway stamps, and stamps a partner's events with their origin so
// that receivers know who sent them.
func checkPublish(who auth.Principal, e *event.Event) error {
	if who.IsPartner() {
		e.Source = "partner/" + who.PartnerID
	} else {
		for _, prefix := range reservedSourcePrefixes {
			if strings.HasPrefix(e.Source, prefix) {
				return &ReservedSource{e.Source}
			}
		}
	}
	if who.MayPublish(e.Type) {
		return nil
	}
	granted := "no event types"
	if len(who.PublishTypes) > 0 {
		granted = strings.Join(who.PublishTypes, ", ")
	}
	return &Forbidden{"This key may publish " + granted + ", not " + e.Type + "; ask an administrator to grant it in the key's publish_types."}
}

// keyCacheTTL bounds how long a key revoked through another node keeps
// working here.
const keyCacheTTL = 10 * time.Second

// keys authenticates API keys and records their use.
type keys struct {
	cache auth.Cache

	touchMu sync.Mutex
	touched map[string]time.Time // when each key's last use was last recorded
}

// Authenticate returns the principal an API key's secret stands for, or
// auth.ErrUnauthenticated. It records the key's use at most once a minute,
// off the caller's path.
func (g *Gateway) Authenticate(ctx context.Context, secret string) (auth.Principal, error) {
	now := time.Now()
	k, err := g.keys.cache.Authenticate(ctx, g.store, secret, now)
	if err != nil {
		return auth.Principal{}, err
	}
	g.keys.touchMu.Lock()
	recent := now.Sub(g.keys.touched[k.ID]) < time.Minute
	if !recent {
		g.keys.touched[k.ID] = now
	}
	g.keys.touchMu.Unlock()
	if !recent {
		g.background.Go(func() { _ = g.store.TouchKey(context.Background(), k.ID, now.UTC()) }) // Shutdown waits for it
	}
	return auth.PrincipalOf(k), nil
}
