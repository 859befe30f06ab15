package webhook

import (
	"context"
	"fmt"
	"net/http"

	"github.com/eventgate/eventgate/internal/event"
)

// authorize puts the credential of the subscription's channel.auth on
// req. For a fetched token it returns renew, which drops that token so
// that the next request fetches a fresh one; static credentials return nil,
// since sending them again cannot help.
func (s *Sender) authorize(ctx context.Context, req *http.Request, sub *event.Subscription, cfg *Config) (renew func(), err error) {
	a := cfg.Auth
	switch a.Type {
	case "":
	case AuthBasic:
		req.SetBasicAuth(a.Username, a.Password)
	case AuthAPIKey:
		req.Header.Set(a.Header, a.Value)
	case AuthBearer:
		req.Header.Set("Authorization", "Bearer "+a.Token)
	case AuthOAuth2:
		cache := s.tokens(sub.ID, &a)
		tok, err := cache.get(ctx)
		if err != nil {
			return nil, err
		}
		tok.SetAuthHeader(req)
		return func() { cache.drop(tok) }, nil
	default:
		return nil, fmt.Errorf("subscription %s: unknown channel.auth.type %q", sub.ID, a.Type)
	}
	return nil, nil
}
