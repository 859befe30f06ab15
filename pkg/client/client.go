// Package client is a Go client for eventgate's REST API (/v1/openapi.json).
//
// Every method sends one request with the client's API key and decodes the
// answer; an answer that is not a success comes back as an *Error carrying
// the RFC 9457 problem's fields. Answers 429 and 503 are retried, waiting as
// long as their Retry-After says, within bounds the options set. Lists are
// pages with a cursor; the All* methods iterate over every item across pages.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client talks to one gateway. It is safe for concurrent use.
type Client struct {
	base         string
	key          string
	http         *http.Client
	retries      int
	maxRetryWait time.Duration
}

// Option changes a Client's defaults.
type Option func(*Client)

// WithHTTPClient sends requests through hc (default: http.DefaultClient).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithRetries bounds how often a request answered 429 or 503 is sent again
// (default 3; 0 never retries) and the longest wait before each retry
// (default 30s): an answer asking for a longer wait is returned as the error.
func WithRetries(retries int, maxWait time.Duration) Option {
	return func(c *Client) { c.retries, c.maxRetryWait = retries, maxWait }
}

// New returns a client for the gateway at baseURL (such as
// http://127.0.0.1:8080) that authenticates with key.
func New(baseURL, key string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), key: key, http: http.DefaultClient, retries: 3, maxRetryWait: 30 * time.Second}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Error is an answer that is not a success: the RFC 9457 problem the
// gateway sent, or, when the answer was not one (a proxy's error page),
// its status with the start of its body as Detail.
type Error struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail"`
	Errors []FieldError `json:"errors,omitempty"`
	// RetryAfter is how long the answer asked to wait (429, 503), if it said.
	RetryAfter time.Duration `json:"-"`
}

// FieldError names one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("eventgate: %d %s: %s", e.Status, e.Title, e.Detail)
	for _, f := range e.Errors {
		msg += fmt.Sprintf("\n  %s: %s", f.Field, f.Message)
	}
	return msg
}

// IsNotFound reports whether err is an answer 404: the thing does not
// exist, or a partner key may not see it.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// request is one API call.
type request struct {
	method, path string
	query        url.Values
	header       http.Header
	body         any // marshalled as JSON unless []byte
	want         int // the success status
}

// do sends r, retrying 429 and 503, and decodes a success into out (if not nil).
func (c *Client) do(ctx context.Context, r request, out any) (http.Header, error) {
	var body []byte
	switch b := r.body.(type) {
	case nil:
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			return nil, err
		}
	}
	target := c.base + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	for attempt := 0; ; attempt++ {
		header, err := c.send(ctx, r, target, body, out)
		var apiErr *Error
		if !errors.As(err, &apiErr) || !retryable(apiErr.Status) || attempt >= c.retries {
			return header, err
		}
		wait := apiErr.RetryAfter
		if wait == 0 {
			wait = time.Second << attempt // 503 while shutting down says nothing
		}
		if wait > c.maxRetryWait {
			return header, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return header, ctx.Err()
		case <-t.C:
		}
	}
}

func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

func (c *Client) send(ctx context.Context, r request, target string, body []byte, out any) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, rd)
	if err != nil {
		return nil, err
	}
	for name, values := range r.header {
		req.Header[name] = values
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.Header, fmt.Errorf("eventgate: reading the answer to %s %s: %w", r.method, r.path, err)
	}
	if resp.StatusCode != r.want {
		return resp.Header, answerError(resp, answer)
	}
	if out == nil {
		return resp.Header, nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = answer
		return resp.Header, nil
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return resp.Header, fmt.Errorf("eventgate: decoding the answer to %s %s: %w", r.method, r.path, err)
	}
	return resp.Header, nil
}

// answerError makes an *Error of an answer that is not a success.
func answerError(resp *http.Response, body []byte) *Error {
	e := &Error{}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mediaType != "application/problem+json" || json.Unmarshal(body, e) != nil {
		e = &Error{Title: http.StatusText(resp.StatusCode), Detail: excerpt(body)}
	}
	e.Status = resp.StatusCode
	if e.Title == "" {
		e.Title = http.StatusText(resp.StatusCode)
	}
	e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	return e
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

func excerpt(body []byte) string {
	const most = 200
	s := strings.TrimSpace(string(body))
	if len(s) > most {
		s = s[:most] + "..."
	}
	if s == "" {
		return "(empty answer)"
	}
	return s
}

// Page is one page of a list, newest first. Next is the cursor of the
// following page (ListOptions.After), empty on the last.
type Page[T any] struct {
	Data []T    `json:"data"`
	Next string `json:"next"`
}

// UnmarshalJSON reads next, which is null on the last page.
func (p *Page[T]) UnmarshalJSON(b []byte) error {
	var raw struct {
		Data []T     `json:"data"`
		Next *string `json:"next"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	p.Data, p.Next = raw.Data, ""
	if raw.Next != nil {
		p.Next = *raw.Next
	}
	return nil
}

// ListOptions selects a page: at most Limit items (0: the gateway's
// default, 50; at most 500) after the cursor After.
type ListOptions struct {
	Limit int
	After string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.After != "" {
		q.Set("after", o.After)
	}
	return q
}

// list fetches one page of path.
func list[T any](ctx context.Context, c *Client, path string, q url.Values) (*Page[T], error) {
	var page Page[T]
	if _, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q, want: http.StatusOK}, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// all iterates over every item from the page fetch gives for a cursor,
// following Next; it yields an error once and stops when a page fails.
func all[T any](ctx context.Context, after string, fetch func(ctx context.Context, after string) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			page, err := fetch(ctx, after)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range page.Data {
				if !yield(item, nil) {
					return
				}
			}
			if page.Next == "" {
				return
			}
			after = page.Next
		}
	}
}

// pathOf joins path segments, escaping each id.
func pathOf(prefix string, ids ...string) string {
	p := prefix
	for _, id := range ids {
		p += "/" + url.PathEscape(id)
	}
	return p
}
