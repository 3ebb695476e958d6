package scoring

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// QualifiedType is the EventBridge detail-type (and webhook "type") of the
// event published when a contact reaches the routing stage.
const QualifiedType = "lead.qualified"

// QualifiedEvent is the lead.qualified payload, the same JSON on the bus and
// in webhook bodies. It carries the why (stage reason, breakdown, routing
// reason) so a CRM or a sales channel can show it without calling back.
type QualifiedEvent struct {
	// ID is stable for one qualification (contact, stage, time), so a
	// subscriber de-duplicates redeliveries by it: EventBridge and webhook
	// retries may deliver twice.
	ID            string      `json:"id"`
	Type          string      `json:"type"`
	ContactID     string      `json:"contact_id"`
	Email         string      `json:"email,omitempty"`
	Stage         Stage       `json:"stage"`
	PreviousStage Stage       `json:"previous_stage"`
	StageReason   string      `json:"stage_reason"`
	Score         Score       `json:"score"`
	Breakdown     []RuleScore `json:"breakdown"`
	Team          string      `json:"team,omitempty"`
	Owner         string      `json:"owner,omitempty"`
	RoutingReason string      `json:"routing_reason,omitempty"`
	ModelVersion  string      `json:"model_version"`
	At            time.Time   `json:"at"`
}

// Qualified builds the lead.qualified event for a stage change and its
// routing, with the score and breakdown read at the change's time.
func (e *Engine) Qualified(contactID, email string, s State, change StageChange, a Assignment) QualifiedEvent {
	return QualifiedEvent{
		ID:            QualifiedID(contactID, change.To, change.At),
		Type:          QualifiedType,
		ContactID:     contactID,
		Email:         email,
		Stage:         change.To,
		PreviousStage: change.From,
		StageReason:   change.Reason,
		Score:         e.Score(s, change.At),
		Breakdown:     e.Breakdown(s, change.At),
		Team:          a.Team,
		Owner:         a.Owner,
		RoutingReason: a.Reason,
		ModelVersion:  e.Version(),
		At:            change.At.UTC(),
	}
}

// QualifiedID derives the event id from what identifies a qualification,
// so a retried batch that makes the same stage change publishes the same id.
func QualifiedID(contactID string, stage Stage, at time.Time) string {
	h := sha256.New()
	h.Write([]byte(contactID))
	h.Write([]byte{0})
	h.Write([]byte(stage))
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(nil, at.UnixNano(), 10))
	return hex.EncodeToString(h.Sum(nil)[:16])
}
