// Package segment holds the segment filter language: the JSON grammar a
// segment definition is written in, its validator, and a pure evaluator
// over a contact's View (the profile plus its windowed counters). It has no
// storage and no AWS: membership is kept by shared/membership, which calls
// Eval from the processor pass that changed the contact.
//
// A filter is a tree of nodes. Each node is a JSON object with exactly one
// key: "all", "any" or "not" combine nodes; every other key is a condition
// (see Filter and README.md, "Segments").
package segment

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/lazyregexp"
)

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid segment")

// Limits keep a filter cheap to evaluate and its counters small on the
// profile (the 1 KB write-unit budget).
const (
	MaxDepth      = 8
	MaxConditions = 40
	// MaxWindowDays is the longest "in the last N days" window; day
	// buckets older than the longest window in use are pruned.
	MaxWindowDays = 90
	MaxInValues   = 100
	maxIDLen      = 64
)

// Filter is one node. Exactly one field is set.
type Filter struct {
	All []Filter `json:"all,omitempty"`
	Any []Filter `json:"any,omitempty"`
	Not *Filter  `json:"not,omitempty"`

	Trait *TraitCond `json:"trait,omitempty"`
	// Tag: the contact carries this tag.
	Tag string `json:"tag,omitempty"`
	// Score compares the fit, engagement or total lead score.
	Score *ScoreCond `json:"score,omitempty"`
	// Stage, Owner, Team and Status match a value among In, or its
	// presence with Exists.
	Stage  *ValueCond `json:"stage,omitempty"`
	Owner  *ValueCond `json:"owner,omitempty"`
	Team   *ValueCond `json:"team,omitempty"`
	Status *ValueCond `json:"status,omitempty"`
	// Consent: the contact gave consent for this purpose ("marketing").
	Consent string `json:"consent,omitempty"`
	// Topic: the contact is subscribed and has not switched this topic off.
	Topic string `json:"topic,omitempty"`
	// Interest: the interest's count is at least Min (default 1).
	Interest *InterestCond `json:"interest,omitempty"`
	Created  *DateCond     `json:"created,omitempty"`
	LastSeen *DateCond     `json:"last_seen,omitempty"`
	// Email counts email opens or clicks in a window.
	Email *EmailCond `json:"email,omitempty"`
	// Event counts tracked events by name or page path prefix in a window.
	Event *EventCond `json:"event,omitempty"`
	// Segment and List: membership of another segment or a static list.
	Segment string `json:"segment,omitempty"`
	List    string `json:"list,omitempty"`
}

// Trait operators.
const (
	OpEquals        = "equals"
	OpNotEquals     = "not_equals"
	OpContains      = "contains"
	OpIn            = "in"
	OpExists        = "exists"
	OpNotExists     = "not_exists"
	OpGT            = "gt"
	OpGTE           = "gte"
	OpLT            = "lt"
	OpLTE           = "lte"
	OpBefore        = "before"
	OpAfter         = "after"
	OpWithinDays    = "within_days"
	OpOlderThanDays = "older_than_days"
)

// TraitCond tests one trait. Value is the operand of equals, not_equals,
// contains, gt/gte/lt/lte (a number) and before/after (a date: RFC 3339
// or YYYY-MM-DD, a date read in the segment's time zone); Values of in;
// Days of within_days and older_than_days.
type TraitCond struct {
	Key    string `json:"key"`
	Op     string `json:"op"`
	Value  any    `json:"value,omitempty"`
	Values []any  `json:"values,omitempty"`
	Days   int    `json:"days,omitempty"`
}

// ScoreCond compares a score: Kind is fit, engagement or total; Op one of
// gt, gte, lt, lte, equals.
type ScoreCond struct {
	Kind  string  `json:"kind"`
	Op    string  `json:"op"`
	Value float64 `json:"value"`
}

// ValueCond matches a string field: one of In, or, with Exists, whether
// it is set at all.
type ValueCond struct {
	In     []string `json:"in,omitempty"`
	Exists *bool    `json:"exists,omitempty"`
}

// InterestCond: the interest's count is at least Min (0 means 1).
type InterestCond struct {
	Name string `json:"name"`
	Min  int    `json:"min,omitempty"`
}

// DateCond tests a timestamp of the profile: within the last WithinDays
// days, longer than OlderThanDays ago, Before or After a date.
type DateCond struct {
	WithinDays    int    `json:"within_days,omitempty"`
	OlderThanDays int    `json:"older_than_days,omitempty"`
	Before        string `json:"before,omitempty"`
	After         string `json:"after,omitempty"`
}

// Window counts: at least Min (default 1 when Max is unset) and at most Max
// times in the last WithinDays days. {"max": 0} is "did not".
type Window struct {
	WithinDays int  `json:"within_days"`
	Min        *int `json:"min,omitempty"`
	Max        *int `json:"max,omitempty"`
}

// EmailCond counts email engagement. Action is opened, clicked or any;
// Template narrows to one template; machine opens and clicks (privacy
// proxies, link scanners) count only with IncludeMachine.
type EmailCond struct {
	Action         string `json:"action"`
	Template       string `json:"template,omitempty"`
	IncludeMachine bool   `json:"include_machine,omitempty"`
	Window
}

// EventCond counts tracked events named Name, or page views whose path is
// under PathPrefix.
type EventCond struct {
	Name       string `json:"name,omitempty"`
	PathPrefix string `json:"path_prefix,omitempty"`
	Window
}

// Email actions.
const (
	ActionOpened  = "opened"
	ActionClicked = "clicked"
	ActionAny     = "any"
)

// Score kinds.
const (
	ScoreFit        = "fit"
	ScoreEngagement = "engagement"
	ScoreTotal      = "total"
)

// Statuses a contact can have.
var Statuses = []string{"subscribed", "pending", "unsubscribed", "suppressed", "none"}

var idPattern = lazyregexp.New(`^[a-z0-9][a-z0-9_-]*$`)

// ValidID reports whether s can name a segment or list.
func ValidID(s string) bool { return len(s) <= maxIDLen && idPattern.MatchString(s) }

// Validate checks the tree alone (shape, operators, windows). Whether
// referenced segments exist and form no cycle is CheckRefs' job.
func (f Filter) Validate() error {
	n := 0
	if err := f.validate("filter", 0, &n); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

func (f Filter) kinds() []string {
	var ks []string
	add := func(set bool, k string) {
		if set {
			ks = append(ks, k)
		}
	}
	add(f.All != nil, "all")
	add(f.Any != nil, "any")
	add(f.Not != nil, "not")
	add(f.Trait != nil, "trait")
	add(f.Tag != "", "tag")
	add(f.Score != nil, "score")
	add(f.Stage != nil, "stage")
	add(f.Owner != nil, "owner")
	add(f.Team != nil, "team")
	add(f.Status != nil, "status")
	add(f.Consent != "", "consent")
	add(f.Topic != "", "topic")
	add(f.Interest != nil, "interest")
	add(f.Created != nil, "created")
	add(f.LastSeen != nil, "last_seen")
	add(f.Email != nil, "email")
	add(f.Event != nil, "event")
	add(f.Segment != "", "segment")
	add(f.List != "", "list")
	return ks
}

func (f Filter) validate(at string, depth int, n *int) error {
	if depth > MaxDepth {
		return fmt.Errorf("%s: nested deeper than %d", at, MaxDepth)
	}
	ks := f.kinds()
	switch len(ks) {
	case 0:
		return fmt.Errorf("%s: empty node (give one of all, any, not or a condition)", at)
	case 1:
	default:
		return fmt.Errorf("%s: a node has exactly one key, got %s (wrap them in \"all\")", at, strings.Join(ks, ", "))
	}
	if ks[0] != "all" && ks[0] != "any" && ks[0] != "not" {
		*n++
		if *n > MaxConditions {
			return fmt.Errorf("%s: more than %d conditions", at, MaxConditions)
		}
	}
	at = at + "." + ks[0]
	switch ks[0] {
	case "all", "any":
		list := f.All
		if ks[0] == "any" {
			list = f.Any
		}
		if len(list) == 0 {
			return fmt.Errorf("%s: needs at least one node", at)
		}
		for i, c := range list {
			if err := c.validate(fmt.Sprintf("%s[%d]", at, i), depth+1, n); err != nil {
				return err
			}
		}
	case "not":
		return f.Not.validate(at, depth+1, n)
	case "trait":
		return f.Trait.validate(at)
	case "score":
		switch f.Score.Kind {
		case ScoreFit, ScoreEngagement, ScoreTotal:
		default:
			return fmt.Errorf("%s.kind: %q is not fit, engagement or total", at, f.Score.Kind)
		}
		switch f.Score.Op {
		case OpGT, OpGTE, OpLT, OpLTE, OpEquals:
		default:
			return fmt.Errorf("%s.op: %q is not gt, gte, lt, lte or equals", at, f.Score.Op)
		}
	case "stage", "owner", "team", "status":
		v := map[string]*ValueCond{"stage": f.Stage, "owner": f.Owner, "team": f.Team, "status": f.Status}[ks[0]]
		if (len(v.In) == 0) == (v.Exists == nil) {
			return fmt.Errorf("%s: give either in or exists", at)
		}
		if len(v.In) > MaxInValues {
			return fmt.Errorf("%s.in: more than %d values", at, MaxInValues)
		}
		for _, s := range v.In {
			if s == "" {
				return fmt.Errorf("%s.in: empty value", at)
			}
			if ks[0] == "status" && !contains(Statuses, s) {
				return fmt.Errorf("%s.in: %q is not one of %s", at, s, strings.Join(Statuses, ", "))
			}
		}
	case "interest":
		if f.Interest.Name == "" || f.Interest.Min < 0 {
			return fmt.Errorf("%s: needs a name and a min of 0 or more", at)
		}
	case "created", "last_seen":
		d := f.Created
		if d == nil {
			d = f.LastSeen
		}
		return d.validate(at)
	case "email":
		switch f.Email.Action {
		case ActionOpened, ActionClicked, ActionAny:
		default:
			return fmt.Errorf("%s.action: %q is not opened, clicked or any", at, f.Email.Action)
		}
		return f.Email.Window.validate(at)
	case "event":
		e := f.Event
		if (e.Name == "") == (e.PathPrefix == "") {
			return fmt.Errorf("%s: give either name or path_prefix", at)
		}
		if e.PathPrefix != "" && !strings.HasPrefix(e.PathPrefix, "/") {
			return fmt.Errorf("%s.path_prefix: %q must start with /", at, e.PathPrefix)
		}
		if len(e.Name) > 200 || len(e.PathPrefix) > 200 {
			return fmt.Errorf("%s: name or path_prefix over 200 bytes", at)
		}
		return e.Window.validate(at)
	case "segment", "list":
		id := f.Segment + f.List
		if !ValidID(id) {
			return fmt.Errorf("%s: %q is not a valid id", at, id)
		}
	}
	return nil
}

func (t *TraitCond) validate(at string) error {
	if t.Key == "" {
		return fmt.Errorf("%s.key: required", at)
	}
	needValue := func() error {
		if t.Value == nil {
			return fmt.Errorf("%s: %s needs a value", at, t.Op)
		}
		return nil
	}
	switch t.Op {
	case OpEquals, OpNotEquals:
		if err := needValue(); err != nil {
			return err
		}
		switch t.Value.(type) {
		case string, float64, bool:
		default:
			return fmt.Errorf("%s.value: a string, number or boolean", at)
		}
	case OpContains:
		if s, ok := t.Value.(string); !ok || s == "" {
			return fmt.Errorf("%s.value: contains needs a non-empty string", at)
		}
	case OpIn:
		if len(t.Values) == 0 || len(t.Values) > MaxInValues {
			return fmt.Errorf("%s.values: in needs 1 to %d values", at, MaxInValues)
		}
		for _, v := range t.Values {
			switch v.(type) {
			case string, float64, bool:
			default:
				return fmt.Errorf("%s.values: strings, numbers or booleans", at)
			}
		}
	case OpExists, OpNotExists:
	case OpGT, OpGTE, OpLT, OpLTE:
		if _, ok := t.Value.(float64); !ok {
			return fmt.Errorf("%s.value: %s needs a number", at, t.Op)
		}
	case OpBefore, OpAfter:
		s, ok := t.Value.(string)
		if !ok {
			return fmt.Errorf("%s.value: %s needs a date", at, t.Op)
		}
		if _, err := parseDate(s, time.UTC); err != nil {
			return fmt.Errorf("%s.value: %w", at, err)
		}
	case OpWithinDays, OpOlderThanDays:
		if t.Days < 1 || t.Days > 3650 {
			return fmt.Errorf("%s.days: %s needs 1 to 3650 days", at, t.Op)
		}
	default:
		return fmt.Errorf("%s.op: unknown operator %q", at, t.Op)
	}
	return nil
}

func (d *DateCond) validate(at string) error {
	set := 0
	for _, b := range []bool{d.WithinDays != 0, d.OlderThanDays != 0, d.Before != "", d.After != ""} {
		if b {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("%s: give one of within_days, older_than_days, before, after", at)
	}
	if d.WithinDays < 0 || d.OlderThanDays < 0 || d.WithinDays > 3650 || d.OlderThanDays > 3650 {
		return fmt.Errorf("%s: days must be 1 to 3650", at)
	}
	for _, s := range []string{d.Before, d.After} {
		if s != "" {
			if _, err := parseDate(s, time.UTC); err != nil {
				return fmt.Errorf("%s: %w", at, err)
			}
		}
	}
	return nil
}

func (w Window) validate(at string) error {
	if w.WithinDays < 1 || w.WithinDays > MaxWindowDays {
		return fmt.Errorf("%s.within_days: must be 1 to %d, got %d", at, MaxWindowDays, w.WithinDays)
	}
	if w.Min != nil && *w.Min < 0 || w.Max != nil && *w.Max < 0 {
		return fmt.Errorf("%s: min and max must not be negative", at)
	}
	if w.Min != nil && w.Max != nil && *w.Min > *w.Max {
		return fmt.Errorf("%s: min %d is above max %d", at, *w.Min, *w.Max)
	}
	if w.Min != nil && *w.Min > 1<<20 || w.Max != nil && *w.Max > 1<<20 {
		return fmt.Errorf("%s: min and max must be under %d", at, 1<<20)
	}
	return nil
}

func (w Window) bounds() (lo, hi int) {
	lo, hi = 1, -1
	if w.Max != nil {
		lo, hi = 0, *w.Max
	}
	if w.Min != nil {
		lo = *w.Min
	}
	return lo, hi
}

// parseDate reads RFC 3339 or a calendar date (midnight in loc).
func parseDate(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (RFC 3339 or YYYY-MM-DD)", s)
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
