// Package mail is the delivery pipeline's domain: what a send request is,
// how a send is identified so it can never go out twice, the states a send
// record moves through, and the SES message tags that carry attribution
// back from SES events. Everything that sends mail (double opt-in, journeys,
// campaigns, the send API) goes through it.
package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/lazyregexp"
)

// Kinds of mail. Transactional mail (double opt-in confirmations, receipts)
// ignores marketing preferences, frequency caps, quiet hours and the bulk
// circuit breaker; suppression (hard bounces, complaints) applies to all.
const (
	Marketing     = "marketing"
	Transactional = "transactional"
)

// Source attributes a send to what caused it.
type Source struct {
	Campaign string `json:"campaign,omitempty"`
	Journey  string `json:"journey,omitempty"`
	Run      string `json:"run,omitempty"`
	Step     string `json:"step,omitempty"`
	// API is the idempotency key of a send API call.
	API string `json:"api,omitempty"`
	// Form is the form whose double opt-in this confirms.
	Form string `json:"form,omitempty"`
}

// Request asks the pipeline to send one template to one contact.
type Request struct {
	// SendID is deterministic for what is being sent (see the *SendID
	// functions): the same intent always has the same id, and an id is
	// delivered at most once.
	SendID     string `json:"send_id"`
	ContactID  string `json:"contact_id"`
	TemplateID string `json:"template_id"`
	// Kind overrides the template's kind only to make mail transactional
	// when the template allows it; "" uses the template's.
	Kind   string `json:"kind,omitempty"`
	Source Source `json:"source"`
	// To, when set, sends a test to this address instead of the contact's:
	// no tracking, no state changes, never counted in reports.
	To string `json:"to,omitempty"`
	// Vars are extra template variables (confirm_url for double opt-in).
	Vars map[string]string `json:"vars,omitempty"`
	// NotBefore defers a send (frequency cap, quiet hours, throttling).
	NotBefore time.Time `json:"not_before,omitempty"`
	// Awake: the mail answers the contact's own action just now (a journey
	// step right after its trigger), so quiet hours do not defer it.
	Awake bool `json:"awake,omitempty"`
	// IgnoreQuietHours: the sender chose the local hour on purpose (a
	// recipient-time campaign at 07:00 that opted out of quiet hours), so
	// quiet hours do not defer it; caps and consent still apply.
	IgnoreQuietHours bool `json:"ignore_quiet_hours,omitempty"`
	// Attempt counts throttled or deferred tries.
	Attempt     int       `json:"attempt,omitempty"`
	RequestedAt time.Time `json:"requested_at"`
}

// Validate reports what is wrong with a request.
func (r Request) Validate() error {
	var p []string
	if r.SendID == "" || len(r.SendID) > 200 {
		p = append(p, "send_id is required (at most 200 characters)")
	}
	if r.ContactID == "" {
		p = append(p, "contact_id is required")
	}
	if r.TemplateID == "" {
		p = append(p, "template_id is required")
	}
	if r.Kind != "" && r.Kind != Marketing && r.Kind != Transactional {
		p = append(p, `kind must be "marketing" or "transactional"`)
	}
	if len(p) > 0 {
		return fmt.Errorf("send request: %s", strings.Join(p, "; "))
	}
	return nil
}

// Encode and Decode move requests through the sends queue.
func (r Request) Encode() (string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("encode send %s: %w", r.SendID, err)
	}
	return string(b), nil
}

// Decode reads a request from a queue body.
func Decode(body string) (Request, error) {
	var r Request
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return r, fmt.Errorf("decode send request: %w", err)
	}
	return r, r.Validate()
}

func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// CampaignSendID identifies a campaign's mail to one contact.
func CampaignSendID(campaign, contact string) string { return "c-" + digest(campaign, contact) }

// IsCampaignSendID tells a campaign's send id by its prefix, so counting a
// campaign's results costs non-campaign mail no read.
func IsCampaignSendID(id string) bool { return strings.HasPrefix(id, "c-") }

// JourneySendID identifies one journey run's step for a contact.
func JourneySendID(run, step string) string { return "j-" + digest(run, step) }

// KeyOwner is the request a send API idempotency key was first used with.
type KeyOwner struct {
	ContactID, TemplateID string
}

// APISendID identifies a send API call by its idempotency key.
func APISendID(idempotencyKey string) string { return "a-" + digest(idempotencyKey) }

// ConfirmSendID identifies the double opt-in mail for one consent.
func ConfirmSendID(contact, form string, consentAt time.Time) string {
	return "d-" + digest(contact, form, consentAt.UTC().Format(time.RFC3339Nano))
}

// States of a send record.
const (
	// Claimed: the send id is taken and SES is about to be (or was) called.
	// A claim older than the in-doubt window with no outcome is InDoubt.
	Claimed = "claimed"
	// InDoubt: the SES call may or may not have been accepted (a crash or a
	// lost response). It is resolved from SES's own events, which carry the
	// send id in the message tags, never by sending again.
	InDoubt = "in_doubt"
	Sent    = "sent"
	// Skipped: not sent on purpose (suppressed, unsubscribed, pending
	// double opt-in, circuit breaker for bulk mail); Reason says why.
	Skipped   = "skipped"
	Failed    = "failed"
	Delivered = "delivered"
	Bounced   = "bounced"
	Complaint = "complaint"
	Rejected  = "rejected"
)

// Record is a send's durable state: the claim that makes it happen once.
type Record struct {
	SendID     string    `json:"send_id"`
	ContactID  string    `json:"contact_id"`
	TemplateID string    `json:"template_id"`
	Kind       string    `json:"kind"`
	Source     Source    `json:"source"`
	State      string    `json:"state"`
	Reason     string    `json:"reason,omitempty"`
	MessageID  string    `json:"message_id,omitempty"` // SES's
	ClaimedAt  time.Time `json:"claimed_at"`
	SentAt     time.Time `json:"sent_at,omitzero"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Tag names SES carries on the message and returns in every event.
const (
	TagSendID    = "send_id"
	TagContactID = "contact_id"
	TagTemplate  = "template_id"
	TagCampaign  = "campaign_id"
	TagJourney   = "journey_id"
	TagStep      = "step_id"
	TagKind      = "kind"
)

// SES allows tag values of letters, digits and _-.@ only.
var tagUnsafe = lazyregexp.New(`[^A-Za-z0-9_.@-]`)

// TagValue makes a value SES will accept in a message tag.
func TagValue(v string) string {
	v = tagUnsafe.ReplaceAllString(v, "_")
	if len(v) > 256 {
		v = v[:256]
	}
	return v
}

// Tags returns the message tags of a send.
func Tags(r Request, kind string) map[string]string {
	t := map[string]string{TagSendID: r.SendID, TagContactID: r.ContactID, TagTemplate: r.TemplateID, TagKind: kind}
	for k, v := range map[string]string{TagCampaign: r.Source.Campaign, TagJourney: r.Source.Journey, TagStep: r.Source.Step} {
		if v != "" {
			t[k] = v
		}
	}
	for k, v := range t {
		t[k] = TagValue(v)
	}
	return t
}

// Queue is where send requests go.
type Queue interface {
	Enqueue(ctx context.Context, body string) error
}

// Enqueue validates and queues a request.
func Enqueue(ctx context.Context, q Queue, r Request) error {
	if err := r.Validate(); err != nil {
		return err
	}
	body, err := r.Encode()
	if err != nil {
		return err
	}
	if err := q.Enqueue(ctx, body); err != nil {
		return fmt.Errorf("queue send %s: %w", r.SendID, err)
	}
	return nil
}
