package campaign

import (
	"errors"
	"fmt"
	"time"
)

// Status is where a campaign is in its lifecycle.
type Status string

const (
	Draft Status = "draft"
	// AwaitingApproval: scheduling was asked for, and the sending settings
	// require an approval of the current content that it does not have.
	AwaitingApproval Status = "awaiting_approval"
	Scheduled        Status = "scheduled"
	Sending          Status = "sending"
	Sent             Status = "sent"
	Paused           Status = "paused"
	Cancelled        Status = "cancelled"
)

// Errors the API maps to 409 (ErrTransition, ErrLocked, ErrSelfApproval)
// and 403 (ErrNotApprover).
var (
	ErrTransition    = errors.New("not allowed in the campaign's state")
	ErrLocked        = errors.New("the campaign's content is fixed once its first send has started")
	ErrSelfApproval  = errors.New("a campaign must be approved by someone other than its author")
	ErrNotApprover   = errors.New("approving takes the admin or approver role")
	ErrStateConflict = errors.New("campaign state changed concurrently")
	ErrNotFound      = errors.New("campaign not found")
)

// Approval is who approved which content, when.
type Approval struct {
	By          string    `json:"by"`
	At          time.Time `json:"at"`
	ContentHash string    `json:"content_hash"`
}

// State is a campaign's lifecycle record, apart from its definition.
type State struct {
	ID     string `json:"id"`
	Status Status `json:"state"`
	// ContentHash is the definition's hash as last saved; an approval is
	// valid for this content only.
	ContentHash string `json:"content_hash"`
	// Author is who last changed the content.
	Author   string    `json:"author,omitempty"`
	Approval *Approval `json:"approval,omitempty"`
	// ScheduledAt is when scheduling was asked for (a "now" campaign's
	// occurrence).
	ScheduledAt time.Time `json:"scheduled_at,omitzero"`
	ScheduledBy string    `json:"scheduled_by,omitempty"`
	// FirstSendAt is when the first fan-out started: the content is fixed
	// from then on.
	FirstSendAt time.Time `json:"first_send_at,omitzero"`
	// Occurrence is the occurrence being sent, or the one a paused
	// campaign's schedule fired, which resume starts.
	Occurrence string `json:"occurrence,omitempty"`
	// Resume is the status a paused campaign returns to.
	Resume    Status    `json:"resume_to,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// Version guards every write (compare-and-set in the store).
	Version int64 `json:"version"`
}

// Approved reports whether the current content has an approval.
func (s State) Approved() bool {
	return s.Approval != nil && s.Approval.ContentHash == s.ContentHash
}

// Final reports whether nothing more will happen.
func (s State) Final() bool { return s.Status == Sent || s.Status == Cancelled }

func bad(s State, action string) error {
	return fmt.Errorf("%s a campaign that is %s: %w", action, s.Status, ErrTransition)
}

// Edited records a content change: allowed until the first send; an
// approval of other content no longer counts, and a campaign waiting
// to send goes back to waiting for approval when one is required.
func (s State) Edited(hash, by string, approvalRequired bool, now time.Time) (State, error) {
	if s.Final() || !s.FirstSendAt.IsZero() {
		return s, ErrLocked
	}
	if hash == s.ContentHash {
		return s, nil
	}
	n := s
	n.ContentHash, n.Author, n.UpdatedAt = hash, by, now.UTC()
	if n.Status == "" {
		n.Status = Draft
	}
	if approvalRequired && !n.Approved() && (n.Status == Scheduled || (n.Status == Paused && n.Resume == Scheduled)) {
		n.Status, n.Resume = AwaitingApproval, ""
	}
	return n, nil
}

// Schedule asks for the campaign to go out on its schedule.
func (s State) Schedule(by string, approvalRequired bool, now time.Time) (State, error) {
	if s.Status != Draft {
		return s, bad(s, "schedule")
	}
	n := s
	n.ScheduledAt, n.ScheduledBy, n.UpdatedAt = now.UTC(), by, now.UTC()
	n.Status = Scheduled
	if approvalRequired && !s.Approved() {
		n.Status = AwaitingApproval
	}
	return n, nil
}

// Approve records an approval of the current content by a user other
// than its author (the caller checks the role); a campaign waiting for
// it becomes scheduled.
func (s State) Approve(by string, now time.Time) (State, error) {
	switch s.Status {
	case Draft, AwaitingApproval, Scheduled, Paused:
	default:
		return s, bad(s, "approve")
	}
	if by == "" || by == s.Author {
		return s, ErrSelfApproval
	}
	n := s
	n.Approval = &Approval{By: by, At: now.UTC(), ContentHash: s.ContentHash}
	n.UpdatedAt = now.UTC()
	if n.Status == AwaitingApproval {
		n.Status = Scheduled
	}
	return n, nil
}

// Unschedule takes a scheduled campaign back to draft (before it sent).
func (s State) Unschedule(now time.Time) (State, error) {
	if (s.Status != Scheduled && s.Status != AwaitingApproval) || !s.FirstSendAt.IsZero() {
		return s, bad(s, "unschedule")
	}
	n := s
	n.Status, n.ScheduledAt, n.ScheduledBy, n.UpdatedAt = Draft, time.Time{}, "", now.UTC()
	return n, nil
}

// Pause stops the fan-out and the queued sends.
func (s State) Pause(now time.Time) (State, error) {
	if s.Status != Scheduled && s.Status != Sending {
		return s, bad(s, "pause")
	}
	n := s
	n.Status, n.Resume, n.UpdatedAt = Paused, s.Status, now.UTC()
	return n, nil
}

// Resume continues where the pause stopped.
func (s State) ResumeFromPause(now time.Time) (State, error) {
	if s.Status != Paused {
		return s, bad(s, "resume")
	}
	n := s
	n.Status, n.Resume, n.UpdatedAt = s.Resume, "", now.UTC()
	if n.Status == "" {
		n.Status = Scheduled
	}
	return n, nil
}

// Cancel stops for good.
func (s State) Cancel(now time.Time) (State, error) {
	if s.Final() {
		return s, bad(s, "cancel")
	}
	n := s
	n.Status, n.Resume, n.UpdatedAt = Cancelled, "", now.UTC()
	return n, nil
}

// Start is a schedule firing: a scheduled campaign starts sending. A
// firing that finds it already sending (a second occurrence, a retried
// firing) keeps it so.
func (s State) Start(now time.Time) (State, error) {
	if s.Status != Scheduled && s.Status != Sending {
		return s, bad(s, "start")
	}
	n := s
	n.Status, n.UpdatedAt = Sending, now.UTC()
	if n.FirstSendAt.IsZero() {
		n.FirstSendAt = now.UTC()
	}
	return n, nil
}

// Finish ends an occurrence's fan-out: a recurring campaign with more
// occurrences goes back to scheduled, anything else is sent.
func (s State) Finish(more bool, now time.Time) (State, error) {
	if s.Status != Sending {
		return s, bad(s, "finish")
	}
	n := s
	n.Status, n.UpdatedAt = Sent, now.UTC()
	if more {
		n.Status = Scheduled
	}
	return n, nil
}

// Editable reports whether the content may still change.
func (s State) Editable() bool { return !s.Final() && s.FirstSendAt.IsZero() }

// Deletable reports whether the definition may be removed: never while a
// schedule or a send is live.
func (s State) Deletable() bool {
	switch s.Status {
	case "", Draft, Sent, Cancelled:
		return true
	}
	return false
}
