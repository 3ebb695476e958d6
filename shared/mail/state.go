package mail

import (
	"errors"
	"time"
)

// Deferred: the send waits for NotBefore (frequency cap, quiet hours, a
// paused circuit breaker); its request is back in the queue with a delay.
const Deferred = "deferred"

// In-doubt causes: why a send's outcome is unknown. They decide how the
// doubt may be settled.
const (
	// CauseServerError: SES answered 5xx. SES publishes a Send event for
	// every message it accepts; when none has settled the record within the
	// in-doubt window, SES did not take the message and it is sent again.
	CauseServerError = "ses_5xx"
	// CauseNoAnswer: the request may have reached SES but no answer came
	// back (connection dropped, timeout). Only SES's events settle it; it is
	// never sent again.
	CauseNoAnswer = "no_answer"
	// CauseClaimExpired: a claim outlived the in-doubt window without an
	// outcome (the function crashed between the claim and the SES call's
	// result). Only SES's events settle it; it is never sent again.
	CauseClaimExpired = "claim_expired"
)

// SampleContact is the contact id of a test send with no contact: the
// template is rendered with template.Sample() data.
const SampleContact = "_sample"

// SendState is a send record with the bookkeeping the pipeline keeps beside
// the contract's Record.
type SendState struct {
	Record
	// Cause says why a record is in doubt (the Cause* constants).
	Cause     string    `json:"in_doubt_cause,omitempty"`
	NotBefore time.Time `json:"not_before,omitzero"`
	Attempt   int       `json:"attempt,omitempty"`
	// Engagement is the first open and click, noted by the events
	// processor (EngagementStore).
	Engagement Engagement `json:"engagement,omitzero"`
	// Version increases with every write: the pipeline's writes are
	// conditional on the version they read, so two invocations can never
	// both move a record on.
	Version int64 `json:"-"`
}

// Final reports whether nothing more will happen to the send by the
// pipeline: it went out, was refused, or was settled by SES's events.
func (s SendState) Final() bool {
	switch s.State {
	case Sent, Skipped, Failed, Delivered, Bounced, Complaint, Rejected:
		return true
	}
	return false
}

// Errors of the send store.
var (
	// ErrSendNotFound: no record for the send id.
	ErrSendNotFound = errors.New("send not found")
	// ErrSendConflict: the record moved on since it was read (another
	// invocation, or an SES event). The store returns the current record
	// with it.
	ErrSendConflict = errors.New("send record changed since it was read")
	// ErrCapConflict: the contact's frequency-cap record changed since it
	// was read (another send to the same contact).
	ErrCapConflict = errors.New("frequency cap record changed since it was read")
	// ErrTemplateNotFound: no template with that id.
	ErrTemplateNotFound = errors.New("template not found")
	// ErrContactNotFound: the send's contact does not exist.
	ErrContactNotFound = errors.New("contact not found")
)
