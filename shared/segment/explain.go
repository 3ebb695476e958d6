package segment

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Explain evaluates the program like Eval and says why, in words: each
// condition it looked at with the contact's value and whether it held.
// A journey's simulator path and run history show it for every branch.
// It allocates (Eval does not): use it where the reason is kept.
func (p *Program) Explain(v *View, now time.Time) (bool, string) {
	return explain(p.src, p.root, v, now, Day(now))
}

// explain walks the source filter beside its compiled node: compile keeps
// the same shape (all/any hold one node per child, not wraps one).
func explain(f Filter, n node, v *View, now time.Time, today int32) (bool, string) {
	switch {
	case f.All != nil || f.Any != nil:
		children, kids, isAll := f.All, []node(nil), f.All != nil
		if isAll {
			kids = n.(allNode)
		} else {
			children, kids = f.Any, n.(anyNode)
		}
		var why []string
		for i, c := range children {
			ok, w := explain(c, kids[i], v, now, today)
			// Stop where the answer is decided, as Eval does.
			if isAll && !ok || !isAll && ok {
				return ok, w
			}
			why = append(why, w)
		}
		sep := " and "
		if !isAll {
			sep = "; "
		}
		return isAll, strings.Join(why, sep)
	case f.Not != nil:
		ok, w := explain(*f.Not, n.(notNode).n, v, now, today)
		return !ok, "not (" + w + ")"
	}
	ok := n.eval(v, now, today)
	return ok, describe(f, v) + ": " + yesNo(ok)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

// describe names one condition with the contact's value where it has one.
func describe(f Filter, v *View) string {
	switch {
	case f.Trait != nil:
		t := f.Trait
		got, ok := v.Traits[t.Key]
		have := "not set"
		if ok && got != nil {
			have = fmt.Sprintf("%v", got)
		}
		want := ""
		switch {
		case t.Values != nil:
			want = fmt.Sprintf(" %v", t.Values)
		case t.Days != 0:
			want = fmt.Sprintf(" %d days", t.Days)
		case t.Value != nil:
			want = fmt.Sprintf(" %v", t.Value)
		}
		return fmt.Sprintf("trait %s %s%s (is %s)", t.Key, t.Op, want, have)
	case f.Tag != "":
		return "tag " + f.Tag
	case f.Score != nil:
		x := v.Total
		switch f.Score.Kind {
		case ScoreFit:
			x = v.Fit
		case ScoreEngagement:
			x = v.Engagement
		}
		return fmt.Sprintf("%s score %g %s %g", f.Score.Kind, x, f.Score.Op, f.Score.Value)
	case f.Stage != nil:
		return valueWords("stage", *f.Stage, v.Stage)
	case f.Owner != nil:
		return valueWords("owner", *f.Owner, v.Owner)
	case f.Team != nil:
		return valueWords("team", *f.Team, v.Team)
	case f.Status != nil:
		return valueWords("status", *f.Status, v.status())
	case f.Segment != "":
		return "in segment " + f.Segment
	case f.List != "":
		return "on list " + f.List
	case f.JourneyEmail != nil:
		which := "a mail of this journey"
		if f.JourneyEmail.Step != "" {
			which = "the mail of step " + f.JourneyEmail.Step
		}
		return f.JourneyEmail.Action + " " + which
	}
	b, _ := json.Marshal(f)
	return string(b)
}

func valueWords(name string, c ValueCond, got string) string {
	if got == "" {
		got = "none"
	}
	if c.Exists != nil {
		return fmt.Sprintf("%s set=%v (is %s)", name, *c.Exists, got)
	}
	return fmt.Sprintf("%s in %v (is %s)", name, c.In, got)
}

// ListRefs lists the static lists the filter refers to.
func (f Filter) ListRefs() []string {
	var out []string
	f.walk(func(n Filter) {
		if n.List != "" && !contains(out, n.List) {
			out = append(out, n.List)
		}
	})
	return out
}

// JourneyEmails lists the journey_email conditions of the filter.
func (f Filter) JourneyEmails() []JourneyEmailCond {
	var out []JourneyEmailCond
	f.walk(func(n Filter) {
		if n.JourneyEmail != nil {
			out = append(out, *n.JourneyEmail)
		}
	})
	return out
}
