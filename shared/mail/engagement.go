package mail

import (
	"context"
	"time"
)

// Engagement is when a send was first opened and first clicked, by a person
// and, apart, by a machine (privacy proxies, link scanners): the contact page
// shows it beside the delivery state. Each time is the first one the events
// pipeline applied; later opens do not move it.
type Engagement struct {
	OpenedAt         time.Time `json:"opened_at,omitzero"`
	MachineOpenedAt  time.Time `json:"machine_opened_at,omitzero"`
	ClickedAt        time.Time `json:"clicked_at,omitzero"`
	MachineClickedAt time.Time `json:"machine_clicked_at,omitzero"`
}

// Act is what a recipient did with a send.
type Act string

// The acts the send record keeps.
const (
	ActOpened  Act = "opened"
	ActClicked Act = "clicked"
)

// EngagementStore notes the first open and click of a send on its record.
type EngagementStore interface {
	// NoteEngagement sets the time of the act (human or machine) unless
	// one is set already; a send with no record, or sent to another
	// contact, is left alone (nil error).
	NoteEngagement(ctx context.Context, sendID, contactID string, act Act, machine bool, at time.Time) error
}

// Statuses of a send as people read them: the pipeline's state with what
// the recipient did on top. Complaints and bounces outrank opens (a
// complaint after an open is the news); machine opens and clicks never make
// a send "opened" or "clicked".
const (
	StatusQueued     = "queued"
	StatusSent       = "sent"
	StatusDelivered  = "delivered"
	StatusOpened     = "opened"
	StatusClicked    = "clicked"
	StatusBounced    = "bounced"
	StatusComplained = "complained"
	StatusRejected   = "rejected"
	StatusFailed     = "failed"
	StatusSkipped    = "skipped"
)

// Status is the send's status for the contact page (the Status* constants).
func (s SendState) Status() string {
	switch s.State {
	case Complaint:
		return StatusComplained
	case Bounced:
		return StatusBounced
	case Rejected:
		return StatusRejected
	case Failed:
		return StatusFailed
	case Skipped:
		return StatusSkipped
	}
	switch {
	case !s.Engagement.ClickedAt.IsZero():
		return StatusClicked
	case !s.Engagement.OpenedAt.IsZero():
		return StatusOpened
	case s.State == Delivered:
		return StatusDelivered
	case s.State == Sent:
		return StatusSent
	}
	// Claimed, deferred or in doubt: not known to have gone out yet.
	return StatusQueued
}
