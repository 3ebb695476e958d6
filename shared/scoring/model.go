// Package scoring is the lead-scoring domain: rules as data (engagement
// rules on tracking events, fit rules on profile facts), the small score
// state a contact carries, lifecycle stages, and routing of qualified leads.
// It is plain Go with no storage or AWS code, so the processor, the admin API
// and the background re-scorer all run the same functions.
//
// Scores never need a periodic pass over contacts: engagement decays lazily
// (a state stores its value at one instant, AsOf, and every read decays it to
// the reader's time), and caps are charged to per-rule calendar windows that
// a later event simply replaces.
package scoring

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/leadflow/leadflow/shared/lazyregexp"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Model is a complete scoring configuration. It is data: the repo's default
// lives in definitions/scoring.json and the admin API stores replacements;
// both pass Validate.
type Model struct {
	// Version identifies the model's content (Fingerprint); it is computed,
	// never written by hand, and a state scored under another version is
	// re-scored in the background.
	Version    string           `json:"version,omitempty"`
	Engagement []EngagementRule `json:"engagement"`
	Fit        []FitRule        `json:"fit"`
	// HalfLifeDays is how fast engagement fades: points are worth half after
	// this many days. 0 keeps engagement forever.
	HalfLifeDays float64    `json:"half_life_days"`
	Stages       StageRules `json:"stages"`
	Routing      Routing    `json:"routing"`
}

// EngagementRule awards points for an event.
type EngagementRule struct {
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
	// Event is a track event name ("Demo Requested"), or one of the message
	// types "page", "screen", "identify", "group". Matching ignores case.
	Event string `json:"event"`
	// Filters are conditions on the message (properties.*, page.path, ...).
	Filters []Condition `json:"filters,omitempty"`
	// Points may be negative (careers page, unsubscribe).
	Points int `json:"points"`
	// Cap bounds the points this rule gives per calendar period.
	Cap *Cap `json:"cap,omitempty"`
}

// Cap is the most points one rule awards a contact per calendar period.
type Cap struct {
	Points int    `json:"points"`
	Period Period `json:"period"`
}

// Period is a calendar period in UTC.
type Period string

// Cap periods. A week is an ISO week, starting Monday 00:00 UTC.
const (
	Day   Period = "day"
	Week  Period = "week"
	Month Period = "month"
)

// FitRule awards points while the profile matches all its conditions. Fit is
// recomputed from the profile, so it never decays and never double counts.
type FitRule struct {
	ID          string      `json:"id"`
	Description string      `json:"description,omitempty"`
	Conditions  []Condition `json:"conditions"`
	Points      int         `json:"points"`
}

// Limits on a model: they bound the work per event and the state's size.
const (
	MaxEngagementRules = 200
	MaxFitRules        = 100
	MaxTransitions     = 50
	MaxConditions      = 20
	MaxPoints          = 1000
	MaxHalfLifeDays    = 3650
	MinHalfLifeDays    = 1
	maxDescriptionLen  = 500
	maxEventLen        = 200
)

var idPattern = lazyregexp.New(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidationError lists every problem with a model, so one round trip through
// the admin API (or one CI run) shows them all.
type ValidationError struct {
	Problems []string `json:"problems"`
}

func (e *ValidationError) Error() string {
	return "invalid scoring model: " + strings.Join(e.Problems, "; ")
}

// Validate reports every problem with the model as a *ValidationError.
func (m Model) Validate() error {
	_, err := compileModel(m)
	return err
}

// Fingerprint is a content hash of the model (Version excluded). It depends
// on meaning, not on the file's layout: encoding/json writes struct fields in
// a fixed order and map keys sorted.
func (m Model) Fingerprint() string {
	m.Version = ""
	raw, err := json.Marshal(m)
	if err != nil {
		// Only a value json cannot encode (a NaN half-life) gets here, and
		// Validate rejects those; still give a stable answer.
		raw = fmt.Appendf(nil, "%#v", m)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}

// compileModel validates m and builds the matchers the engine runs. Keeping
// validation and compilation in one pass means nothing the engine relies on
// can be left unchecked.
func compileModel(m Model) (*compiled, error) {
	c := &compiled{byType: map[string][]*engagementRule{}, byTrack: map[string][]*engagementRule{}, rules: map[string]ruleInfo{}}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	ids := map[string]string{}
	claim := func(where, id string) {
		if !idPattern.MatchString(id) {
			bad("%s: id %q must be lower-case letters, digits, '-' or '_' (at most 64)", where, id)
			return
		}
		if prev, dup := ids[id]; dup {
			bad("%s: id %q is also used by %s", where, id, prev)
			return
		}
		ids[id] = where
	}
	conditions := func(where string, cs []Condition, ns namespace) []matcher {
		if len(cs) > MaxConditions {
			bad("%s: %d conditions; at most %d", where, len(cs), MaxConditions)
		}
		out := make([]matcher, 0, len(cs))
		for i, cond := range cs {
			mt, ps := compile(cond, ns, fmt.Sprintf("%s[%d]", where, i))
			problems = append(problems, ps...)
			out = append(out, mt)
		}
		return out
	}
	points := func(where string, p int) {
		if p == 0 {
			bad("%s: points must not be 0", where)
		}
		if p > MaxPoints || p < -MaxPoints {
			bad("%s: points %d outside ±%d", where, p, MaxPoints)
		}
	}
	description := func(where, d string) {
		if len(d) > maxDescriptionLen {
			bad("%s: description is %d characters; at most %d", where, len(d), maxDescriptionLen)
		}
	}

	if len(m.Engagement) > MaxEngagementRules {
		bad("engagement: %d rules; at most %d", len(m.Engagement), MaxEngagementRules)
	}
	for i, r := range m.Engagement {
		where := fmt.Sprintf("engagement[%d]", i)
		claim(where, r.ID)
		description(where, r.Description)
		points(where, r.Points)
		ref := parseEvent(r.Event)
		if strings.TrimSpace(r.Event) == "" || len(r.Event) > maxEventLen {
			bad("%s: event must be a track event name or page, screen, identify, group (1-%d characters)", where, maxEventLen)
		}
		if r.Cap != nil {
			switch {
			case r.Points < 0:
				bad("%s: a cap on negative points; negative points are never capped", where)
			case r.Cap.Points <= 0:
				bad("%s: cap.points must be positive", where)
			case r.Cap.Points < r.Points:
				bad("%s: cap.points %d is below the rule's %d points, so every event would be cut", where, r.Cap.Points, r.Points)
			}
			if !r.Cap.Period.valid() {
				bad("%s: cap.period %q must be day, week or month", where, r.Cap.Period)
			}
		}
		er := &engagementRule{EngagementRule: r, filters: conditions(where+".filters", r.Filters, nsMessage)}
		if ref.typ != "" {
			c.byType[ref.typ] = append(c.byType[ref.typ], er)
		} else {
			c.byTrack[ref.track] = append(c.byTrack[ref.track], er)
		}
		c.rules[r.ID] = ruleInfo{kind: KindEngagement, description: r.Description}
	}

	if len(m.Fit) > MaxFitRules {
		bad("fit: %d rules; at most %d", len(m.Fit), MaxFitRules)
	}
	for i, r := range m.Fit {
		where := fmt.Sprintf("fit[%d]", i)
		claim(where, r.ID)
		description(where, r.Description)
		points(where, r.Points)
		if len(r.Conditions) == 0 {
			bad("%s: needs at least one condition", where)
		}
		c.fit = append(c.fit, fitRule{FitRule: r, conds: conditions(where+".conditions", r.Conditions, nsFacts)})
		c.rules[r.ID] = ruleInfo{kind: KindFit, description: r.Description}
	}

	switch hl := m.HalfLifeDays; {
	case math.IsNaN(hl) || math.IsInf(hl, 0):
		bad("half_life_days must be a number")
	case hl != 0 && (hl < MinHalfLifeDays || hl > MaxHalfLifeDays):
		bad("half_life_days %v: 0 (no decay) or between %d and %d", hl, MinHalfLifeDays, MaxHalfLifeDays)
	}

	c.transitions = compileStages(m.Stages, claim, conditions, bad)
	validateRouting(m.Routing, bad)

	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	return c, nil
}

func (p Period) valid() bool { return p == Day || p == Week || p == Month }

// eventRef is a parsed rule event: a message type, or a track event name.
type eventRef struct {
	typ   string // "page", "screen", "identify", "group"; "" for a track event
	track string // lower-cased track event name
}

func parseEvent(event string) eventRef {
	e := strings.ToLower(strings.TrimSpace(event))
	switch e {
	case "page", "screen", "identify", "group":
		return eventRef{typ: e}
	}
	return eventRef{track: e}
}

func (r eventRef) matches(msg *tracking.Message) bool {
	if r.typ != "" {
		return msg.Type == r.typ
	}
	return msg.Type == tracking.TypeTrack && strings.EqualFold(strings.TrimSpace(msg.Event), r.track)
}
