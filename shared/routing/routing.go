// Package routing is the contract between the event processor, which
// notices that a lead reached the routing stage, and the router function,
// which assigns an owner and tells the world (EventBridge, webhooks).
package routing

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/leadflow/leadflow/shared/scoring"
)

// Request asks the router to route one qualification.
type Request struct {
	// ID is scoring.QualifiedID(contact, stage, at): the same for a retried
	// batch, so the router and every subscriber can de-duplicate by it.
	ID        string              `json:"id"`
	ContactID string              `json:"contact_id"`
	Change    scoring.StageChange `json:"change"`
}

// Queue is where routing requests go.
type Queue interface {
	Enqueue(ctx context.Context, body string) error
}

// Send enqueues a request.
func Send(ctx context.Context, q Queue, r Request) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode routing request %s: %w", r.ID, err)
	}
	if err := q.Enqueue(ctx, string(body)); err != nil {
		return fmt.Errorf("queue routing request %s: %w", r.ID, err)
	}
	return nil
}

// Decode reads a request from a queue body.
func Decode(body string) (Request, error) {
	var r Request
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return r, fmt.Errorf("decode routing request: %w", err)
	}
	if r.ID == "" || r.ContactID == "" || !r.Change.To.Valid() {
		return r, fmt.Errorf("routing request needs id, contact_id and a valid change.to")
	}
	return r, nil
}
