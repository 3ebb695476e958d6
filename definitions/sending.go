package definitions

import (
	_ "embed"
	"fmt"

	"github.com/leadflow/leadflow/shared/mail"
)

//go:embed sending.json
var sendingJSON []byte

// Sending returns the repo's sending settings (sender identity and postal
// address, frequency caps, quiet hours, send rate, circuit breaker),
// validated.
func Sending() (mail.Settings, error) {
	var s mail.Settings
	if err := decodeStrict(sendingJSON, &s); err != nil {
		return s, fmt.Errorf("definitions/sending.json: %w", err)
	}
	if err := s.Validate(); err != nil {
		return s, fmt.Errorf("definitions/sending.json: %w", err)
	}
	return s, nil
}
