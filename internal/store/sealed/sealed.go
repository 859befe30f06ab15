// Package sealed wraps a store.Store so that the secrets it keeps
// (signing secrets, channel credentials, source verification secrets) are
// encrypted at rest. Everything above it sees plain values; the database,
// its backups and its replicas see only ciphertext.
package sealed

import (
	"context"
	"errors"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/secret"
	"github.com/eventgate/eventgate/internal/source"
	"github.com/eventgate/eventgate/internal/store"
)

// Store encrypts secrets on their way in and decrypts them on their way out.
type Store struct {
	store.Store
	box *secret.Box
}

// New wraps inner.
func New(inner store.Store, box *secret.Box) *Store {
	return &Store{Store: inner, box: box}
}

// ListenPull passes store.PullNotifier through, when the inner store is one.
func (st *Store) ListenPull(ctx context.Context, arrived func(subscriptionID string)) error {
	if n, ok := st.Store.(store.PullNotifier); ok {
		return n.ListenPull(ctx, arrived)
	}
	return errors.ErrUnsupported
}

// subscriptionSecrets points at every secret of a subscription.
func subscriptionSecrets(s *event.Subscription) []*string {
	out := s.Channel.SecretFields()
	for i := range s.Secrets {
		out = append(out, &s.Secrets[i].Value)
	}
	return out
}

// sealedCopy returns a copy of s with its secrets sealed; s is untouched,
// since callers keep using it (the router holds it).
func (st *Store) sealedCopy(s *event.Subscription) *event.Subscription {
	c := *s
	c.Channel = s.Channel.WithOwnSecrets()
	c.Secrets = append([]event.Secret(nil), s.Secrets...)
	for _, f := range subscriptionSecrets(&c) {
		*f = st.box.Seal(*f)
	}
	return &c
}

func (st *Store) open(subs ...*event.Subscription) error {
	for _, s := range subs {
		for _, f := range subscriptionSecrets(s) {
			plain, err := st.box.Open(*f)
			if err != nil {
				return err
			}
			*f = plain
		}
	}
	return nil
}

func (st *Store) CreateSubscription(ctx context.Context, s *event.Subscription) error {
	return st.Store.CreateSubscription(ctx, st.sealedCopy(s))
}

func (st *Store) UpdateSubscription(ctx context.Context, s *event.Subscription) error {
	return st.Store.UpdateSubscription(ctx, st.sealedCopy(s))
}

func (st *Store) GetSubscription(ctx context.Context, id string) (*event.Subscription, error) {
	s, err := st.Store.GetSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	return s, st.open(s)
}

func (st *Store) ListSubscriptions(ctx context.Context, q store.SubscriptionQuery) ([]*event.Subscription, string, error) {
	subs, next, err := st.Store.ListSubscriptions(ctx, q)
	if err != nil {
		return nil, "", err
	}
	return subs, next, st.open(subs...)
}

func (st *Store) AllSubscriptions(ctx context.Context) ([]*event.Subscription, error) {
	subs, err := st.Store.AllSubscriptions(ctx)
	if err != nil {
		return nil, err
	}
	return subs, st.open(subs...)
}

func (st *Store) CreateSource(ctx context.Context, s *source.Source) error {
	return st.Store.CreateSource(ctx, st.sealSource(s))
}

func (st *Store) UpdateSource(ctx context.Context, s *source.Source) error {
	return st.Store.UpdateSource(ctx, st.sealSource(s))
}

// sealSource returns a copy of s with its secrets sealed.
func (st *Store) sealSource(s *source.Source) *source.Source {
	c := *s
	c.Verify.Secret, c.Verify.PreviousSecret = st.box.Seal(s.Verify.Secret), st.box.Seal(s.Verify.PreviousSecret)
	return &c
}

// openSource opens s's secrets in place.
func (st *Store) openSource(s *source.Source) (err error) {
	if s.Verify.Secret, err = st.box.Open(s.Verify.Secret); err != nil {
		return err
	}
	s.Verify.PreviousSecret, err = st.box.Open(s.Verify.PreviousSecret)
	return err
}

func (st *Store) GetSource(ctx context.Context, id string) (*source.Source, error) {
	s, err := st.Store.GetSource(ctx, id)
	if err != nil {
		return nil, err
	}
	return s, st.openSource(s)
}

func (st *Store) ListSources(ctx context.Context, p store.Page) ([]*source.Source, string, error) {
	sources, next, err := st.Store.ListSources(ctx, p)
	if err != nil {
		return nil, "", err
	}
	for _, s := range sources {
		if err := st.openSource(s); err != nil {
			return nil, "", err
		}
	}
	return sources, next, nil
}
