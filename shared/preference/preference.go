// Package preference is what a contact chose about marketing email: the
// subscription topics, one-click unsubscribes, the preference centre's form
// and double opt-in confirmation. It changes a contact.Profile in memory;
// the links function stores it under optimistic locking, and the sender
// asks Allows before mailing.
package preference

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/lazyregexp"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Subscription statuses of contact.Profile.Status.
const (
	StatusPending      = "pending"
	StatusSubscribed   = "subscribed"
	StatusUnsubscribed = "unsubscribed"
)

// Consent purposes this package records.
const (
	// PurposeConfirmation is a double opt-in link clicked.
	PurposeConfirmation = "double-opt-in-confirmation"
	// PurposePreferences is topics chosen in the preference centre by a
	// contact who was not subscribed.
	PurposePreferences = "preference-centre"
)

// Topic is a subscription group a contact can switch on or off; every
// marketing template names one.
type Topic struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// topicID is the template package's topic rule, so any topic a template can
// name can be listed here.
var topicID = lazyregexp.New(`^[a-z][a-z0-9_-]{0,63}$`)

// ValidateTopics reports every problem of a topic list at once.
func ValidateTopics(ts []Topic) error {
	var ps []string
	seen := map[string]bool{}
	for i, t := range ts {
		if !topicID.MatchString(t.ID) {
			ps = append(ps, fmt.Sprintf("topics[%d]: id %q must be a lower-case letter, then up to 63 letters, digits, '-' or '_'", i, t.ID))
		}
		if seen[t.ID] {
			ps = append(ps, fmt.Sprintf("topics[%d]: id %q is listed twice", i, t.ID))
		}
		seen[t.ID] = true
		if n := strings.TrimSpace(t.Name); n == "" || len(n) > 100 {
			ps = append(ps, fmt.Sprintf("topics[%d]: name is required (at most 100 characters)", i))
		}
		if len(t.Description) > 500 {
			ps = append(ps, fmt.Sprintf("topics[%d]: description is at most 500 characters", i))
		}
	}
	if len(ps) > 0 {
		return errors.New(strings.Join(ps, "; "))
	}
	return nil
}

// Allows reports whether marketing mail of a topic may go to p. Suppression
// (bounces, complaints) is checked separately: it is about the address,
// not the person's choice.
func Allows(p *contact.Profile, topic string) bool {
	return p.Status == StatusSubscribed && !slices.Contains(p.UnsubscribedTopics, topic)
}

// Unsubscribe applies an unsubscribe link: from all marketing when topic
// is "", else from that topic only. It reports whether p changed, so a
// repeated click writes nothing.
func Unsubscribe(p *contact.Profile, topic string) bool {
	if topic == "" {
		if p.Status == StatusUnsubscribed {
			return false
		}
		p.Status = StatusUnsubscribed
		return true
	}
	if slices.Contains(p.UnsubscribedTopics, topic) {
		return false
	}
	p.UnsubscribedTopics = append(p.UnsubscribedTopics, topic)
	return true
}

// TopicState is one line of the preference centre.
type TopicState struct {
	Topic
	On bool
}

// States lists the topics as the preference centre shows them. Nothing is
// ticked for a contact who is not subscribed: a pre-ticked box is not
// consent, so resubscribing takes a deliberate tick.
func States(p *contact.Profile, topics []Topic) []TopicState {
	out := make([]TopicState, len(topics))
	for i, t := range topics {
		out[i] = TopicState{Topic: t, On: Allows(p, t.ID)}
	}
	return out
}

// Choice is what the preference centre's form asks for.
type Choice struct {
	// Topics are the ticked topic ids (known ones only).
	Topics []string
	// All unsubscribes from all marketing email, whatever is ticked.
	All bool
}

// Form field names of the preference centre.
const (
	FieldTopic  = "topic"
	FieldAction = "action"
	// ActionUnsubscribeAll is the "unsubscribe from all" button's value.
	ActionUnsubscribeAll = "unsubscribe-all"
)

// ParseChoice reads the form. Unknown topic ids are dropped: the form is
// public, and only listed topics can be switched.
func ParseChoice(form url.Values, topics []Topic) Choice {
	c := Choice{All: form.Get(FieldAction) == ActionUnsubscribeAll}
	for _, t := range topics {
		if slices.Contains(form[FieldTopic], t.ID) {
			c.Topics = append(c.Topics, t.ID)
		}
	}
	return c
}

// Result says what Apply changed, for the events to record.
type Result struct {
	Changed bool
	// Unsubscribed: the contact moved to unsubscribed from all.
	Unsubscribed bool
	// Subscribed: a contact who was not subscribed ticked topics, which is
	// recorded as consent.
	Subscribed bool
	// On and Off are the topic ids switched on and off.
	On, Off []string
}

// Apply saves a choice. Ticking nothing is unsubscribing from everything.
// consent is recorded when the choice subscribes a contact who was not
// subscribed; Apply writes its Text.
func Apply(p *contact.Profile, c Choice, topics []Topic, consent tracking.Consent) Result {
	var r Result
	before := States(p, topics)
	wasSubscribed := p.Status == StatusSubscribed
	if c.All || len(c.Topics) == 0 {
		if !c.All {
			// Remember the topics too, so a later resubscription starts
			// from what the contact last chose.
			p.UnsubscribedTopics = mergeOff(p.UnsubscribedTopics, topics, nil)
		}
		if p.Status != StatusUnsubscribed {
			p.Status = StatusUnsubscribed
			r.Unsubscribed = true
		}
	} else {
		p.UnsubscribedTopics = mergeOff(p.UnsubscribedTopics, topics, c.Topics)
		if !wasSubscribed {
			p.Status = StatusSubscribed
			var names []string
			for _, t := range topics {
				if slices.Contains(c.Topics, t.ID) {
					names = append(names, t.Name)
				}
			}
			consent.Purpose = PurposePreferences
			consent.Text = "Chose to receive: " + strings.Join(names, ", ")
			AddConsent(p, consent)
			r.Subscribed = true
		}
	}
	after := States(p, topics)
	for i := range after {
		switch {
		case after[i].On && !before[i].On:
			r.On = append(r.On, after[i].ID)
		case !after[i].On && before[i].On:
			r.Off = append(r.Off, after[i].ID)
		}
	}
	r.Changed = r.Unsubscribed || r.Subscribed || len(r.On) > 0 || len(r.Off) > 0
	return r
}

// mergeOff returns the unsubscribed topics for a choice of ticked ids: every
// listed topic not ticked, plus ids no longer listed (a retired topic keeps
// its opt-out in case it comes back).
func mergeOff(held []string, topics []Topic, ticked []string) []string {
	var out []string
	for _, id := range held {
		if !slices.ContainsFunc(topics, func(t Topic) bool { return t.ID == id }) {
			out = append(out, id)
		}
	}
	for _, t := range topics {
		if !slices.Contains(ticked, t.ID) {
			out = append(out, t.ID)
		}
	}
	return out
}

// Confirmation is what a double opt-in click did.
type Confirmation int

const (
	// Confirmed: the contact is now subscribed, with the click as consent.
	Confirmed Confirmation = iota
	// AlreadySubscribed: nothing to do (a second click, or subscribed some
	// other way meanwhile).
	AlreadySubscribed
	// UnsubscribedSince: the contact unsubscribed after the sign-up this
	// link confirms, so the link no longer subscribes them.
	UnsubscribedSince
)

// Confirm applies a double opt-in confirmation.
//
// A sign-up with double opt-in always leaves the contact pending (the
// processor moves even an unsubscribed contact to pending on a new
// sign-up), and the confirmation link is only sent after that. So an
// unsubscribed contact at click time unsubscribed after signing up: the
// newer choice wins, and the page asks them to sign up again. A contact
// with no status ("") is treated as pending: the signed link proves the
// mailbox owner asked.
func Confirm(p *contact.Profile, consent tracking.Consent) Confirmation {
	switch p.Status {
	case StatusSubscribed:
		return AlreadySubscribed
	case StatusUnsubscribed:
		return UnsubscribedSince
	}
	p.Status = StatusSubscribed
	consent.Purpose = PurposeConfirmation
	AddConsent(p, consent)
	return Confirmed
}

// AddConsent records consent evidence once: a consent with the same purpose
// and source (one confirmation mail, say) is not added twice.
func AddConsent(p *contact.Profile, c tracking.Consent) {
	if slices.ContainsFunc(p.Consents, func(x tracking.Consent) bool {
		return x.Purpose == c.Purpose && x.Source == c.Source && c.Source != ""
	}) {
		return
	}
	p.Consents = append(p.Consents, c)
	if over := len(p.Consents) - contact.MaxConsents; over > 0 {
		p.Consents = slices.Clone(p.Consents[over:])
	}
}
