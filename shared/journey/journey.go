// Package journey holds nurture journeys: a definition (a trigger, steps,
// goals, entry rules), its validator, a pure engine that moves a contact's
// runs forward given what just happened and the time, and a simulator that
// drives the same engine on a virtual clock. It is plain Go: mail, timers,
// webhooks, the bus and storage are effects the engine returns, carried out
// by adapters (shared/journey/journeyrt) or only recorded (the simulator).
package journey

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/lazyregexp"
	"github.com/leadflow/leadflow/shared/segment"
)

// Trigger kinds.
const (
	TriggerEvent          = "event"
	TriggerForm           = "form"
	TriggerSegmentEntered = "segment.entered"
	TriggerSegmentExited  = "segment.exited"
	TriggerStage          = "stage"
	TriggerScore          = "score"
	TriggerDate           = "date"
)

// Step kinds.
const (
	StepEmail  = "email"
	StepWait   = "wait"
	StepBranch = "branch"
	StepSplit  = "split"
	StepUpdate = "update"
	StepNotify = "notify"
	StepExit   = "exit"
)

// Entry rules.
const (
	EntryOnce         = "once"
	EntryOneAtATime   = "once_at_a_time"
	EntryAfterCooloff = "cool_down"
)

// Statuses of a journey definition.
const (
	StatusDraft  = "draft"
	StatusLive   = "live"
	StatusPaused = "paused"
)

// What a run does when a new version is published.
const (
	VersionFinish = "finish" // runs finish on the version they started
	VersionMove   = "move"   // runs move to the same-named step of the new version
)

// Journey is one journey definition (definitions/journeys/<id>.json).
type Journey struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Status: draft (validated, never runs), live, paused (no entries, runs
	// hold at their next step).
	Status  string  `json:"status"`
	Trigger Trigger `json:"trigger"`
	Entry   Entry   `json:"entry"`
	// Goals end a run as converted, checked on every change of the contact.
	Goals []Goal `json:"goals,omitempty"`
	// ExitSegment removes contacts at once when they are in it (customers).
	ExitSegment string `json:"exit_segment,omitempty"`
	// OnNewVersion: finish (default) or move.
	OnNewVersion string `json:"on_new_version,omitempty"`
	// Start is the first step's id.
	Start string `json:"start"`
	Steps []Step `json:"steps"`
	// Migrated lists the conditions decoding rewrote from the old
	// condition syntax (see migrate.go); it is never stored.
	Migrated []Migration `json:"-"`
	// unmigrated are old-syntax conditions with no equal segment filter.
	unmigrated Problems
}

// Trigger says what makes a contact enter.
type Trigger struct {
	Kind string `json:"kind"`
	// Event (kind event) and its property filters, all of which must hold.
	Event string   `json:"event,omitempty"`
	Where []Filter `json:"where,omitempty"`
	// Form (kind form): the form id submitted.
	Form string `json:"form,omitempty"`
	// Segment (segment.entered / segment.exited).
	Segment string `json:"segment,omitempty"`
	// Stage (kind stage): entering this lifecycle stage.
	Stage string `json:"stage,omitempty"`
	// Score (kind score): the total score rising to at least this.
	Score *int `json:"score,omitempty"`
	// Date (kind date): a date trait with an offset, at a local time.
	Date *DateTrigger `json:"date,omitempty"`
}

// DateTrigger fires OffsetDays after (negative: before) the date held in a
// trait, at At in the contact's time zone; Yearly repeats on the same day
// each year (birthdays).
type DateTrigger struct {
	Trait      string `json:"trait"`
	OffsetDays int    `json:"offset_days,omitempty"`
	At         string `json:"at"`
	Yearly     bool   `json:"yearly,omitempty"`
}

// Filter is a condition on an event property.
type Filter struct {
	Property string `json:"property"`
	// Op: eq, ne, contains, exists, gt, lt.
	Op    string `json:"op"`
	Value any    `json:"value,omitempty"`
}

// Entry rules.
type Entry struct {
	// Rule: once, once_at_a_time (default), cool_down.
	Rule string `json:"rule,omitempty"`
	// CoolDown is how long after a run ends the contact may enter again.
	CoolDown Duration `json:"cool_down,omitzero"`
}

// Goal ends a run as converted: an event happened or a condition holds.
type Goal struct {
	Name      string          `json:"name"`
	Event     string          `json:"event,omitempty"`
	Where     []Filter        `json:"where,omitempty"`
	Condition json.RawMessage `json:"condition,omitempty"`
}

// Step is one step of a journey.
type Step struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Next is the following step ("" ends the run, as exit does).
	Next string `json:"next,omitempty"`

	Email  *Email  `json:"email,omitempty"`
	Wait   *Wait   `json:"wait,omitempty"`
	Branch *Branch `json:"branch,omitempty"`
	Split  []Arm   `json:"split,omitempty"`
	Update *Update `json:"update,omitempty"`
	Notify *Notify `json:"notify,omitempty"`
}

// Email sends a template.
type Email struct {
	Template string `json:"template"`
	// Kind: marketing (default; needs the contact subscribed) or transactional.
	Kind string `json:"kind,omitempty"`
	// Topic, for marketing mail about one subscription topic.
	Topic string `json:"topic,omitempty"`
}

// Wait holds a run: for a duration, until a weekday and time in the
// contact's time zone, or until an event (with a timeout).
type Wait struct {
	For Duration `json:"for,omitzero"`
	// Until: weekdays ("mon".."sun", empty: any day) and a local time "HH:MM".
	Weekdays []string `json:"weekdays,omitempty"`
	At       string   `json:"at,omitempty"`
	// Event waits for an event; Timeout bounds it, then TimeoutNext.
	Event       string   `json:"event,omitempty"`
	Where       []Filter `json:"where,omitempty"`
	Timeout     Duration `json:"timeout,omitzero"`
	TimeoutNext string   `json:"timeout_next,omitempty"`
}

// Branch takes the first case whose condition holds, else Else.
type Branch struct {
	Cases []Case `json:"cases"`
	Else  string `json:"else,omitempty"`
}

// Case is one arm of a branch.
type Case struct {
	Name      string          `json:"name"`
	Condition json.RawMessage `json:"condition"`
	Next      string          `json:"next"`
}

// Arm is one arm of a random split.
type Arm struct {
	Name    string `json:"name"`
	Percent int    `json:"percent"`
	Next    string `json:"next"`
}

// Update changes the contact.
type Update struct {
	AddTags    []string       `json:"add_tags,omitempty"`
	RemoveTags []string       `json:"remove_tags,omitempty"`
	Traits     map[string]any `json:"traits,omitempty"`
	Stage      string         `json:"stage,omitempty"`
	// Score adds points (a journey bonus), recorded as a scoring change.
	Score int `json:"score,omitempty"`
}

// Notify tells someone: a journey.* event on the bus (rules route it, e.g.
// to sales), and with Webhooks also a signed webhook to every configured
// endpoint.
type Notify struct {
	Event    string `json:"event"`
	Webhooks bool   `json:"webhooks,omitempty"`
	Message  string `json:"message,omitempty"`
}

// Duration is a time.Duration written as "90s", "2h", "3d" or "1w".
type Duration time.Duration

// ParseDuration reads days and weeks too.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok && n != "" && !strings.ContainsAny(n, "hmsuµn") {
			var v float64
			if _, err := fmt.Sscanf(n, "%g", &v); err != nil {
				return 0, fmt.Errorf("duration %q: %w", s, err)
			}
			return Duration(time.Duration(v * float64(unit))), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want 90s, 2h, 3d or 1w", s)
	}
	return Duration(d), nil
}

// String writes days when whole.
func (d Duration) String() string {
	td := time.Duration(d)
	if td > 0 && td%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", td/(24*time.Hour))
	}
	return td.String()
}

// IsZero is for omitzero.
func (d Duration) IsZero() bool { return d == 0 }

// MarshalJSON writes the string form.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads the string form.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"3d\"")
	}
	v, err := ParseDuration(s)
	*d = v
	return err
}

var (
	idPattern    = lazyregexp.New(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	clockPattern = lazyregexp.New(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	weekdays     = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}
	filterOps    = map[string]bool{"eq": true, "ne": true, "contains": true, "exists": true, "gt": true, "lt": true}
)

// ErrInvalid wraps every validation problem.
var ErrInvalid = errors.New("invalid journey")

// Problem is one validation problem, tied to the step it concerns ("" for
// the journey as a whole) so the journey map can show it on its node.
type Problem struct {
	Step    string `json:"step,omitempty"`
	Message string `json:"message"`
}

// Problems is a list of problems; it is the error Validate returns.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		if p.Step != "" {
			b.WriteString("step " + p.Step + ": ")
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrInvalid) hold.
func (ps Problems) Unwrap() error { return ErrInvalid }

// Step returns a step by id.
func (j *Journey) Step(id string) (*Step, bool) {
	for i := range j.Steps {
		if j.Steps[i].ID == id {
			return &j.Steps[i], true
		}
	}
	return nil, false
}

// Validate checks what a journey can check alone: shape, references
// between steps, unreachable steps, loops without a wait, conditions that
// cannot be evaluated (not a segment filter, or asking about the mail of a
// step that is not an earlier email step). References to templates,
// segments, lists and topics are checked by CheckRefs, which needs to know
// what exists.
func (j Journey) Validate() error {
	if len(j.unmigrated) > 0 {
		// Named as what they are, not as conditions that cannot be
		// evaluated: the author wrote them in the old syntax.
		return j.unmigrated
	}
	var ps Problems
	add := func(step, f string, a ...any) { ps = append(ps, Problem{Step: step, Message: fmt.Sprintf(f, a...)}) }
	if !idPattern.MatchString(j.ID) {
		add("", "id %q must be lowercase letters, digits, - or _", j.ID)
	}
	if strings.TrimSpace(j.Name) == "" {
		add("", "name is required")
	}
	switch j.Status {
	case StatusDraft, StatusLive, StatusPaused:
	default:
		add("", "status must be draft, live or paused, got %q", j.Status)
	}
	switch j.OnNewVersion {
	case "", VersionFinish, VersionMove:
	default:
		add("", "on_new_version must be finish or move")
	}
	j.Trigger.validate(add)
	switch j.Entry.Rule {
	case "", EntryOnce, EntryOneAtATime:
		if j.Entry.CoolDown != 0 {
			add("", "entry.cool_down needs entry.rule cool_down")
		}
	case EntryAfterCooloff:
		if j.Entry.CoolDown <= 0 {
			add("", "entry rule cool_down needs a positive cool_down")
		}
	default:
		add("", "entry.rule must be once, once_at_a_time or cool_down")
	}
	for i, g := range j.Goals {
		if g.Name == "" {
			add("", "goal %d needs a name", i+1)
		}
		if (g.Event == "") == (len(g.Condition) == 0) {
			add("", "goal %q needs an event or a condition (one of them)", g.Name)
		}
		validateFilters("", g.Where, add)
		if len(g.Condition) > 0 {
			if f, err := ParseCondition(g.Condition); err != nil {
				add("", "goal %q: condition cannot be evaluated: %v", g.Name, err)
			} else {
				j.checkRunMail("", "goal "+strconv.Quote(g.Name), f, add)
			}
		}
	}
	if len(j.Steps) == 0 {
		add("", "a journey needs at least one step")
		return ps
	}
	ids := map[string]bool{}
	for _, s := range j.Steps {
		if !idPattern.MatchString(s.ID) {
			add(s.ID, "step id %q must be lowercase letters, digits, - or _", s.ID)
		}
		if ids[s.ID] {
			add(s.ID, "duplicate step id")
		}
		ids[s.ID] = true
	}
	if !ids[j.Start] {
		add("", "start %q is not a step", j.Start)
	}
	for i := range j.Steps {
		s := &j.Steps[i]
		s.validate(add)
		for _, n := range s.Targets() {
			if n != "" && !ids[n] {
				add(s.ID, "goes to %q, which is not a step", n)
			}
		}
	}
	if len(ps) > 0 {
		return ps
	}
	for _, s := range j.Steps {
		if s.Branch == nil {
			continue
		}
		for _, c := range s.Branch.Cases {
			if f, err := ParseCondition(c.Condition); err == nil {
				j.checkRunMail(s.ID, "case "+strconv.Quote(c.Name), f, add)
			}
		}
	}
	if len(ps) > 0 {
		return ps
	}
	// Unreachable steps: everything not reached from start.
	reached := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		if id == "" || reached[id] {
			return
		}
		reached[id] = true
		s, _ := j.Step(id)
		for _, n := range s.Targets() {
			walk(n)
		}
	}
	walk(j.Start)
	for _, s := range j.Steps {
		if !reached[s.ID] {
			add(s.ID, "unreachable: no path from the start leads here")
		}
	}
	// Loops without a wait: a cycle through instant steps would run forever
	// in one pass.
	for _, s := range j.Steps {
		if cyc := j.instantCycle(s.ID); cyc != nil {
			add(s.ID, "loop without a wait: %s", strings.Join(cyc, " → "))
			break
		}
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

// checkRunMail refuses journey_email conditions that can never hold: a
// step that is not an email step of this journey, or (in a branch) one no
// path leads from to the branch, so its mail is never "earlier".
func (j *Journey) checkRunMail(at, what string, f segment.Filter, add func(string, string, ...any)) {
	for _, je := range f.JourneyEmails() {
		if je.Step == "" {
			continue
		}
		s, ok := j.Step(je.Step)
		if !ok || s.Kind != StepEmail {
			add(at, "%s: condition cannot be evaluated: journey_email step %q is not an email step of this journey", what, je.Step)
			continue
		}
		if at != "" && !j.leadsTo(je.Step, at) {
			add(at, "%s: condition cannot be evaluated: no path leads from email step %q to this branch", what, je.Step)
		}
	}
}

// leadsTo reports whether a path goes from step from to step to.
func (j *Journey) leadsTo(from, to string) bool {
	seen := map[string]bool{}
	var walk func(id string) bool
	walk = func(id string) bool {
		if id == "" || seen[id] {
			return false
		}
		seen[id] = true
		s, ok := j.Step(id)
		if !ok {
			return false
		}
		for _, n := range s.Targets() {
			if n == to || walk(n) {
				return true
			}
		}
		return false
	}
	return walk(from)
}

// instantCycle returns a cycle from id back to id through steps that are
// not waits, if there is one.
func (j *Journey) instantCycle(start string) []string {
	var path []string
	seen := map[string]bool{}
	var dfs func(id string) bool
	dfs = func(id string) bool {
		s, ok := j.Step(id)
		if !ok || s.Kind == StepWait {
			return false
		}
		path = append(path, id)
		for _, n := range s.Targets() {
			if n == start {
				path = append(path, n)
				return true
			}
			if n != "" && !seen[n] {
				seen[n] = true
				if dfs(n) {
					return true
				}
			}
		}
		path = path[:len(path)-1]
		return false
	}
	if dfs(start) {
		return path
	}
	return nil
}

// Targets are the steps a step may go to.
func (s *Step) Targets() []string {
	out := []string{s.Next}
	if s.Wait != nil && s.Wait.TimeoutNext != "" {
		out = append(out, s.Wait.TimeoutNext)
	}
	if s.Branch != nil {
		for _, c := range s.Branch.Cases {
			out = append(out, c.Next)
		}
		out = append(out, s.Branch.Else)
	}
	for _, a := range s.Split {
		out = append(out, a.Next)
	}
	return out
}

func (t Trigger) validate(add func(string, string, ...any)) {
	need := func(ok bool, what string) {
		if !ok {
			add("", "trigger %s needs %s", t.Kind, what)
		}
	}
	switch t.Kind {
	case TriggerEvent:
		need(t.Event != "", "an event")
		validateFilters("", t.Where, add)
	case TriggerForm:
		need(t.Form != "", "a form")
	case TriggerSegmentEntered, TriggerSegmentExited:
		need(t.Segment != "", "a segment")
	case TriggerStage:
		need(t.Stage != "", "a stage")
	case TriggerScore:
		need(t.Score != nil, "a score threshold")
	case TriggerDate:
		need(t.Date != nil && t.Date.Trait != "", "a date with a trait")
		if t.Date != nil && !clockPattern.MatchString(t.Date.At) {
			add("", "trigger date.at must be HH:MM, got %q", t.Date.At)
		}
	default:
		add("", "trigger kind must be one of event, form, segment.entered, segment.exited, stage, score, date; got %q", t.Kind)
	}
}

func validateFilters(step string, fs []Filter, add func(string, string, ...any)) {
	for _, f := range fs {
		if f.Property == "" {
			add(step, "a property filter needs a property")
		}
		if !filterOps[f.Op] {
			add(step, "filter on %q: op must be eq, ne, contains, exists, gt or lt", f.Property)
		}
	}
}

func (s *Step) validate(add func(string, string, ...any)) {
	id := s.ID
	set := map[string]bool{"email": s.Email != nil, "wait": s.Wait != nil, "branch": s.Branch != nil, "split": len(s.Split) > 0, "update": s.Update != nil, "notify": s.Notify != nil}
	for k, v := range set {
		if v && k != s.Kind {
			add(id, "a %s step has no %q settings", s.Kind, k)
		}
	}
	switch s.Kind {
	case StepEmail:
		if s.Email == nil || s.Email.Template == "" {
			add(id, "an email step needs email.template")
		} else if s.Email.Kind != "" && s.Email.Kind != "marketing" && s.Email.Kind != "transactional" {
			add(id, "email.kind must be marketing or transactional")
		}
	case StepWait:
		w := s.Wait
		if w == nil {
			add(id, "a wait step needs wait settings")
			return
		}
		modes := 0
		if w.For > 0 {
			modes++
		}
		if w.At != "" || len(w.Weekdays) > 0 {
			modes++
			if !clockPattern.MatchString(w.At) {
				add(id, "wait.at must be HH:MM, got %q", w.At)
			}
			for _, d := range w.Weekdays {
				if _, ok := weekdays[d]; !ok {
					add(id, "wait.weekdays: %q is not mon..sun", d)
				}
			}
		}
		if w.Event != "" {
			modes++
			if w.Timeout <= 0 {
				add(id, "waiting for an event needs a timeout")
			}
			validateFilters(id, w.Where, add)
		} else if w.Timeout != 0 || w.TimeoutNext != "" {
			add(id, "timeout and timeout_next only go with wait.event")
		}
		if modes != 1 {
			add(id, "a wait is one of: for a duration, until weekday/time, or for an event")
		}
		if w.For < 0 {
			add(id, "wait.for must be positive")
		}
	case StepBranch:
		if s.Branch == nil || len(s.Branch.Cases) == 0 {
			add(id, "a branch needs at least one case")
			return
		}
		if s.Next != "" {
			add(id, "a branch goes on through its cases and else, not next")
		}
		for _, c := range s.Branch.Cases {
			if _, err := ParseCondition(c.Condition); err != nil {
				add(id, "case %q: condition cannot be evaluated: %v", c.Name, err)
			}
		}
	case StepSplit:
		total := 0
		for _, a := range s.Split {
			if a.Percent <= 0 {
				add(id, "split arm %q needs a positive percent", a.Name)
			}
			total += a.Percent
		}
		if total != 100 {
			add(id, "split percentages add up to %d, not 100", total)
		}
		if s.Next != "" {
			add(id, "a split goes on through its arms, not next")
		}
	case StepUpdate:
		if s.Update == nil {
			add(id, "an update step needs update settings")
		}
	case StepNotify:
		n := s.Notify
		if n == nil || n.Event == "" {
			add(id, "a notify step needs an event (journey.*)")
		} else if !strings.HasPrefix(n.Event, "journey.") {
			add(id, "notify.event must start with journey.")
		}
	case StepExit:
		if s.Next != "" {
			add(id, "exit ends the run; it has no next")
		}
	default:
		add(id, "kind must be email, wait, branch, split, update, notify or exit; got %q", s.Kind)
	}
}

// Refs is what exists outside the journey, for CheckRefs.
type Refs struct {
	Templates map[string]bool
	Topics    map[string]bool
	Forms     map[string]bool
	// Segments answers whether a segment exists; nil while segments are
	// not available, which refuses any reference to one. Lists likewise.
	Segments func(id string) bool
	Lists    func(id string) bool
}

// CheckRefs reports templates, topics, forms and segments the
// journey names that do not exist.
func CheckRefs(j Journey, r Refs) error {
	var ps Problems
	add := func(step, f string, a ...any) { ps = append(ps, Problem{Step: step, Message: fmt.Sprintf(f, a...)}) }
	seg := func(step, id string) {
		if id != "" && (r.Segments == nil || !r.Segments(id)) {
			add(step, "segment %q does not exist", id)
		}
	}
	if j.Trigger.Kind == TriggerForm && r.Forms != nil && !r.Forms[j.Trigger.Form] {
		add("", "form %q does not exist", j.Trigger.Form)
	}
	list := func(step, id string) {
		if r.Lists == nil || !r.Lists(id) {
			add(step, "list %q does not exist", id)
		}
	}
	cond := func(step string, raw json.RawMessage) {
		f, err := ParseCondition(raw)
		if err != nil {
			return // Validate reports it
		}
		for _, id := range f.SegmentRefs() {
			seg(step, id)
		}
		for _, id := range f.ListRefs() {
			list(step, id)
		}
	}
	seg("", j.Trigger.Segment)
	seg("", j.ExitSegment)
	for _, s := range j.Steps {
		if s.Email != nil {
			if !r.Templates[s.Email.Template] {
				add(s.ID, "template %q does not exist", s.Email.Template)
			}
			if s.Email.Topic != "" && !r.Topics[s.Email.Topic] {
				add(s.ID, "topic %q does not exist", s.Email.Topic)
			}
		}
		if s.Branch != nil {
			for _, c := range s.Branch.Cases {
				cond(s.ID, c.Condition)
			}
		}
	}
	for _, g := range j.Goals {
		if len(g.Condition) > 0 {
			cond("", g.Condition)
		}
	}
	if len(ps) > 0 {
		sort.SliceStable(ps, func(a, b int) bool { return ps[a].Step < ps[b].Step })
		return ps
	}
	return nil
}

// ProblemsOf returns an error's problems (one journey-wide problem for an
// error that is not a Problems list), for the journey map.
func ProblemsOf(err error) []Problem {
	var ps Problems
	if errors.As(err, &ps) {
		return ps
	}
	if err == nil {
		return nil
	}
	return []Problem{{Message: err.Error()}}
}

// MaySendOnWake says whether a run woken at step id (its wait's end, or
// the timed retry of the step itself) may send an email before it rests
// again: some way from there through branches, splits, updates and
// notifications reaches an email step before a wait or the end. The
// calendar counts these runs as a journey's planned mail, an upper bound
// (which arm a branch takes is decided only then).
func (j *Journey) MaySendOnWake(id string) bool {
	s, ok := j.Step(id)
	if !ok {
		return false
	}
	if s.Kind != StepWait || s.Wait == nil {
		return j.maySend(id, map[string]bool{})
	}
	next := s.Next
	if s.Wait.Event != "" {
		next = s.Wait.TimeoutNext
	}
	return j.maySend(next, map[string]bool{})
}

func (j *Journey) maySend(id string, seen map[string]bool) bool {
	s, ok := j.Step(id)
	if !ok || seen[id] {
		return false
	}
	seen[id] = true
	switch s.Kind {
	case StepEmail:
		return true
	case StepWait, StepExit:
		return false
	}
	for _, t := range s.Targets() {
		if t != "" && j.maySend(t, seen) {
			return true
		}
	}
	return false
}
