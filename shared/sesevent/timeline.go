package sesevent

import (
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/engagement"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Target is the contact and send an event is about; ok is false when the
// message carried no contact (a test send to an address).
func Target(e Event) (engagement.Target, bool) {
	t := engagement.Target{
		ContactID: e.ContactID(), SendID: e.SendID(),
		Campaign: e.Tags[mail.TagCampaign], Journey: e.Tags[mail.TagJourney], Template: e.Tags[mail.TagTemplate],
	}
	return t, t.ContactID != "" && t.ContactID != mail.SampleContact
}

// Timeline returns the events an SES event records on its contact. Opens
// and clicks get the same ids as Leadflow's own pixel and redirect, so
// when both are on (SES's engagement tracking and Leadflow's) each open
// is recorded once.
func Timeline(e Event, p Plan) []tracking.Message {
	t, ok := Target(e)
	if !ok {
		return nil
	}
	switch e.Type {
	case TypeBounce:
		m := engagement.Other(t, EventBounced, e.At, e.MessageID, firstNonEmpty(e.FeedbackID, e.MessageID))
		m.Properties["bounce_type"] = e.BounceType
		m.Properties["bounce_sub_type"] = e.BounceSubType
		m.Properties["permanent"] = e.BounceType == BouncePermanent
		suppressed(m, p)
		if e.Status != "" {
			m.Properties["status"] = e.Status
		}
		return []tracking.Message{m}
	case TypeComplaint:
		m := engagement.Other(t, EventMarkedSpam, e.At, e.MessageID, firstNonEmpty(e.FeedbackID, e.MessageID))
		m.Properties["complaint_type"] = firstNonEmpty(e.ComplaintType, "unspecified")
		m.Properties["unsubscribed"] = p.Unsubscribe
		suppressed(m, p)
		return []tracking.Message{m}
	case TypeOpen:
		v := engagement.Classify(engagement.Fetch{Kind: engagement.Open, UserAgent: e.UserAgent, IP: e.IP, At: e.At, SentAt: e.SentAt})
		return []tracking.Message{engagement.Opened(t, v, e.At)}
	case TypeClick:
		if e.Link == "" || OwnLink(e.Link) {
			return nil
		}
		v := engagement.Classify(engagement.Fetch{Kind: engagement.Click, UserAgent: e.UserAgent, IP: e.IP, At: e.At, SentAt: e.SentAt})
		return []tracking.Message{engagement.Clicked(t, e.Link, v, e.At)}
	}
	return nil
}

// suppressed marks the event of a bounce or complaint that put the address
// on the suppression list, with why: the processor notes it on the profile
// (contact.PropSuppressed), which segments read.
func suppressed(m tracking.Message, p Plan) {
	if p.SuppressReason != "" {
		m.Properties[contact.PropSuppressed] = p.SuppressReason
	}
}
