package scoring

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/tracking"
)

// Stage is a lifecycle stage. The funnel runs subscriber → lead → mql → sql →
// opportunity → customer; disqualified stands beside it. A contact with no
// stage yet has "".
type Stage string

// Lifecycle stages.
const (
	StageNone    Stage = ""
	Subscriber   Stage = "subscriber"
	Lead         Stage = "lead"
	MQL          Stage = "mql"
	SQL          Stage = "sql"
	Opportunity  Stage = "opportunity"
	Customer     Stage = "customer"
	Disqualified Stage = "disqualified"
)

// Stages lists the funnel in order, then disqualified.
func Stages() []Stage {
	return []Stage{Subscriber, Lead, MQL, SQL, Opportunity, Customer, Disqualified}
}

// Valid reports whether s names a stage ("" does not).
func (s Stage) Valid() bool { return s.rank() > 0 || s == Disqualified }

// rank orders the funnel; disqualified is off it (-1), no stage is 0.
func (s Stage) rank() int {
	switch s {
	case StageNone:
		return 0
	case Subscriber:
		return 1
	case Lead:
		return 2
	case MQL:
		return 3
	case SQL:
		return 4
	case Opportunity:
		return 5
	case Customer:
		return 6
	}
	return -1
}

// Before reports whether s comes earlier in the funnel than o.
func (s Stage) Before(o Stage) bool {
	return s.rank() >= 0 && o.rank() >= 0 && s.rank() < o.rank()
}

// StageRules are the automatic transitions. Several transitions to the same
// stage are alternatives (OR); a transition's criteria all hold (AND).
type StageRules struct {
	Transitions []Transition `json:"transitions"`
}

// Transition moves a contact to To when its criteria hold.
type Transition struct {
	ID          string   `json:"id"`
	Description string   `json:"description,omitempty"`
	To          Stage    `json:"to"`
	When        Criteria `json:"when"`
}

// Criteria are the conditions of a transition; unset ones are ignored, and
// at least one must be set.
type Criteria struct {
	MinTotal      *int `json:"min_total,omitempty"`
	MinFit        *int `json:"min_fit,omitempty"`
	MinEngagement *int `json:"min_engagement,omitempty"`
	// Event is the message that must be the one being processed: a track
	// event name, or page, screen, identify, group.
	Event string `json:"event,omitempty"`
	// Filters are conditions on that message ("properties.form_id" eq
	// "demo-request"); they need Event.
	Filters []Condition `json:"filters,omitempty"`
	// Profile are conditions on the contact's profile facts.
	Profile []Condition `json:"profile,omitempty"`
}

// StageChange is one entry of a contact's stage history, the record funnel
// conversion and velocity reports read.
type StageChange struct {
	From   Stage     `json:"from"`
	To     Stage     `json:"to"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
	// By is "rule:<transition id>" for an automatic move; for a move made
	// through the admin API, the signed-in user's email (or id), or the
	// admin token's name (ADMIN_TOKEN_NAME, "admin" by default).
	By string `json:"by"`
}

// ByRule is the By of a move made by a transition rule.
func ByRule(id string) string { return "rule:" + id }

// Errors of Move. The admin API maps them to 400/409 with errors.Is.
var (
	ErrUnknownStage = errors.New("unknown lifecycle stage")
	ErrSameStage    = errors.New("contact is already at that stage")
	ErrBackward     = errors.New("stages only move forward unless moved explicitly")
	ErrStageLocked  = errors.New("customer and disqualified contacts only move explicitly")
)

// Move checks a move from current to to. An explicit move (an admin's) may go
// anywhere, backwards and out of customer or disqualified included; any
// other move goes only forward in the funnel, or to disqualified, and never
// out of customer or disqualified.
func Move(current, to Stage, explicit bool) error {
	switch {
	case !to.Valid():
		return fmt.Errorf("%q: %w", to, ErrUnknownStage)
	case current == to:
		return fmt.Errorf("%s: %w", to, ErrSameStage)
	case explicit:
		return nil
	case current == Customer || current == Disqualified:
		return fmt.Errorf("%s to %s: %w", current, to, ErrStageLocked)
	case to == Disqualified:
		return nil
	case !current.Before(to):
		return fmt.Errorf("%s to %s: %w", current, to, ErrBackward)
	}
	return nil
}

type transition struct {
	Transition
	event   eventRef
	filters []matcher
	profile []matcher
}

// NextStage finds the automatic move, if any, for a contact at current after
// msg (nil when nothing was received, e.g. after a re-score). Of the
// transitions that hold, a disqualification wins (it is a veto); otherwise
// the one furthest down the funnel, so a contact can skip stages. Moves only
// go forward and never leave customer or disqualified (see Move).
//
// The move is dated at the message's timestamp (not before the state's
// AsOf), else now, and the scores are read at that instant: a redelivered
// batch gives the same change, so the lead.qualified event it causes keeps
// the same id.
func (e *Engine) NextStage(current Stage, f Facts, s State, msg *tracking.Message, now time.Time) (StageChange, bool) {
	if current == Customer || current == Disqualified {
		return StageChange{}, false
	}
	at := now.UTC()
	if msg != nil && !msg.Timestamp.IsZero() {
		at = msg.Timestamp.UTC()
		if at.Before(s.AsOf) {
			at = s.AsOf
		}
	}
	score := e.Score(s, at)
	var best *transition
	for i := range e.c.transitions {
		t := &e.c.transitions[i]
		if t.To != Disqualified && !current.Before(t.To) {
			continue
		}
		if !t.holds(score, &f, msg) {
			continue
		}
		if t.To == Disqualified {
			best = t
			break
		}
		if best == nil || best.To.Before(t.To) {
			best = t
		}
	}
	if best == nil {
		return StageChange{}, false
	}
	return StageChange{From: current, To: best.To, At: at, Reason: best.reason(score), By: ByRule(best.ID)}, true
}

func (t *transition) holds(sc Score, f *Facts, msg *tracking.Message) bool {
	w := t.When
	switch {
	case w.MinTotal != nil && sc.Total < *w.MinTotal,
		w.MinFit != nil && sc.Fit < *w.MinFit,
		w.MinEngagement != nil && sc.Engagement < *w.MinEngagement:
		return false
	}
	if w.Event != "" && (msg == nil || !t.event.matches(msg) || !allMessage(t.filters, msg)) {
		return false
	}
	return allFacts(t.profile, f)
}

// reason says in words why the transition fired, for the stage history and
// the lead.qualified event.
func (t *transition) reason(sc Score) string {
	var parts []string
	w := t.When
	if w.MinTotal != nil {
		parts = append(parts, fmt.Sprintf("total %d >= %d", sc.Total, *w.MinTotal))
	}
	if w.MinFit != nil {
		parts = append(parts, fmt.Sprintf("fit %d >= %d", sc.Fit, *w.MinFit))
	}
	if w.MinEngagement != nil {
		parts = append(parts, fmt.Sprintf("engagement %d >= %d", sc.Engagement, *w.MinEngagement))
	}
	if w.Event != "" {
		parts = append(parts, fmt.Sprintf("event %q", w.Event))
	}
	for _, c := range append(append([]Condition(nil), w.Filters...), w.Profile...) {
		parts = append(parts, c.String())
	}
	r := strings.Join(parts, ", ")
	if t.Description != "" {
		r = t.Description + ": " + r
	}
	return r
}

const maxThreshold = 100000

// compileStages validates the transitions. Besides each transition's own
// checks, it refuses an inverted ladder: two score transitions where the
// later stage asks less than the earlier one on the same measure, which would
// make contacts skip the earlier stage for good.
func compileStages(rules StageRules, claim func(where, id string),
	conditions func(where string, cs []Condition, ns namespace) []matcher,
	bad func(format string, args ...any)) []transition {
	if len(rules.Transitions) > MaxTransitions {
		bad("stages: %d transitions; at most %d", len(rules.Transitions), MaxTransitions)
	}
	out := make([]transition, 0, len(rules.Transitions))
	for i, tr := range rules.Transitions {
		where := fmt.Sprintf("stages.transitions[%d]", i)
		claim(where, tr.ID)
		if len(tr.Description) > maxDescriptionLen {
			bad("%s: description is %d characters; at most %d", where, len(tr.Description), maxDescriptionLen)
		}
		if !tr.To.Valid() {
			bad("%s: to %q is not a stage (%s)", where, tr.To, stageList())
		}
		w := tr.When
		if w.MinTotal == nil && w.MinFit == nil && w.MinEngagement == nil && w.Event == "" && len(w.Profile) == 0 {
			bad("%s: when needs at least one of min_total, min_fit, min_engagement, event, profile", where)
		}
		for _, m := range []struct {
			name string
			v    *int
		}{{"min_total", w.MinTotal}, {"min_fit", w.MinFit}, {"min_engagement", w.MinEngagement}} {
			if m.v != nil && (*m.v > maxThreshold || *m.v < -maxThreshold) {
				bad("%s: %s %d outside ±%d", where, m.name, *m.v, maxThreshold)
			}
		}
		if len(w.Filters) > 0 && w.Event == "" {
			bad("%s: filters need an event", where)
		}
		if len(w.Event) > maxEventLen {
			bad("%s: event is %d characters; at most %d", where, len(w.Event), maxEventLen)
		}
		out = append(out, transition{
			Transition: tr,
			event:      parseEvent(w.Event),
			filters:    conditions(where+".when.filters", w.Filters, nsMessage),
			profile:    conditions(where+".when.profile", w.Profile, nsFacts),
		})
	}
	for i, a := range rules.Transitions {
		for j, b := range rules.Transitions {
			// Only transitions of the same shape compare: no event, the same
			// profile conditions. An event or a different condition may well
			// justify skipping a stage at a lower score.
			if !a.To.Before(b.To) || a.When.Event != "" || b.When.Event != "" || !reflect.DeepEqual(a.When.Profile, b.When.Profile) {
				continue
			}
			for _, m := range []struct {
				name string
				a, b *int
			}{{"min_total", a.When.MinTotal, b.When.MinTotal}, {"min_fit", a.When.MinFit, b.When.MinFit},
				{"min_engagement", a.When.MinEngagement, b.When.MinEngagement}} {
				if m.a != nil && m.b != nil && *m.b < *m.a {
					bad("stages.transitions[%d]: %s %d for %s is below %s %d for %s (stages.transitions[%d]); thresholds must rise along the funnel",
						j, m.name, *m.b, b.To, m.name, *m.a, a.To, i)
				}
			}
		}
	}
	return out
}

func stageList() string {
	var names []string
	for _, s := range Stages() {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}
