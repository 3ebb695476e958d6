// Package definitions holds the marketing definitions kept in the repo as
// code (interest rules, forms, and later scoring rules, segments, journeys,
// templates). They are compiled into the functions as defaults; the admin
// API can replace them at runtime. Both paths go through the same
// validators, and a test validates every file here in CI.
package definitions

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/leadflow/leadflow/shared/interest"
)

//go:embed interests.json
var interestsJSON []byte

// Interests returns the repo's interest rules, validated.
func Interests() (interest.Rules, error) {
	var rs interest.Rules
	if err := decodeStrict(interestsJSON, &rs); err != nil {
		return rs, fmt.Errorf("definitions/interests.json: %w", err)
	}
	if err := rs.Validate(); err != nil {
		return rs, fmt.Errorf("definitions/interests.json: %w", err)
	}
	return rs, nil
}

// decodeStrict rejects unknown fields, so a typo in a definition fails CI
// instead of being silently ignored.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
