package definitions

import (
	_ "embed"
	"fmt"

	"github.com/leadflow/leadflow/shared/scoring"
)

//go:embed scoring.json
var scoringJSON []byte

// Scoring returns the repo's scoring model, validated, with Version set to
// its content hash so contacts scored under another model are re-scored.
func Scoring() (scoring.Model, error) {
	var m scoring.Model
	if err := decodeStrict(scoringJSON, &m); err != nil {
		return m, fmt.Errorf("definitions/scoring.json: %w", err)
	}
	if err := m.Validate(); err != nil {
		return m, fmt.Errorf("definitions/scoring.json: %w", err)
	}
	m.Version = m.Fingerprint()
	return m, nil
}
