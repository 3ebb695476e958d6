package journey

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/segment"
)

// Contact is what the engine sees of a contact: a view built from the
// profile by the runtime, or from a timeline by the simulator.
type Contact struct {
	ID       string         `json:"id"`
	Email    string         `json:"email,omitempty"`
	Status   string         `json:"status,omitempty"` // subscription status
	Timezone string         `json:"timezone,omitempty"`
	Traits   map[string]any `json:"traits,omitempty"`
	Tags     []string       `json:"tags,omitempty"`
	Stage    string         `json:"stage,omitempty"`
	Score    int            `json:"score"`
	// Segments the contact is in (from the membership index, when there is one).
	Segments map[string]bool `json:"segments,omitempty"`
	// Lists the contact is on.
	Lists []string `json:"lists,omitempty"`
	// Base is the runtime's full filter view of the profile (fit and
	// engagement scores, counters, consents, owner...); nil in a simulation,
	// where conditions see the fields above.
	Base *segment.View `json:"-"`
}

// Condition is a compiled branch or goal condition: a filter of the
// segment language (shared/segment), where journey_email asks about the
// mail of an earlier step of the same run.
type Condition struct {
	prog *segment.Program
}

// ParseCondition reads a condition strictly (an unknown key is an error,
// not an empty node) and checks it can be evaluated.
func ParseCondition(raw json.RawMessage) (segment.Filter, error) {
	var f segment.Filter
	if len(raw) == 0 {
		return f, fmt.Errorf("condition is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("not a segment filter: %w", err)
	}
	if err := f.ValidateInJourney(); err != nil {
		return f, err
	}
	return f, nil
}

// CompileCondition parses and compiles a condition.
func CompileCondition(raw json.RawMessage) (*Condition, error) {
	f, err := ParseCondition(raw)
	if err != nil {
		return nil, err
	}
	p, err := segment.CompileCondition(f)
	if err != nil {
		return nil, err
	}
	return &Condition{prog: p}, nil
}

// Holds says whether the condition holds, without the reason (goals are
// checked on every change; only a met one needs its reason).
func (c *Condition) Holds(ct *Contact, r *Run, now time.Time) bool {
	return c.prog.Eval(ct.View(r), now)
}

// Eval says whether the condition holds for the contact in run r at now,
// and why, in words for the simulator's path and the run's history.
func (c *Condition) Eval(ct *Contact, r *Run, now time.Time) (bool, string) {
	return c.prog.Explain(ct.View(r), now)
}

// View is what a condition sees: the runtime's full view (Base) with the
// fields the engine itself changes in a pass (an update step's tags,
// traits, stage and score points) and the run's mail engagement on top.
func (c *Contact) View(r *Run) *segment.View {
	v := &segment.View{}
	if c.Base != nil {
		*v = *c.Base
	}
	v.Traits, v.Tags, v.Stage = c.Traits, c.Tags, c.Stage
	v.Total = float64(c.Score)
	switch c.Status {
	case "suppressed":
		v.Status, v.Suppressed = "", true
	default:
		v.Status = c.Status
	}
	v.Segments = v.Segments[:0:0]
	for id, in := range c.Segments {
		if in {
			v.Segments = append(v.Segments, id)
		}
	}
	sort.Strings(v.Segments)
	if c.Lists != nil {
		v.Lists = c.Lists
	}
	if r != nil {
		v.Run = &segment.RunMail{Opened: r.Opened, Clicked: r.Clicked}
	}
	return v
}

func yesNo(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

func equal(a, b any) bool {
	if fa, ok := toFloat(a); ok {
		fb, ok := toFloat(b)
		return ok && fa == fb
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// matches reports whether event properties pass every filter.
func matches(props map[string]any, fs []Filter) bool {
	for _, f := range fs {
		v, ok := props[f.Property]
		switch f.Op {
		case "exists":
			if !ok {
				return false
			}
		case "eq":
			if !ok || !equal(v, f.Value) {
				return false
			}
		case "ne":
			if ok && equal(v, f.Value) {
				return false
			}
		case "contains":
			if !ok || !strings.Contains(fmt.Sprint(v), fmt.Sprint(f.Value)) {
				return false
			}
		case "gt", "lt":
			a, ok1 := toFloat(v)
			b, ok2 := toFloat(f.Value)
			if !ok1 || !ok2 || (f.Op == "gt" && a <= b) || (f.Op == "lt" && a >= b) {
				return false
			}
		}
	}
	return true
}
