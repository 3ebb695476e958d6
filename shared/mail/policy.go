package mail

import (
	"sort"
	"strings"
	"time"
)

// Verdicts of the sending policy.
const (
	// VerdictSend: the message may go out now.
	VerdictSend = "send"
	// VerdictSkip: the message must never go out (the record says why).
	VerdictSkip = "skip"
	// VerdictDefer: the message may go out at NotBefore; it is re-queued,
	// never dropped.
	VerdictDefer = "defer"
)

// Reasons a send is skipped, deferred or failed; the send record's Reason.
const (
	ReasonSuppressed     = "suppressed"
	ReasonUnsubscribed   = "unsubscribed"
	ReasonPending        = "pending_confirmation"
	ReasonNoConsent      = "no_consent"
	ReasonTopicOff       = "topic_unsubscribed"
	ReasonNoAddress      = "no_address"
	ReasonInvalidAddress = "invalid_address"
	ReasonFrequencyCap   = "frequency_cap"
	ReasonQuietHours     = "quiet_hours"
	ReasonCircuitOpen    = "circuit_open"
)

// Facts are what the policy needs to know about one send.
type Facts struct {
	// Kind is the send's resolved kind (Marketing or Transactional).
	Kind string
	// Test sends (Request.To) only check suppression and the address.
	Test bool
	// Email is where the message would go.
	Email string
	// Status is the contact's subscription status.
	Status string
	// TopicOff: the contact switched off the template's topic in the
	// preference centre (or with a topic's unsubscribe link).
	TopicOff bool
	// Timezone is the contact's IANA time zone ("" unknown).
	Timezone   string
	Suppressed bool
	// MarketingSends are the contact's recent marketing sends (other than
	// this one), for the frequency caps.
	MarketingSends []time.Time
	// CircuitOpen pauses bulk mail (bounce or complaint rate too high).
	CircuitOpen bool
	// Awake: the mail answers something the contact just did (a welcome
	// right after they confirmed), so quiet hours do not hold it; caps and
	// consent still apply.
	Awake bool
	Now   time.Time
}

// Decision is the policy's answer for one send.
type Decision struct {
	Verdict   string
	Reason    string
	NotBefore time.Time
}

// StatusNoConsent is contact.StatusNoConsent (mail does not import contact):
// a contact imported without marketing consent.
const StatusNoConsent = "no_consent"

// Decide applies the sending rules to one send. Suppression (hard bounces,
// complaints) and a deliverable address apply to all mail; consent, the
// circuit breaker, frequency caps and quiet hours to marketing mail only,
// so a double opt-in confirmation goes out at 3 a.m. to a pending contact
// while a newsletter waits for the morning.
func (s Settings) Decide(f Facts) Decision {
	switch {
	case strings.TrimSpace(f.Email) == "":
		return Decision{Verdict: VerdictSkip, Reason: ReasonNoAddress}
	case !isAddress(f.Email):
		return Decision{Verdict: VerdictSkip, Reason: ReasonInvalidAddress}
	case f.Suppressed:
		return Decision{Verdict: VerdictSkip, Reason: ReasonSuppressed}
	case f.Test || f.Kind != Marketing:
		return Decision{Verdict: VerdictSend}
	}
	switch f.Status {
	case "subscribed":
	case "unsubscribed":
		return Decision{Verdict: VerdictSkip, Reason: ReasonUnsubscribed}
	case "pending":
		return Decision{Verdict: VerdictSkip, Reason: ReasonPending}
	case StatusNoConsent:
		// Imported without consent (contact.StatusNoConsent): never
		// marketable, even where opt-out marketing is allowed.
		return Decision{Verdict: VerdictSkip, Reason: ReasonNoConsent}
	default:
		if s.RequireOptIn {
			return Decision{Verdict: VerdictSkip, Reason: ReasonNoConsent}
		}
	}
	if f.TopicOff {
		return Decision{Verdict: VerdictSkip, Reason: ReasonTopicOff}
	}
	if f.CircuitOpen {
		return Decision{Verdict: VerdictDefer, Reason: ReasonCircuitOpen, NotBefore: f.Now.Add(time.Duration(max(s.CircuitBreaker.PauseMinutes, 1)) * time.Minute)}
	}
	loc := s.Location(f.Timezone)
	capped := s.capFree(f.MarketingSends, f.Now)
	at := capped
	// A cap can push a send into the night and the night's end can meet
	// no cap, so settle on a time that satisfies both.
	for range 8 {
		next := at
		if end, quiet := s.quietEnd(next, loc); quiet && !f.Awake {
			next = end
		}
		next = s.capFree(f.MarketingSends, next)
		if next.Equal(at) {
			break
		}
		at = next
	}
	if !at.After(f.Now) {
		return Decision{Verdict: VerdictSend}
	}
	reason := ReasonQuietHours
	if capped.After(f.Now) {
		reason = ReasonFrequencyCap
	}
	return Decision{Verdict: VerdictDefer, Reason: reason, NotBefore: at}
}

// capFree is the earliest time from at on when one more marketing message
// stays within every frequency cap.
func (s Settings) capFree(sends []time.Time, at time.Time) time.Time {
	if len(sends) == 0 || len(s.FrequencyCaps) == 0 {
		return at
	}
	sorted := append([]time.Time(nil), sends...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Before(sorted[j]) })
	free := at
	for _, c := range s.FrequencyCaps {
		w, err := c.Window()
		if err != nil || c.Max < 1 {
			continue // Validate refuses these
		}
		var in []time.Time
		for _, t := range sorted {
			if t.After(at.Add(-w)) && !t.After(at) {
				in = append(in, t)
			}
		}
		if len(in) < c.Max {
			continue
		}
		// Once the oldest len(in)-Max+1 sends have left the window, one
		// more fits: the window (T-w, T] then starts at in[len(in)-Max].
		if t := in[len(in)-c.Max].Add(w); t.After(free) {
			free = t
		}
	}
	return free
}

// quietEnd reports whether at falls in the quiet hours in loc, and when
// they end.
func (s Settings) quietEnd(at time.Time, loc *time.Location) (time.Time, bool) {
	q := s.QuietHours
	if q == nil {
		return at, false
	}
	start, err1 := clock(q.Start)
	end, err2 := clock(q.End)
	if err1 != nil || err2 != nil || start == end {
		return at, false
	}
	l := at.In(loc)
	m := l.Hour()*60 + l.Minute()
	endOn := func(days int) time.Time {
		return time.Date(l.Year(), l.Month(), l.Day()+days, end/60, end%60, 0, 0, loc)
	}
	if start > end { // over midnight, 21:00-08:00
		switch {
		case m >= start:
			return endOn(1), true
		case m < end:
			return endOn(0), true
		}
		return at, false
	}
	if m >= start && m < end {
		return endOn(0), true
	}
	return at, false
}
