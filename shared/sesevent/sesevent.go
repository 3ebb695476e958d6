// Package sesevent reads the events SES publishes through the
// configuration set to EventBridge (send, delivery, bounce, complaint,
// reject, delivery delay, open, click, rendering failure) and decides what
// each means for Leadflow: the send record's new state, addresses to
// suppress, soft bounces to count, the contact's timeline, and the mail
// counters the bulk-mail circuit breaker reads. It is plain Go; the
// sesevents function carries the decisions out.
package sesevent

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/mail"
)

// Event types SES writes in detail.eventType.
const (
	TypeSend             = "Send"
	TypeDelivery         = "Delivery"
	TypeBounce           = "Bounce"
	TypeComplaint        = "Complaint"
	TypeReject           = "Reject"
	TypeDeliveryDelay    = "DeliveryDelay"
	TypeOpen             = "Open"
	TypeClick            = "Click"
	TypeRenderingFailure = "Rendering Failure"
)

// Bounce types.
const (
	BouncePermanent    = "Permanent"
	BounceTransient    = "Transient"
	BounceUndetermined = "Undetermined"
)

// ErrUnsupported is an event this package does not read (a Subscription
// event, say); the handler logs and drops it.
var ErrUnsupported = errors.New("unsupported SES event type")

// Event is one SES event with what Leadflow needs from it.
type Event struct {
	Type string
	// At is when the event happened (the bounce, the delivery...); SentAt
	// when SES accepted the message.
	At, SentAt time.Time
	MessageID  string
	// Tags are the message tags the sender set (send id, contact id,
	// campaign, journey...), first value of each.
	Tags map[string]string
	// Recipients are the addresses the event is about: bounced,
	// complained, delivered or delayed recipients, else the destination.
	Recipients []string
	// FeedbackID identifies a bounce or complaint notification.
	FeedbackID string
	// BounceType, BounceSubType for bounces; Status is the first bounced
	// recipient's enhanced status code (5.1.1).
	BounceType, BounceSubType, Status string
	// ComplaintType is the feedback type ("abuse", "not-spam"...).
	ComplaintType string
	// Reason is a reject's reason, a delay's type or a rendering error.
	Reason string
	// UserAgent, IP and Link come with opens and clicks.
	UserAgent, IP, Link string
}

// SendID and ContactID are the attribution tags.
func (e Event) SendID() string    { return e.Tags[mail.TagSendID] }
func (e Event) ContactID() string { return e.Tags[mail.TagContactID] }

// detail is SES's event record as it arrives in an EventBridge event's
// detail (the same record SES publishes to SNS and Firehose).
type detail struct {
	EventType string `json:"eventType"`
	Mail      struct {
		Timestamp   time.Time           `json:"timestamp"`
		MessageID   string              `json:"messageId"`
		Destination []string            `json:"destination"`
		Tags        map[string][]string `json:"tags"`
	} `json:"mail"`
	Bounce *struct {
		BounceType        string      `json:"bounceType"`
		BounceSubType     string      `json:"bounceSubType"`
		BouncedRecipients []recipient `json:"bouncedRecipients"`
		Timestamp         time.Time   `json:"timestamp"`
		FeedbackID        string      `json:"feedbackId"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients  []recipient `json:"complainedRecipients"`
		Timestamp             time.Time   `json:"timestamp"`
		FeedbackID            string      `json:"feedbackId"`
		ComplaintFeedbackType string      `json:"complaintFeedbackType"`
	} `json:"complaint"`
	Delivery *struct {
		Timestamp  time.Time `json:"timestamp"`
		Recipients []string  `json:"recipients"`
	} `json:"delivery"`
	Reject *struct {
		Reason string `json:"reason"`
	} `json:"reject"`
	DeliveryDelay *struct {
		Timestamp         time.Time   `json:"timestamp"`
		DelayType         string      `json:"delayType"`
		DelayedRecipients []recipient `json:"delayedRecipients"`
	} `json:"deliveryDelay"`
	Open *struct {
		Timestamp time.Time `json:"timestamp"`
		IPAddress string    `json:"ipAddress"`
		UserAgent string    `json:"userAgent"`
	} `json:"open"`
	Click *struct {
		Timestamp time.Time `json:"timestamp"`
		IPAddress string    `json:"ipAddress"`
		UserAgent string    `json:"userAgent"`
		Link      string    `json:"link"`
	} `json:"click"`
	Failure *struct {
		ErrorMessage string `json:"errorMessage"`
	} `json:"failure"`
}

type recipient struct {
	EmailAddress string `json:"emailAddress"`
	Status       string `json:"status"`
}

func addresses(rs []recipient) []string {
	var out []string
	for _, r := range rs {
		if r.EmailAddress != "" {
			out = append(out, r.EmailAddress)
		}
	}
	return out
}

// Parse reads an EventBridge event's detail. published is the envelope's
// time, used when the record has none of its own.
func Parse(raw json.RawMessage, published time.Time) (Event, error) {
	var d detail
	if err := json.Unmarshal(raw, &d); err != nil {
		return Event{}, fmt.Errorf("decode SES event: %w", err)
	}
	if d.Mail.MessageID == "" {
		return Event{}, fmt.Errorf("SES %s event without mail.messageId", d.EventType)
	}
	e := Event{
		Type: d.EventType, At: published, SentAt: d.Mail.Timestamp, MessageID: d.Mail.MessageID,
		Tags: map[string]string{}, Recipients: d.Mail.Destination,
	}
	for k, vs := range d.Mail.Tags {
		if len(vs) > 0 {
			e.Tags[k] = vs[0]
		}
	}
	at := func(t time.Time) {
		if !t.IsZero() {
			e.At = t
		}
	}
	missing := func(part string) error {
		return fmt.Errorf("SES %s event %s without %q", d.EventType, d.Mail.MessageID, part)
	}
	switch d.EventType {
	case TypeSend:
		at(d.Mail.Timestamp)
	case TypeDelivery:
		if d.Delivery == nil {
			return e, missing("delivery")
		}
		at(d.Delivery.Timestamp)
		if len(d.Delivery.Recipients) > 0 {
			e.Recipients = d.Delivery.Recipients
		}
	case TypeBounce:
		b := d.Bounce
		if b == nil {
			return e, missing("bounce")
		}
		at(b.Timestamp)
		e.FeedbackID, e.BounceType, e.BounceSubType = b.FeedbackID, b.BounceType, b.BounceSubType
		e.Recipients = addresses(b.BouncedRecipients)
		if len(b.BouncedRecipients) > 0 {
			e.Status = b.BouncedRecipients[0].Status
		}
	case TypeComplaint:
		c := d.Complaint
		if c == nil {
			return e, missing("complaint")
		}
		at(c.Timestamp)
		e.FeedbackID, e.ComplaintType = c.FeedbackID, c.ComplaintFeedbackType
		e.Recipients = addresses(c.ComplainedRecipients)
	case TypeReject:
		if d.Reject != nil {
			e.Reason = d.Reject.Reason
		}
	case TypeDeliveryDelay:
		if dd := d.DeliveryDelay; dd != nil {
			at(dd.Timestamp)
			e.Reason = dd.DelayType
			if rs := addresses(dd.DelayedRecipients); len(rs) > 0 {
				e.Recipients = rs
			}
		}
	case TypeOpen:
		if d.Open == nil {
			return e, missing("open")
		}
		at(d.Open.Timestamp)
		e.UserAgent, e.IP = d.Open.UserAgent, d.Open.IPAddress
	case TypeClick:
		if d.Click == nil {
			return e, missing("click")
		}
		at(d.Click.Timestamp)
		e.UserAgent, e.IP, e.Link = d.Click.UserAgent, d.Click.IPAddress, d.Click.Link
	case TypeRenderingFailure:
		if d.Failure != nil {
			e.Reason = d.Failure.ErrorMessage
		}
	default:
		return e, fmt.Errorf("%w: %q", ErrUnsupported, d.EventType)
	}
	return e, nil
}

// Suppression reasons, as the send store names them.
const (
	ReasonBounce      = "bounce"
	ReasonComplaint   = "complaint"
	ReasonSoftBounces = "soft_bounces"
)

// Plan is what an event calls for. The sesevents function carries it out;
// every step is idempotent, because EventBridge may deliver an event twice
// and a failed invocation is retried whole.
type Plan struct {
	// SendState is the send record's new state ("" leaves it); Reason
	// goes with it.
	SendState, Reason string
	// Accepted: SES took the message, so a send left in doubt (claimed, or
	// in doubt after a crash or a lost answer) is settled as sent with
	// this event's message id, never sent again.
	Accepted bool
	// Note is a remark on the send record that does not change its state
	// (a delivery delay).
	Note string
	// Suppress lists addresses to suppress for good, on Leadflow's list
	// and SES's account-level list, with SuppressReason.
	Suppress       []string
	SuppressReason string
	// SoftBounce lists addresses whose soft bounces are counted; past the
	// policy's threshold they are suppressed too.
	SoftBounce []string
	// Unsubscribe: the contact complained, which is the strongest opt-out.
	Unsubscribe bool
	// Timeline is the event recorded on the contact ("" records nothing).
	Timeline string
	// Count is what the event adds to the mail counters; CountKey
	// identifies it so a redelivery is not counted twice.
	Count    Counts
	CountKey string
}

// MetricsNamespace is the CloudWatch namespace of the Sends, Bounces and
// Complaints metrics the sesevents function writes (embedded metric format
// in its log lines, dimension Function) and the stack's alarms watch.
const MetricsNamespace = "Leadflow/Email"

// Counts are increments of the mail counters.
type Counts struct {
	Sent, Bounces, Complaints int64
}

// Timeline event names (Segment's email spec; scoring matches them).
const (
	EventBounced    = "Email Bounced"
	EventMarkedSpam = "Email Marked as Spam"
)

// Decide maps an event to a Plan.
func Decide(e Event) Plan {
	var p Plan
	switch e.Type {
	case TypeSend:
		p.Accepted = true
		p.SendState = mail.Sent
	case TypeDelivery:
		p.Accepted, p.SendState = true, mail.Delivered
	case TypeBounce:
		p.Accepted, p.SendState, p.Timeline = true, mail.Bounced, EventBounced
		p.Reason = strings.TrimSpace(fmt.Sprintf("%s bounce (%s) %s", strings.ToLower(e.BounceType), e.BounceSubType, e.Status))
		if e.BounceType == BouncePermanent {
			// SES's bounce rate, the one it reviews accounts on, counts hard
			// bounces only.
			p.Suppress, p.SuppressReason = e.Recipients, ReasonBounce
			p.Count = Counts{Bounces: 1}
			p.CountKey = countKey(e)
		} else {
			// Transient (mailbox full, message too large, greylisting that
			// outlasted SES's retries) or undetermined: the address may
			// work again, so it takes several to suppress it.
			p.SoftBounce = e.Recipients
		}
	case TypeComplaint:
		p.Accepted, p.SendState, p.Timeline = true, mail.Complaint, EventMarkedSpam
		p.Reason = "complaint (" + firstNonEmpty(e.ComplaintType, "unspecified") + ")"
		if e.ComplaintType != "not-spam" {
			// "not-spam" is a provider reversing an earlier report.
			p.Suppress, p.SuppressReason, p.Unsubscribe = e.Recipients, ReasonComplaint, true
			p.Count = Counts{Complaints: 1}
			p.CountKey = countKey(e)
		}
	case TypeReject:
		// SES refused the message (a virus in it): it never left.
		p.SendState, p.Reason = mail.Rejected, "rejected by SES: "+e.Reason
	case TypeRenderingFailure:
		// Only SES templates fail to render, and Leadflow renders its own;
		// should it happen, the message never left, like a reject.
		p.SendState, p.Reason = mail.Rejected, "rendering failure: "+e.Reason
	case TypeDeliveryDelay:
		p.Accepted = true
		p.Note = "delivery delayed (" + firstNonEmpty(e.Reason, "unspecified") + ")"
	case TypeOpen, TypeClick:
		// Accepted too: an open proves SES sent it. The timeline event is
		// the links package's (engagement), shared with Leadflow's pixel.
		p.Accepted = true
	}
	return p
}

// countKey identifies a bounce or complaint for de-duplication: SES's
// feedback id when there is one, else the message and event type.
func countKey(e Event) string {
	if e.FeedbackID != "" {
		return e.Type + "#" + e.FeedbackID
	}
	return e.Type + "#" + e.MessageID
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// SoftBouncePolicy suppresses an address after Threshold soft bounces
// within Window: one full mailbox is a bad day, three in a month is an
// abandoned address that hurts the sender's reputation.
type SoftBouncePolicy struct {
	Threshold int
	Window    time.Duration
}

// DefaultSoftBounces is three soft bounces in thirty days.
var DefaultSoftBounces = SoftBouncePolicy{Threshold: 3, Window: 30 * 24 * time.Hour}

// SoftBounce is one counted soft bounce.
type SoftBounce struct {
	At time.Time
	// ID is the feedback id (or message id): a redelivered event adds the
	// same id, which is counted once.
	ID string
}

// Exceeded reports whether the soft bounces within the window (distinct
// ids) reach the threshold at now.
func (p SoftBouncePolicy) Exceeded(bounces []SoftBounce, now time.Time) bool {
	var ids []string
	for _, b := range bounces {
		if now.Sub(b.At) <= p.Window && !slices.Contains(ids, b.ID) {
			ids = append(ids, b.ID)
		}
	}
	return len(ids) >= p.Threshold
}

// SoftBounceOf is the soft bounce an event records.
func SoftBounceOf(e Event) SoftBounce {
	return SoftBounce{At: e.At, ID: firstNonEmpty(e.FeedbackID, e.MessageID)}
}

// OwnLink reports whether a clicked link is one of Leadflow's own (a
// tracked redirect, unsubscribe, preferences, confirmation): those are
// recorded by the links function itself, and their URLs carry tokens that
// must not be stored on a timeline.
func OwnLink(link string) bool {
	for _, p := range []string{"/v1/t/c/", "/v1/t/o/", "/v1/unsubscribe/", "/v1/preferences/", "/v1/confirm/"} {
		if strings.Contains(link, p) {
			return true
		}
	}
	return false
}
