package event

import (
	"errors"
	"strings"
)

// FieldError says what is wrong with one field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problems collects field errors; its Err is a *ValidationError or nil.
type Problems struct{ fields []FieldError }

// Add records that field is wrong, with a message a person can act on.
func (p *Problems) Add(field, message string) {
	p.fields = append(p.fields, FieldError{Field: field, Message: message})
}

// Merge adds the fields of err (a *ValidationError), prefixed with prefix.
func (p *Problems) Merge(prefix string, err error) {
	var ve *ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			p.Add(prefix+f.Field, f.Message)
		}
	} else if err != nil {
		p.Add(strings.TrimSuffix(prefix, "."), err.Error())
	}
}

// Err returns nil when nothing was added.
func (p *Problems) Err() error {
	if len(p.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: p.fields}
}

// ValidationError is a request that failed validation, field by field.
type ValidationError struct{ Fields []FieldError }

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + " " + f.Message
	}
	return strings.Join(parts, "; ")
}
