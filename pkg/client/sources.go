package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"time"
)

// Locator says where a value comes from: exactly one of a fixed Value, a
// request header (FromHeader) or a member of the body (FromPath, $.a.b).
type Locator struct {
	Value      string
	FromHeader string
	FromPath   string
}

// MarshalJSON writes a fixed value as a string, the others as objects.
func (l Locator) MarshalJSON() ([]byte, error) {
	switch {
	case l.FromHeader != "":
		return json.Marshal(map[string]string{"from_header": l.FromHeader})
	case l.FromPath != "":
		return json.Marshal(map[string]string{"from_path": l.FromPath})
	}
	return json.Marshal(l.Value)
}

// UnmarshalJSON reads either form.
func (l *Locator) UnmarshalJSON(b []byte) error {
	*l = Locator{}
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &l.Value)
	}
	var from struct {
		Header string `json:"from_header"`
		Path   string `json:"from_path"`
	}
	err := json.Unmarshal(b, &from)
	l.FromHeader, l.FromPath = from.Header, from.Path
	return err
}

// SourceVerify is how a source checks what providers post: type hmac
// (Header, Algorithm, Encoding, Prefix) or standard-webhooks.
type SourceVerify struct {
	Type      string `json:"type,omitempty"`
	Header    string `json:"header,omitempty"`
	Algorithm string `json:"algorithm,omitempty"` // sha256 (default), sha1, sha512
	Encoding  string `json:"encoding,omitempty"`  // hex (default), base64
	Prefix    string `json:"prefix,omitempty"`
	// Secret is sent when creating a source and never answered.
	Secret string `json:"secret,omitempty"`
}

// SourceInput creates a source. Dedupe, if set, must not be a fixed value.
type SourceInput struct {
	Name      string       `json:"name"`
	Verify    SourceVerify `json:"verify"`
	EventType Locator      `json:"event_type"`
	Dedupe    *Locator     `json:"dedupe,omitempty"`
}

// Source is an inbound endpoint for a provider's plain webhooks.
type Source struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Verify    SourceVerify `json:"verify"`
	EventType Locator      `json:"event_type"`
	Dedupe    *Locator     `json:"dedupe,omitempty"`
	Counts    struct {
		Accepted   int64 `json:"accepted"`
		Duplicates int64 `json:"duplicates"`
		Rejected   int64 `json:"rejected"` // failed verification or too old
		Invalid    int64 `json:"invalid"`  // verified, but no event could be made of it
	} `json:"counts"`
	IngestPath string    `json:"ingest_path"` // where the provider posts
	CreatedAt  time.Time `json:"created_at"`
}

// SourcePatch changes a source at the same ingest URL: fields set replace
// the stored ones. In Verify, the fields given replace (a new Type starts
// afresh); a new Secret is a rotation, the old one verifying beside it for
// SecretOverlap (default 24h).
type SourcePatch struct {
	Name          *string       `json:"name,omitempty"`
	Verify        *SourceVerify `json:"verify,omitempty"`
	EventType     *Locator      `json:"event_type,omitempty"`
	Dedupe        *Locator      `json:"dedupe,omitempty"`
	RemoveDedupe  bool          `json:"-"`
	SecretOverlap *Duration     `json:"secret_overlap,omitempty"`
}

// MarshalJSON sends dedupe null when RemoveDedupe is set.
func (p SourcePatch) MarshalJSON() ([]byte, error) {
	type fields SourcePatch
	if !p.RemoveDedupe {
		return json.Marshal(fields(p))
	}
	return json.Marshal(struct {
		fields
		Dedupe *Locator `json:"dedupe"`
	}{fields: fields(p)})
}

const sources = "/v1/sources"

// CreateSource creates a source; its IngestPath is where the provider posts.
func (c *Client) CreateSource(ctx context.Context, in SourceInput) (*Source, error) {
	var s Source
	_, err := c.do(ctx, request{method: http.MethodPost, path: sources, body: in, want: http.StatusCreated}, &s)
	return done(&s, err)
}

// ListSources answers one page of sources, newest first.
func (c *Client) ListSources(ctx context.Context, opts ListOptions) (*Page[Source], error) {
	return list[Source](ctx, c, sources, opts.query())
}

// AllSources iterates over every source, across pages.
func (c *Client) AllSources(ctx context.Context, opts ListOptions) iter.Seq2[Source, error] {
	return all(ctx, opts.After, func(ctx context.Context, after string) (*Page[Source], error) {
		opts.After = after
		return c.ListSources(ctx, opts)
	})
}

// GetSource answers a source with its counts.
func (c *Client) GetSource(ctx context.Context, id string) (*Source, error) {
	var s Source
	_, err := c.do(ctx, request{method: http.MethodGet, path: pathOf(sources, id), want: http.StatusOK}, &s)
	return done(&s, err)
}

// PatchSource changes a source and answers it changed.
func (c *Client) PatchSource(ctx context.Context, id string, patch SourcePatch) (*Source, error) {
	var s Source
	_, err := c.do(ctx, request{method: http.MethodPatch, path: pathOf(sources, id), body: patch, want: http.StatusOK}, &s)
	return done(&s, err)
}

// DeleteSource deletes a source; its ingest URL answers 404 from then on.
func (c *Client) DeleteSource(ctx context.Context, id string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: pathOf(sources, id), want: http.StatusNoContent}, nil)
	return err
}

// Ingest posts body to a source's ingest URL as its provider would, with
// the provider's headers (its signature); the signature is the
// authentication, so the client's key is not sent.
func (c *Client) Ingest(ctx context.Context, sourceID string, body []byte, header http.Header) (*Published, error) {
	anonymous := *c
	anonymous.key = ""
	var p Published
	h, err := anonymous.do(ctx, request{method: http.MethodPost, path: pathOf("/ingest", sourceID), header: header, body: body, want: http.StatusAccepted}, &p)
	if err != nil {
		return nil, err
	}
	p.Replayed = h.Get("Idempotent-Replayed") == "true"
	return &p, nil
}
