package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"golang.org/x/sync/semaphore"
)

// DefaultBodyMemory is how many bytes the request bodies being read or
// handled may hold at once, over all requests, unless configured.
const DefaultBodyMemory = 32 << 20

// MinBodyMemory leaves room for other requests beside a largest batch.
const MinBodyMemory = 2 * MaxBatchBody

// Reading a body: it starts with a buffer of firstRead bytes (or the
// announced length, when smaller) and doubles it as bytes arrive, so that
// a slow client that announces 8 MiB holds what it has sent, not 8 MiB.
// Doubling allocates about twice a large body in all: the price of not
// trusting Content-Length.
const firstRead = 16 << 10

// bodyWait is how long a request waits for the budget before it is
// answered 503: long enough for batches in flight to finish, short
// enough that a client learns soon that the gateway is overloaded.
const bodyWait = time.Second

// bodyBudget bounds the bytes that request bodies hold: a buffer is
// charged before it is allocated, and everything a request was charged
// is released when its handler returns. Buffers are not pooled, so a
// large one is garbage once its request is done.
type bodyBudget struct{ sem *semaphore.Weighted }

func newBodyBudget(bytes int64) *bodyBudget {
	return &bodyBudget{sem: semaphore.NewWeighted(bytes)}
}

// hold returns r with a body that charges its buffers to the budget, and
// the function that releases them, once the handler has returned. It
// leaves r itself alone: net/http looks at the type of its body to decide
// whether an unread rest must be discarded, or the connection closed.
func (b *bodyBudget) hold(r *http.Request) (*http.Request, func()) {
	if r.Body == nil || r.Body == http.NoBody {
		return r, func() {}
	}
	body := &heldBody{ReadCloser: r.Body, budget: b}
	copied := *r
	copied.Body = body
	return &copied, func() { b.sem.Release(body.held) }
}

// heldBody is a request body with what its reader was charged.
type heldBody struct {
	io.ReadCloser
	budget *bodyBudget
	held   int64
}

// errBodyMemory explains the 503 answered when the budget stays exhausted.
var errBodyMemory = newProblem(http.StatusServiceUnavailable, "overloaded",
	"The gateway is reading as many request bodies as its memory budget (--max-body-memory) allows; retry after the time in Retry-After.")

// charge takes n bytes from the budget, waiting at most bodyWait.
func (h *heldBody) charge(ctx context.Context, w http.ResponseWriter, n int64) error {
	if !h.budget.sem.TryAcquire(n) {
		ctx, cancel := context.WithTimeout(ctx, bodyWait)
		defer cancel()
		if err := h.budget.sem.Acquire(ctx, n); err != nil {
			w.Header().Set("Retry-After", fmt.Sprint(int(bodyWait/time.Second)))
			return errBodyMemory
		}
	}
	h.held += n
	return nil
}

// readBody reads a request body of at most limit bytes. Its buffer grows
// as bytes arrive, charged to the server's body budget (when the body
// came through Server.ServeHTTP), and never beyond the announced length
// while the client keeps to it.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	held, _ := r.Body.(*heldBody)
	src := http.MaxBytesReader(w, r.Body, limit)
	var buf []byte
	for {
		if len(buf) == cap(buf) {
			// One byte beyond what is expected, so that the read that
			// fills the body also sees its end.
			size := min(max(2*int64(cap(buf)), firstRead), limit+1)
			if announced := r.ContentLength + 1; announced > int64(cap(buf)) && announced < size {
				size = announced
			}
			if held != nil {
				if err := held.charge(r.Context(), w, size-int64(cap(buf))); err != nil {
					return nil, err
				}
			}
			grown := make([]byte, len(buf), size)
			copy(grown, buf)
			buf = grown
		}
		n, err := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return nil, err
		}
	}
}
