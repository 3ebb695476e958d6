package journey

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
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
}

// Predicate is a compiled condition. It sees the contact and the run, so a
// condition can ask whether a mail of this run was opened or clicked.
type Predicate interface {
	// Eval says whether the condition holds and why, in words for the
	// simulator's path and the run's history.
	Eval(c *Contact, r *Run) (bool, string)
}

// Conditions compiles conditions. The built-in BasicConditions is the port's
// stand-in until the segment filter language (shared/segment) is wired in;
// swapping it is this one interface.
type Conditions interface {
	Compile(raw json.RawMessage) (Predicate, error)
}

// BasicConditions is a small condition language:
//
//	{"all": [c...]} {"any": [c...]} {"not": c}
//	{"score": {"gte": 50}}   (gt, gte, lt, lte, eq)
//	{"tag": "vip"} {"stage": "mql"} {"segment": "customers"} {"subscribed": true}
//	{"trait": "plan", "eq": "pro"} {"trait": "plan", "exists": true}
//	{"clicked": "<step id>"} {"opened": "<step id>"}  (a mail of this run)
type BasicConditions struct{}

type predFunc func(c *Contact, r *Run) (bool, string)

func (f predFunc) Eval(c *Contact, r *Run) (bool, string) { return f(c, r) }

// Compile implements Conditions.
func (BasicConditions) Compile(raw json.RawMessage) (Predicate, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("condition is empty")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("condition must be an object")
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	str := func(k string) (string, error) {
		var s string
		if err := json.Unmarshal(obj[k], &s); err != nil || s == "" {
			return "", fmt.Errorf("%s needs a non-empty string", k)
		}
		return s, nil
	}
	one := func(want ...string) error {
		for _, k := range keys {
			if !slices.Contains(want, k) {
				return fmt.Errorf("unknown condition key %q", k)
			}
		}
		return nil
	}
	switch {
	case obj["all"] != nil || obj["any"] != nil:
		op := "all"
		if obj["any"] != nil {
			op = "any"
		}
		if err := one(op); err != nil {
			return nil, err
		}
		var parts []json.RawMessage
		if err := json.Unmarshal(obj[op], &parts); err != nil || len(parts) == 0 {
			return nil, fmt.Errorf("%s needs a list of conditions", op)
		}
		var ps []Predicate
		for _, p := range parts {
			c, err := BasicConditions{}.Compile(p)
			if err != nil {
				return nil, err
			}
			ps = append(ps, c)
		}
		return predFunc(func(c *Contact, r *Run) (bool, string) {
			var why []string
			for _, p := range ps {
				ok, w := p.Eval(c, r)
				why = append(why, w)
				if op == "all" && !ok {
					return false, w
				}
				if op == "any" && ok {
					return true, w
				}
			}
			return op == "all", strings.Join(why, " and ")
		}), nil
	case obj["not"] != nil:
		if err := one("not"); err != nil {
			return nil, err
		}
		inner, err := BasicConditions{}.Compile(obj["not"])
		if err != nil {
			return nil, err
		}
		return predFunc(func(c *Contact, r *Run) (bool, string) {
			ok, w := inner.Eval(c, r)
			return !ok, "not (" + w + ")"
		}), nil
	case obj["score"] != nil:
		if err := one("score"); err != nil {
			return nil, err
		}
		var cmp map[string]int
		if err := json.Unmarshal(obj["score"], &cmp); err != nil || len(cmp) != 1 {
			return nil, fmt.Errorf(`score needs one comparison, like {"gte": 50}`)
		}
		for op, v := range cmp {
			test, ok := map[string]func(int) bool{
				"gt": func(s int) bool { return s > v }, "gte": func(s int) bool { return s >= v },
				"lt": func(s int) bool { return s < v }, "lte": func(s int) bool { return s <= v },
				"eq": func(s int) bool { return s == v },
			}[op]
			if !ok {
				return nil, fmt.Errorf("score comparison %q: want gt, gte, lt, lte or eq", op)
			}
			return predFunc(func(c *Contact, _ *Run) (bool, string) {
				return test(c.Score), fmt.Sprintf("score %d %s %d", c.Score, op, v)
			}), nil
		}
	case obj["tag"] != nil:
		if err := one("tag"); err != nil {
			return nil, err
		}
		t, err := str("tag")
		if err != nil {
			return nil, err
		}
		return predFunc(func(c *Contact, _ *Run) (bool, string) {
			ok := slices.Contains(c.Tags, t)
			return ok, fmt.Sprintf("tag %s %s", t, yesNo(ok, "present", "absent"))
		}), nil
	case obj["stage"] != nil:
		if err := one("stage"); err != nil {
			return nil, err
		}
		s, err := str("stage")
		if err != nil {
			return nil, err
		}
		return predFunc(func(c *Contact, _ *Run) (bool, string) {
			return c.Stage == s, fmt.Sprintf("stage is %q", c.Stage)
		}), nil
	case obj["segment"] != nil:
		if err := one("segment"); err != nil {
			return nil, err
		}
		s, err := str("segment")
		if err != nil {
			return nil, err
		}
		return predFunc(func(c *Contact, _ *Run) (bool, string) {
			ok := c.Segments[s]
			return ok, fmt.Sprintf("%s segment %s", yesNo(ok, "in", "not in"), s)
		}), nil
	case obj["subscribed"] != nil:
		if err := one("subscribed"); err != nil {
			return nil, err
		}
		var want bool
		if err := json.Unmarshal(obj["subscribed"], &want); err != nil {
			return nil, fmt.Errorf("subscribed needs true or false")
		}
		return predFunc(func(c *Contact, _ *Run) (bool, string) {
			return (c.Status == "subscribed") == want, fmt.Sprintf("subscription %q", c.Status)
		}), nil
	case obj["trait"] != nil:
		if err := one("trait", "eq", "exists"); err != nil {
			return nil, err
		}
		name, err := str("trait")
		if err != nil {
			return nil, err
		}
		if (obj["eq"] == nil) == (obj["exists"] == nil) {
			return nil, fmt.Errorf("trait needs eq or exists")
		}
		if obj["exists"] != nil {
			return predFunc(func(c *Contact, _ *Run) (bool, string) {
				_, ok := c.Traits[name]
				return ok, fmt.Sprintf("trait %s %s", name, yesNo(ok, "set", "not set"))
			}), nil
		}
		var want any
		_ = json.Unmarshal(obj["eq"], &want)
		return predFunc(func(c *Contact, _ *Run) (bool, string) {
			v := c.Traits[name]
			return equal(v, want), fmt.Sprintf("trait %s is %v", name, v)
		}), nil
	case obj["clicked"] != nil || obj["opened"] != nil:
		what := "clicked"
		if obj["opened"] != nil {
			what = "opened"
		}
		if err := one(what); err != nil {
			return nil, err
		}
		step, err := str(what)
		if err != nil {
			return nil, err
		}
		return predFunc(func(_ *Contact, r *Run) (bool, string) {
			ok := r != nil && r.engaged(step, what == "clicked")
			return ok, fmt.Sprintf("%s the mail of step %s", yesNo(ok, what, "has not "+what), step)
		}), nil
	}
	return nil, fmt.Errorf("unknown condition %v", keys)
}

// SegmentsIn lists the segments a condition names (for CheckRefs).
func SegmentsIn(raw json.RawMessage) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "segment" {
					out = append(out, s)
				} else {
					walk(e)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		walk(v)
	}
	return out
}

// StepsIn lists the steps a condition's clicked/opened name.
func StepsIn(raw json.RawMessage) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && (k == "clicked" || k == "opened") {
					out = append(out, s)
				} else {
					walk(e)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		walk(v)
	}
	return out
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
