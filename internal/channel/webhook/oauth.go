package webhook

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenCache holds one subscription's OAuth2 client-credentials token
// until it expires or the endpoint refuses it. It is a token source of
// its own rather than oauth2.ReuseTokenSource so that each fetch is bound
// by the delivery's context and a refused token can be dropped.
type tokenCache struct {
	config clientcredentials.Config
	client *http.Client // guarded (or proxied), never following redirects

	mu    sync.Mutex
	token *oauth2.Token
}

// tokens returns the token cache of a subscription; changed settings
// (another secret, another endpoint) get a new one.
func (s *Sender) tokens(subscriptionID string, a *Auth) *tokenCache {
	c, _ := s.tokenCaches.get(subscriptionID, fingerprint(a.TokenURL, a.ClientID, a.ClientSecret, a.Scope), func() (*tokenCache, error) {
		return &tokenCache{
			config: clientcredentials.Config{ClientID: a.ClientID, ClientSecret: a.ClientSecret, TokenURL: a.TokenURL, Scopes: strings.Fields(a.Scope)},
			client: s.shared,
		}, nil
	})
	return c
}

// get returns the cached token while it is valid (oauth2 counts one as
// expired 10 s early), or fetches a new one. Concurrent deliveries wait
// for a single fetch.
func (c *tokenCache) get(ctx context.Context) (*oauth2.Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token.Valid() {
		return c.token, nil
	}
	tok, err := c.config.Token(context.WithValue(ctx, oauth2.HTTPClient, c.client))
	if err != nil {
		return nil, fmt.Errorf("OAuth2 token endpoint %s failed: %w", c.config.TokenURL, err)
	}
	c.token = tok
	return tok, nil
}

// drop forgets tok if it is still the cached one, so that many deliveries
// refused with the same token lead to a single new fetch.
func (c *tokenCache) drop(tok *oauth2.Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = nil
	}
}
