package definitions

import (
	_ "embed"
	"fmt"

	"github.com/leadflow/leadflow/shared/preference"
)

// Subscription topics are the groups a contact can switch on or off in the
// preference centre; every marketing template names one (its "topic").
//
//go:embed topics.json
var topicsJSON []byte

// Topics returns the repo's subscription topics, validated, in file order
// (the order the preference centre shows them in).
func Topics() ([]preference.Topic, error) {
	var doc struct {
		Topics []preference.Topic `json:"topics"`
	}
	if err := decodeStrict(topicsJSON, &doc); err != nil {
		return nil, fmt.Errorf("definitions/topics.json: %w", err)
	}
	if err := preference.ValidateTopics(doc.Topics); err != nil {
		return nil, fmt.Errorf("definitions/topics.json: %w", err)
	}
	return doc.Topics, nil
}
