package segment

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// View is what a filter sees of a contact: the profile's fields, its scores
// read at the evaluation time, its counters and its memberships. The
// processor builds it from the working profile without another read.
type View struct {
	Traits             map[string]any
	Tags               []string
	Fit                float64
	Engagement         float64
	Total              float64
	Stage              string
	Owner              string
	Team               string
	Status             string // "", pending, subscribed, unsubscribed
	Suppressed         bool
	ConsentPurposes    []string
	UnsubscribedTopics []string
	Interests          map[string]int
	Created            time.Time
	LastSeen           time.Time
	Counters           Counters
	// Segments are the segments the contact is in; a Set updates it as it
	// evaluates (in dependency order). Lists are its static lists.
	Segments []string
	Lists    []string
	// Run is the journey run a branch or goal is evaluated for (nil for a
	// segment): which of its email steps' mails were opened or clicked.
	Run *RunMail
}

// RunMail is a journey run's mail engagement: the email steps whose mail
// was opened, and those whose mail was clicked.
type RunMail struct {
	Opened  []string
	Clicked []string
}

// status is the contact's status in the filter's terms.
func (v *View) status() string {
	switch {
	case v.Suppressed:
		return "suppressed"
	case v.Status == "":
		return "none"
	}
	return v.Status
}

// Segment is a segment definition (definitions/segments/<id>.json).
type Segment struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Timezone is where a date-only value (YYYY-MM-DD) starts its day;
	// UTC when empty. Day buckets of counters are UTC days.
	Timezone string `json:"timezone,omitempty"`
	Filter   Filter `json:"filter"`
}

// Validate implements definition.Validator: the segment alone.
func (s Segment) Validate() error {
	if !ValidID(s.ID) {
		return fmt.Errorf("%w: id %q: lowercase letters, digits, - and _, up to %d", ErrInvalid, s.ID, maxIDLen)
	}
	if strings.TrimSpace(s.Name) == "" || len(s.Name) > 200 {
		return fmt.Errorf("%w: name is required (up to 200 bytes)", ErrInvalid)
	}
	if s.Timezone != "" {
		if _, err := time.LoadLocation(s.Timezone); err != nil {
			return fmt.Errorf("%w: timezone %q: %v", ErrInvalid, s.Timezone, err)
		}
	}
	if err := s.Filter.Validate(); err != nil {
		return err
	}
	if refs := s.Filter.SegmentRefs(); contains(refs, s.ID) {
		return fmt.Errorf("%w: segment %s refers to itself", ErrInvalid, s.ID)
	}
	return nil
}

// SegmentRefs lists the segments the filter refers to.
func (f Filter) SegmentRefs() []string {
	var out []string
	f.walk(func(n Filter) {
		if n.Segment != "" && !contains(out, n.Segment) {
			out = append(out, n.Segment)
		}
	})
	return out
}

func (f Filter) walk(fn func(Filter)) {
	fn(f)
	for _, c := range f.All {
		c.walk(fn)
	}
	for _, c := range f.Any {
		c.walk(fn)
	}
	if f.Not != nil {
		f.Not.walk(fn)
	}
}

// CheckRefs checks a whole set of segments: every referenced segment
// exists and no segment depends on itself through others. The registry's
// admin path calls it with the set as it would be after the save.
func CheckRefs(segs []Segment) error {
	_, err := order(segs)
	return err
}

// order sorts segments so each comes after those it refers to.
func order(segs []Segment) ([]Segment, error) {
	byID := map[string]Segment{}
	for _, s := range segs {
		byID[s.ID] = s
	}
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var out []Segment
	var visit func(id string, path []string) error
	visit = func(id string, path []string) error {
		switch color[id] {
		case grey:
			return fmt.Errorf("%w: segments refer to each other in a cycle: %s", ErrInvalid, strings.Join(append(path, id), " -> "))
		case black:
			return nil
		}
		s, ok := byID[id]
		if !ok {
			return fmt.Errorf("%w: segment %s refers to unknown segment %s", ErrInvalid, path[len(path)-1], id)
		}
		color[id] = grey
		for _, r := range s.Filter.SegmentRefs() {
			if err := visit(r, append(path, id)); err != nil {
				return err
			}
		}
		color[id] = black
		out = append(out, s)
		return nil
	}
	for _, s := range segs {
		if err := visit(s.ID, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Program is a compiled segment: Eval is allocation-free.
type Program struct {
	ID    string
	root  node
	src   Filter
	needs Needs
	loc   *time.Location
}

// node is a compiled filter node; next reports the earliest time after now
// at which its value may change by time alone (zero: never).
type node interface {
	eval(v *View, now time.Time, today int32) bool
	next(v *View, now time.Time, today int32) time.Time
}

// Compile validates and compiles one segment.
func Compile(s Segment) (*Program, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	loc := time.UTC
	if s.Timezone != "" {
		loc, _ = time.LoadLocation(s.Timezone)
	}
	p := &Program{ID: s.ID, needs: Needs{}, loc: loc, src: s.Filter}
	p.root = p.compile(s.Filter)
	return p, nil
}

// CompileCondition validates and compiles a journey's branch or goal
// condition (ValidateInJourney); date-only values are read in UTC.
func CompileCondition(f Filter) (*Program, error) {
	if err := f.ValidateInJourney(); err != nil {
		return nil, err
	}
	p := &Program{needs: Needs{}, loc: time.UTC, src: f}
	p.root = p.compile(f)
	return p, nil
}

// Eval reports whether the contact matches at now.
func (p *Program) Eval(v *View, now time.Time) bool {
	return p.root.eval(v, now, Day(now))
}

// NextChange is the earliest time after now at which the result may change
// with nothing happening to the contact (a counted event leaving its
// window, a date condition crossing its threshold); zero when time alone
// never changes it. Engagement decay is not included: a decayed score is
// seen at the contact's next change or rebuild.
func (p *Program) NextChange(v *View, now time.Time) time.Time {
	return p.root.next(v, now, Day(now))
}

// Needs are the counters the segment reads.
func (p *Program) Needs() Needs { return p.needs }

func (p *Program) compile(f Filter) node {
	switch {
	case f.All != nil:
		return allNode(p.compileAll(f.All))
	case f.Any != nil:
		return anyNode(p.compileAll(f.Any))
	case f.Not != nil:
		return notNode{p.compile(*f.Not)}
	case f.Trait != nil:
		return p.compileTrait(*f.Trait)
	case f.Tag != "":
		return sliceHas{get: func(v *View) []string { return v.Tags }, s: f.Tag}
	case f.Score != nil:
		return scoreNode(*f.Score)
	case f.Stage != nil:
		return valueNode{cond: *f.Stage, get: func(v *View) string { return v.Stage }}
	case f.Owner != nil:
		return valueNode{cond: *f.Owner, get: func(v *View) string { return v.Owner }}
	case f.Team != nil:
		return valueNode{cond: *f.Team, get: func(v *View) string { return v.Team }}
	case f.Status != nil:
		return valueNode{cond: *f.Status, get: (*View).status}
	case f.Consent != "":
		return consentNode(f.Consent)
	case f.Topic != "":
		return topicNode(f.Topic)
	case f.Interest != nil:
		return interestNode(*f.Interest)
	case f.Created != nil:
		return p.compileDate(*f.Created, func(v *View) time.Time { return v.Created })
	case f.LastSeen != nil:
		return p.compileDate(*f.LastSeen, func(v *View) time.Time { return v.LastSeen })
	case f.Email != nil:
		e := f.Email
		keys := emailKeys(e.Action, e.Template, e.IncludeMachine)
		for _, k := range keys {
			p.needs.add(k, e.WithinDays)
		}
		return p.window(keys, e.Window)
	case f.Event != nil:
		key := keyEvent + f.Event.Name
		if f.Event.PathPrefix != "" {
			key = keyPath + f.Event.PathPrefix
		}
		p.needs.add(key, f.Event.WithinDays)
		return p.window([]string{key}, f.Event.Window)
	case f.Segment != "":
		return sliceHas{get: func(v *View) []string { return v.Segments }, s: f.Segment}
	case f.List != "":
		return sliceHas{get: func(v *View) []string { return v.Lists }, s: f.List}
	case f.JourneyEmail != nil:
		return runMailNode(*f.JourneyEmail)
	}
	return constNode(false)
}

func (p *Program) compileAll(fs []Filter) []node {
	out := make([]node, len(fs))
	for i, f := range fs {
		out[i] = p.compile(f)
	}
	return out
}

type allNode []node

func (n allNode) eval(v *View, now time.Time, today int32) bool {
	for _, c := range n {
		if !c.eval(v, now, today) {
			return false
		}
	}
	return true
}

// next: a matching all changes when any child does; one that does not
// match only once every failing child has changed, so never if one of them
// never changes by time alone (most "at least N in a window" conditions: a
// count only falls with time).
func (n allNode) next(v *View, now time.Time, today int32) time.Time {
	if n.eval(v, now, today) {
		return earliest(n, v, now, today)
	}
	return latestOf(n, false, v, now, today)
}

// latestOf is the latest change among the children whose value is want,
// zero if one of them never changes: none of them changes before it, and
// the parent cannot change until all of them have.
func latestOf(ns []node, want bool, v *View, now time.Time, today int32) time.Time {
	var out time.Time
	for _, c := range ns {
		if c.eval(v, now, today) != want {
			continue
		}
		t := c.next(v, now, today)
		if t.IsZero() {
			return time.Time{}
		}
		if t.After(out) {
			out = t
		}
	}
	return out
}

type anyNode []node

func (n anyNode) eval(v *View, now time.Time, today int32) bool {
	for _, c := range n {
		if c.eval(v, now, today) {
			return true
		}
	}
	return false
}

// next mirrors allNode: a matching any changes only once every matching
// child has.
func (n anyNode) next(v *View, now time.Time, today int32) time.Time {
	if n.eval(v, now, today) {
		return latestOf(n, true, v, now, today)
	}
	return earliest(n, v, now, today)
}

// earliest is the soonest change of any child: conservative (the combined
// result may not change then), which costs one re-evaluation at most.
func earliest(ns []node, v *View, now time.Time, today int32) time.Time {
	var out time.Time
	for _, c := range ns {
		out = sooner(out, c.next(v, now, today))
	}
	return out
}

func sooner(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

type notNode struct{ n node }

func (n notNode) eval(v *View, now time.Time, today int32) bool { return !n.n.eval(v, now, today) }
func (n notNode) next(v *View, now time.Time, today int32) time.Time {
	return n.n.next(v, now, today)
}

type constNode bool

func (n constNode) eval(*View, time.Time, int32) bool    { return bool(n) }
func (constNode) next(*View, time.Time, int32) time.Time { return time.Time{} }

// timeless is embedded by nodes whose value does not depend on the clock.
type timeless struct{}

func (timeless) next(*View, time.Time, int32) time.Time { return time.Time{} }

type sliceHas struct {
	timeless
	get func(*View) []string
	s   string
}

func (n sliceHas) eval(v *View, _ time.Time, _ int32) bool { return contains(n.get(v), n.s) }

type valueNode struct {
	timeless
	cond ValueCond
	get  func(*View) string
}

func (n valueNode) eval(v *View, _ time.Time, _ int32) bool {
	val := n.get(v)
	if n.cond.Exists != nil {
		return (val != "") == *n.cond.Exists
	}
	return contains(n.cond.In, val)
}

type scoreNode ScoreCond

func (n scoreNode) eval(v *View, _ time.Time, _ int32) bool {
	x := v.Total
	switch n.Kind {
	case ScoreFit:
		x = v.Fit
	case ScoreEngagement:
		x = v.Engagement
	}
	return compare(n.Op, x, n.Value)
}

func (scoreNode) next(*View, time.Time, int32) time.Time { return time.Time{} }

func compare(op string, x, y float64) bool {
	switch op {
	case OpGT:
		return x > y
	case OpGTE:
		return x >= y
	case OpLT:
		return x < y
	case OpLTE:
		return x <= y
	case OpEquals:
		return x == y
	}
	return false
}

type consentNode string

// A consent counts while the contact has not unsubscribed from marketing.
func (n consentNode) eval(v *View, _ time.Time, _ int32) bool {
	return v.Status != "unsubscribed" && !v.Suppressed && contains(v.ConsentPurposes, string(n))
}
func (consentNode) next(*View, time.Time, int32) time.Time { return time.Time{} }

type topicNode string

func (n topicNode) eval(v *View, _ time.Time, _ int32) bool {
	return v.Status == "subscribed" && !v.Suppressed && !contains(v.UnsubscribedTopics, string(n))
}
func (topicNode) next(*View, time.Time, int32) time.Time { return time.Time{} }

// runMailNode is false outside a journey run (a View with no Run).
type runMailNode JourneyEmailCond

func (n runMailNode) eval(v *View, _ time.Time, _ int32) bool {
	if v.Run == nil {
		return false
	}
	has := func(steps []string) bool {
		if n.Step == "" {
			return len(steps) > 0
		}
		return contains(steps, n.Step)
	}
	if n.Action == ActionClicked {
		return has(v.Run.Clicked)
	}
	return has(v.Run.Opened) || has(v.Run.Clicked)
}
func (runMailNode) next(*View, time.Time, int32) time.Time { return time.Time{} }

type interestNode InterestCond

func (n interestNode) eval(v *View, _ time.Time, _ int32) bool {
	return v.Interests[n.Name] >= max(n.Min, 1)
}
func (interestNode) next(*View, time.Time, int32) time.Time { return time.Time{} }

// dateNode tests a time: within the last days, older than days, or
// before/after a fixed instant.
type dateNode struct {
	get           func(*View) time.Time
	within, older time.Duration
	before, after time.Time
}

func (p *Program) compileDate(d DateCond, get func(*View) time.Time) node {
	n := dateNode{get: get, within: days(d.WithinDays), older: days(d.OlderThanDays)}
	if d.Before != "" {
		n.before, _ = parseDate(d.Before, p.loc)
	}
	if d.After != "" {
		n.after, _ = parseDate(d.After, p.loc)
	}
	return n
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func (n dateNode) eval(v *View, now time.Time, _ int32) bool {
	return n.test(n.get(v), now)
}

func (n dateNode) test(t, now time.Time) bool {
	if t.IsZero() {
		return false
	}
	switch {
	case n.within > 0:
		// In the last N days: not in the future, and less than N x 24 h ago.
		return !t.After(now) && now.Sub(t) < n.within
	case n.older > 0:
		return now.Sub(t) >= n.older
	case !n.before.IsZero():
		return t.Before(n.before)
	case !n.after.IsZero():
		return t.After(n.after)
	}
	return false
}

func (n dateNode) next(v *View, now time.Time, _ int32) time.Time {
	return n.nextFor(n.get(v), now)
}

func (n dateNode) nextFor(t, now time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	var at time.Time
	switch {
	case n.within > 0:
		if t.After(now) {
			at = t // a future date enters the window when it comes
		} else {
			at = t.Add(n.within)
		}
	case n.older > 0:
		at = t.Add(n.older)
	}
	if !at.After(now) {
		return time.Time{}
	}
	return at
}

type windowNode struct {
	keys   []string
	days   int
	lo, hi int // hi < 0: no upper bound
}

func (p *Program) window(keys []string, w Window) node {
	lo, hi := w.bounds()
	return windowNode{keys: keys, days: w.WithinDays, lo: lo, hi: hi}
}

func (n windowNode) eval(v *View, _ time.Time, today int32) bool {
	c := 0
	for _, k := range n.keys {
		c += v.Counters.count(k, today, n.days)
	}
	return c >= n.lo && (n.hi < 0 || c <= n.hi)
}

// next: a bucket leaves the window at the start of the day N days after
// it, and counts only fall with time; the result changes at the first
// departure that moves the count across a bound (zero if none does: a
// contact under the minimum never reaches it by time alone, so no recheck
// timer is written for it).
func (n windowNode) next(v *View, _ time.Time, today int32) time.Time {
	c := 0
	for _, k := range n.keys {
		c += v.Counters.count(k, today, n.days)
	}
	in := func(c int) bool { return c >= n.lo && (n.hi < 0 || c <= n.hi) }
	was := in(c)
	for prev := int32(-1 << 30); ; {
		// The next departure day after prev, over all keys (no
		// allocation: keys and buckets are few).
		day, gone := int32(1<<30), 0
		for _, k := range n.keys {
			pairs := v.Counters[k]
			for i := 0; i < len(pairs); i += 2 {
				d := pairs[i]
				if today-d >= int32(n.days) || d > today || d <= prev || d > day {
					continue
				}
				if d < day {
					day, gone = d, 0
				}
				gone += int(pairs[i+1])
			}
		}
		if day == 1<<30 {
			return time.Time{}
		}
		if c -= gone; in(c) != was {
			return dayStart(day + int32(n.days))
		}
		prev = day
	}
}

// traitNode tests one trait.
type traitNode struct {
	key   string
	op    string
	str   string  // folded string operand
	num   float64 // number operand
	isNum bool
	isStr bool
	b     bool
	isB   bool
	set   []any
	date  dateNode
	loc   *time.Location
}

func (p *Program) compileTrait(t TraitCond) node {
	n := &traitNode{key: t.Key, op: t.Op, loc: p.loc}
	switch x := t.Value.(type) {
	case string:
		n.str, n.isStr = strings.ToLower(x), true
	case float64:
		n.num, n.isNum = x, true
	case bool:
		n.b, n.isB = x, true
	}
	n.set = t.Values
	switch t.Op {
	case OpBefore, OpAfter:
		d, _ := parseDate(t.Value.(string), p.loc)
		if t.Op == OpBefore {
			n.date.before = d
		} else {
			n.date.after = d
		}
	case OpWithinDays:
		n.date.within = days(t.Days)
	case OpOlderThanDays:
		n.date.older = days(t.Days)
	}
	return n
}

// Every operator but not_exists is false for a missing trait (and for a
// null one): "country is not DE" does not match a contact whose country is
// unknown; write any[not_equals, not_exists] for that.
func (n *traitNode) eval(v *View, now time.Time, _ int32) bool {
	val, ok := v.Traits[n.key]
	if !ok || val == nil {
		return n.op == OpNotExists
	}
	switch n.op {
	case OpExists:
		return true
	case OpNotExists:
		return false
	case OpEquals:
		return n.equal(val)
	case OpNotEquals:
		return !n.equal(val)
	case OpContains:
		switch x := val.(type) {
		case string:
			return containsFold(x, n.str)
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok && strings.EqualFold(s, n.str) {
					return true
				}
			}
		}
		return false
	case OpIn:
		for _, want := range n.set {
			if equalAny(val, want) {
				return true
			}
		}
		return false
	case OpGT, OpGTE, OpLT, OpLTE:
		x, ok := number(val)
		return ok && compare(n.op, x, n.num)
	case OpBefore, OpAfter, OpWithinDays, OpOlderThanDays:
		t, ok := n.time(val)
		return ok && n.date.test(t, now)
	}
	return false
}

func (n *traitNode) next(v *View, now time.Time, _ int32) time.Time {
	if n.op != OpWithinDays && n.op != OpOlderThanDays {
		return time.Time{}
	}
	t, ok := n.time(v.Traits[n.key])
	if !ok {
		return time.Time{}
	}
	return n.date.nextFor(t, now)
}

func (n *traitNode) time(val any) (time.Time, bool) {
	switch x := val.(type) {
	case string:
		t, err := parseDate(x, n.loc)
		return t, err == nil
	case time.Time:
		return x, !x.IsZero()
	}
	return time.Time{}, false
}

func (n *traitNode) equal(val any) bool {
	switch {
	case n.isStr:
		s, ok := val.(string)
		return ok && strings.EqualFold(s, n.str)
	case n.isNum:
		x, ok := number(val)
		return ok && x == n.num
	case n.isB:
		b, ok := val.(bool)
		return ok && b == n.b
	}
	return false
}

func equalAny(val, want any) bool {
	switch w := want.(type) {
	case string:
		s, ok := val.(string)
		return ok && strings.EqualFold(s, w)
	case float64:
		x, ok := number(val)
		return ok && x == w
	case bool:
		b, ok := val.(bool)
		return ok && b == w
	}
	return false
}

// number reads a JSON number, or a string holding one ("42").
func number(val any) (float64, bool) {
	switch x := val.(type) {
	case float64:
		return x, !math.IsNaN(x)
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && !math.IsNaN(f)
	}
	return 0, false
}

// containsFold is a case-insensitive substring test; sub is lower-case.
func containsFold(s, sub string) bool {
	if len(sub) > len(s) {
		return false
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// List is a static list's definition (definitions/lists/<id>.json): its
// members are added through the API, by import, or by a form.
type List struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Validate implements definition.Validator.
func (l List) Validate() error {
	if !ValidID(l.ID) {
		return fmt.Errorf("%w: list id %q: lowercase letters, digits, - and _, up to %d", ErrInvalid, l.ID, maxIDLen)
	}
	if strings.TrimSpace(l.Name) == "" || len(l.Name) > 200 {
		return fmt.Errorf("%w: list name is required (up to 200 bytes)", ErrInvalid)
	}
	return nil
}
