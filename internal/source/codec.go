package source

import (
	"encoding/json"
	"fmt"
)

// spec is the part of a source that stores keep as one JSON document, so
// that new verification types and options need no migration. The id, name,
// secret and counts have columns of their own.
type spec struct {
	Verify    Verify   `json:"verify"`
	EventType Locator  `json:"event_type"`
	Dedupe    *Locator `json:"dedupe,omitempty"`
	// PreviousSecret is Verify.PreviousSecret, which answers never show;
	// kept here, sealed by the store's caller like the secret, so that a
	// rotation needs no column of its own. Bytes, so base64 in the
	// document: a secret may hold what JSON columns refuse (\u0000).
	PreviousSecret []byte `json:"previous_secret,omitempty"`
}

// Spec returns the document a store keeps.
func (s *Source) Spec() ([]byte, error) {
	return json.Marshal(spec{s.Verify, s.EventType, s.Dedupe, []byte(s.Verify.PreviousSecret)})
}

// SetSpec fills s from a document that Spec made; the secret is not in it.
func (s *Source) SetSpec(b []byte) error {
	var sp spec
	if err := json.Unmarshal(b, &sp); err != nil {
		return fmt.Errorf("source %s: bad spec: %w", s.ID, err)
	}
	secret := s.Verify.Secret
	s.Verify, s.EventType, s.Dedupe = sp.Verify, sp.EventType, sp.Dedupe
	s.Verify.Secret, s.Verify.PreviousSecret = secret, string(sp.PreviousSecret)
	return nil
}
