package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/ingest"
	"github.com/eventgate/eventgate/internal/jsonscan"
	"github.com/eventgate/eventgate/internal/store"
)

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type   string             `json:"type"`
	Title  string             `json:"title"`
	Status int                `json:"status"`
	Detail string             `json:"detail"`
	Errors []event.FieldError `json:"errors,omitempty"`
}

// problemBase prefixes problem type URIs; the fragment names the problem.
const problemBase = "https://eventgate.dev/problems/"

func notFoundProblem(r *http.Request) *Problem {
	return newProblem(http.StatusNotFound, "not-found", fmt.Sprintf("Nothing exists at %s; check the id (ids start with a prefix such as sub_, evt_ or dlv_).", r.URL.Path))
}

func newProblem(status int, kind, detail string) *Problem {
	return &Problem{Type: problemBase + kind, Title: http.StatusText(status), Status: status, Detail: detail}
}

func writeProblem(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// fail answers with the problem that err stands for.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, problemFor(r, err))
}

func problemFor(r *http.Request, err error) *Problem {
	var p *Problem
	var ve *event.ValidationError
	var forbidden *gateway.Forbidden
	var reserved *gateway.ReservedSource
	var strict *jsonscan.Error
	var refused *gateway.PullRefused
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &strict):
		return strictProblem(strict)
	case errors.As(err, &ve):
		p = newProblem(http.StatusUnprocessableEntity, "validation", "The request is well-formed JSON but some fields are invalid: "+ve.Error())
		p.Errors = ve.Fields
		return p
	case errors.Is(err, store.ErrNotFound):
		return notFoundProblem(r)
	case errors.Is(err, store.ErrConflict):
		return newProblem(http.StatusConflict, "conflict", err.Error()+".")
	case errors.Is(err, store.ErrBadCursor):
		return newProblem(http.StatusBadRequest, "bad-cursor", err.Error())
	case errors.As(err, &forbidden):
		return newProblem(http.StatusForbidden, "forbidden", forbidden.Reason)
	case errors.As(err, &reserved):
		p = newProblem(http.StatusBadRequest, "reserved-source", "The event's "+reserved.Error()+".")
		p.Errors = []event.FieldError{{Field: "source", Message: "must not start with partner/ or source/: the gateway stamps those on partners' events and on events received through a source"}}
		return p
	case errors.As(err, &refused):
		return newProblem(http.StatusConflict, "not-pullable", refused.Reason)
	case errors.Is(err, gateway.ErrOverQuota):
		return newProblem(http.StatusConflict, "over-quota", err.Error()+".")
	case errors.Is(err, gateway.ErrQuota):
		return newProblem(http.StatusForbidden, "quota-exceeded", err.Error()+".")
	case errors.Is(err, ingest.ErrIDTaken):
		return newProblem(http.StatusConflict, "id-taken", "An event with this id was published by another API key, so this one was not stored. Use ids that are unique to you (for example, prefixed with your name), or leave id out and the gateway assigns one.")
	case store.IsDiskFull(err):
		return newProblem(http.StatusInsufficientStorage, "disk-full", diskFullDetail+" Nothing was stored; retry once space is freed.")
	case errors.Is(err, ingest.ErrClosed):
		return newProblem(http.StatusServiceUnavailable, "shutting-down", err.Error())
	}
	slog.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return newProblem(http.StatusInternalServerError, "internal", "The gateway could not complete the request; nothing was changed unless the response said so. Retry, and report it if it persists.")
}

// diskFullDetail says what a full disk means for whoever reads it.
const diskFullDetail = "The gateway's disk is full (its database could not write): the operator must free space or grow the volume."

// decode reads a JSON body strictly, whatever its Content-Type claims: unknown fields, trailing data,
// text that is not I-JSON and bodies over limit are errors that say what to fix.
func decode(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	body, err := readBody(w, r, limit)
	if err != nil {
		return jsonProblem(err, limit)
	}
	return decodeJSON(body, limit, dst)
}

func decodeJSON(body []byte, limit int64, dst any) error {
	if err := decodeLoose(body, limit, dst); err != nil {
		return err
	}
	// What encoding/json took may still be more than one value, or not I-JSON.
	return jsonscan.CheckIJSON(body)
}

// decodeLoose decodes the first JSON value of body as encoding/json
// does, for text that is checked for I-JSON separately.
func decodeLoose(body []byte, limit int64, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return jsonProblem(err, limit)
	}
	return nil
}

// strictProblem explains why a text is not one I-JSON value.
func strictProblem(err *jsonscan.Error) *Problem {
	where := "The body"
	if err.Path != "" {
		where = fmt.Sprintf("Field %q", err.Path)
	}
	p := newProblem(http.StatusBadRequest, "malformed-json", fmt.Sprintf("%s %s (at byte %d); eventgate accepts strict JSON only (I-JSON, RFC 7493).", where, err.Reason, err.Offset))
	if err.Path != "" {
		p.Errors = []event.FieldError{{Field: err.Path, Message: err.Reason}}
	}
	return p
}

// jsonProblem explains a decoding error.
func jsonProblem(err error, limit int64) *Problem {
	var p *Problem
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &p): // already explained (the body budget's 503)
		return p
	case errors.As(err, &tooBig):
		return newProblem(http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("The body is larger than %d KiB; send less (split a batch, or move large payloads to storage and send a link).", limit>>10))
	case errors.Is(err, io.EOF):
		return newProblem(http.StatusBadRequest, "malformed-json", "The body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newProblem(http.StatusBadRequest, "malformed-json", "The body ends in the middle of a JSON value; send complete JSON.")
	case errors.As(err, &syntax):
		return newProblem(http.StatusBadRequest, "malformed-json", fmt.Sprintf("The body is not valid JSON: %s (at byte %d).", syntax.Error(), syntax.Offset))
	case errors.As(err, &typeErr):
		p := newProblem(http.StatusBadRequest, "malformed-json", fmt.Sprintf("Field %q must be %s, not %s.", typeErr.Field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value))
		p.Errors = []event.FieldError{{Field: typeErr.Field, Message: "must be " + jsonKind(typeErr.Type.Kind().String())}}
		return p
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		p := newProblem(http.StatusBadRequest, "unknown-field", fmt.Sprintf("Field %q is not part of this request; check its spelling against /v1/openapi.json.", field))
		p.Errors = []event.FieldError{{Field: field, Message: "is not a known field"}}
		return p
	}
	// Errors from a field's own UnmarshalJSON (durations) say what to do.
	return newProblem(http.StatusBadRequest, "malformed-json", "The body could not be read: "+strings.TrimPrefix(err.Error(), "json: ")+".")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "int", "int64", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "a different type"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Error lets a Problem travel as an error until it is written.
func (p *Problem) Error() string { return p.Detail }
