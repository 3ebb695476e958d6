package journey

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/mail"
)

// Events the engine itself causes, delivered back through the timer wheel
// (a fired timer is a track event for its contact).
const (
	// WakeEvent resumes a waiting run: properties journey, run, step, due.
	WakeEvent = "journey.wake"
	// DateEvent enters a date-triggered journey: properties journey, date.
	DateEvent = "journey.date"
	// ResumeEvent continues a run held while its journey was paused:
	// properties journey, run.
	ResumeEvent = "journey.resume"
	// Email engagement events (shared/engagement), matched to a run's
	// mail by their send_id property.
	openedEvent  = "Email Opened"
	clickedEvent = "Email Link Clicked"
)

// Outcomes of a run.
const (
	OutcomeCompleted = "completed" // reached the end or an exit step
	OutcomeConverted = "converted" // a goal was met
	OutcomeExited    = "exited"    // left through the exit segment
	OutcomeStopped   = "stopped"   // stopped by an operator
)

// Run is one contact's pass through a journey. Active runs are kept on the
// contact's profile (small: the fields below), so the processor evaluates
// goals and awaited events from the profile it already holds.
type Run struct {
	Journey string    `json:"j"`
	Version int64     `json:"v"`
	ID      string    `json:"id"`
	Step    string    `json:"s"`
	Started time.Time `json:"at"`
	// Since is when the run reached its current step.
	Since time.Time `json:"since"`
	// Until is when a wait ends (the timer's due time), For the event it
	// awaits.
	Until time.Time `json:"until,omitzero"`
	For   string    `json:"for,omitempty"`
	// Held: the run waits because its journey is paused, not at a wait.
	Held bool `json:"h,omitempty"`
	// Opened and Clicked list the steps whose mail was opened / clicked.
	Opened  []string `json:"o,omitempty"`
	Clicked []string `json:"c,omitempty"`
}

// Ended remembers a journey's last run for the entry rules.
type Ended struct {
	Journey string    `json:"j"`
	At      time.Time `json:"at"`
	Outcome string    `json:"o"`
	Runs    int       `json:"n"`
}

// State is a contact's journey state, kept on the profile.
type State struct {
	Runs  []Run   `json:"runs,omitempty"`
	Ended []Ended `json:"ended,omitempty"`
}

// Empty reports whether there is nothing to keep.
func (s *State) Empty() bool { return s == nil || (len(s.Runs) == 0 && len(s.Ended) == 0) }

// Clone copies the state deeply enough that changing the copy's runs
// leaves the original alone.
func (s *State) Clone() *State {
	if s == nil {
		return &State{}
	}
	c := &State{Runs: make([]Run, len(s.Runs)), Ended: slices.Clone(s.Ended)}
	for i, r := range s.Runs {
		r.Opened, r.Clicked = slices.Clone(r.Opened), slices.Clone(r.Clicked)
		c.Runs[i] = r
	}
	return c
}

func (s *State) ended(journey string) *Ended {
	for i := range s.Ended {
		if s.Ended[i].Journey == journey {
			return &s.Ended[i]
		}
	}
	return nil
}

func (s *State) active(journey string) bool {
	for _, r := range s.Runs {
		if r.Journey == journey {
			return true
		}
	}
	return false
}

// Compiled is one version of a journey with its conditions compiled.
type Compiled struct {
	Journey
	Version int64
	cases   map[string][]*Condition // step id -> case conditions
	goals   []*Condition            // nil entries for event goals
}

// Compile validates a journey and compiles its conditions.
func Compile(j Journey, version int64) (*Compiled, error) {
	if err := j.Validate(); err != nil {
		return nil, err
	}
	c := &Compiled{Journey: j, Version: version, cases: map[string][]*Condition{}}
	for _, s := range j.Steps {
		if s.Branch == nil {
			continue
		}
		for _, cs := range s.Branch.Cases {
			p, err := CompileCondition(cs.Condition)
			if err != nil {
				return nil, err
			}
			c.cases[s.ID] = append(c.cases[s.ID], p)
		}
	}
	for _, g := range j.Goals {
		var p *Condition
		if len(g.Condition) > 0 {
			var err error
			if p, err = CompileCondition(g.Condition); err != nil {
				return nil, err
			}
		}
		c.goals = append(c.goals, p)
	}
	return c, nil
}

// Library gives the engine journeys: the versions in effect (for
// triggers), and any version a run started on.
type Library interface {
	Current() []*Compiled
	At(id string, version int64) (*Compiled, error)
}

// Event is something that happened to the contact, as the engine sees it.
type Event struct {
	ID         string
	Name       string
	Properties map[string]any
	FormID     string
	At         time.Time
}

// Input is one change of a contact: its view before (nil for a new
// contact) and after, the events applied, and a key naming the change
// (the processor's commit id) from which run ids derive, so a change run
// twice makes the same runs, sends and timers.
type Input struct {
	Before *Contact
	After  *Contact
	Events []Event
	Key    string
	Now    time.Time
}

// Effect kinds.
const (
	EffectSend   = "send"
	EffectTimer  = "timer"
	EffectUpdate = "update"
	EffectNotify = "notify"
	// EffectHold records that a run is held while its journey is paused
	// (the held index resume reads), so resume wakes exactly those runs.
	EffectHold = "hold"
)

// Effect is something the runtime must carry out (the simulator records
// it). Every effect has an id derived from the run and step, so carrying it
// out twice is harmless: the sender never sends a send id twice, the timer
// wheel stores a timer id once, notifications carry it for receivers.
type Effect struct {
	Kind    string
	ID      string
	Journey string
	Version int64
	Run     string
	Step    string
	Email   *Email
	// Awake: a mail in answer to the contact's own action just now (see
	// mail.Request.Awake).
	Awake  bool
	Update *Update
	Notify *Notify
	// Timer: due time, event and properties.
	Due        time.Time
	Event      string
	Properties map[string]any
}

// Mark is one line of a run's path: what happened at a step, and why.
type Mark struct {
	At      time.Time `json:"at"`
	Journey string    `json:"journey"`
	Version int64     `json:"version"`
	Run     string    `json:"run"`
	Step    string    `json:"step,omitempty"`
	Kind    string    `json:"kind"`
	Note    string    `json:"note"`
}

// Metrics counted per journey, version and step.
const (
	MetricEntered   = "entered"   // runs that reached the step (step "": runs started)
	MetricLeft      = "left"      // runs that moved on from the step
	MetricConverted = "converted" // runs that converted at the step
	MetricExited    = "exited"    // runs removed by the exit segment at the step
	MetricCompleted = "completed" // runs that ended at the step
	MetricStopped   = "stopped"
)

// edgePrefix starts the metric of an edge: runs that moved from the
// counted step (step "": the trigger) to the named one.
const edgePrefix = "to:"

// EdgeMetric is the metric counting moves to step next.
func EdgeMetric(next string) string { return edgePrefix + next }

// EdgeTo reports whether a metric counts an edge, and to which step.
func EdgeTo(metric string) (string, bool) { return strings.CutPrefix(metric, edgePrefix) }

// Count is one increment of a step counter.
type Count struct {
	Journey string
	Version int64
	Step    string
	Metric  string
}

// Result is what a change did.
type Result struct {
	Effects []Effect
	Marks   []Mark
	Counts  []Count
	// Changed: the state differs from what was passed in.
	Changed bool
}

// Engine moves runs forward. It holds no state: everything it needs comes
// in with the call, which is what lets the simulator and the processor
// share it.
type Engine struct {
	Lib Library
	// Scale shortens waits (0 or 1: real time). make dev and the
	// integration test set it so a "2 days" wait passes in seconds.
	Scale float64
	// MaxSteps bounds the instant steps one pass may take per run; the
	// validator refuses loops without a wait, so it is a backstop.
	MaxSteps int
}

type pass struct {
	e   *Engine
	st  *State
	in  Input
	res *Result
	cur map[string]*Compiled
	now time.Time
	// awake: the pass answers something the contact did (not a timer), so
	// its mail may go out during quiet hours.
	awake bool
}

// Handle applies one change to a contact's journey state: records mail
// engagement, resumes runs whose wait ended or whose event came, ends runs
// whose goal was met or who entered the exit segment, and enters journeys
// whose trigger fired. st is changed in place.
func (e *Engine) Handle(st *State, in Input) Result {
	var res Result
	p := &pass{e: e, st: st, in: in, res: &res, cur: map[string]*Compiled{}, now: in.Now}
	for _, c := range e.Lib.Current() {
		p.cur[c.ID] = c
	}
	before := st.Clone()
	evs := slices.Clone(in.Events)
	sort.SliceStable(evs, func(a, b int) bool { return evs[a].At.Before(evs[b].At) })
	for _, ev := range evs {
		// Fired timers (ours, a segment's recheck) carry "timer:" ids.
		if ev.Name != WakeEvent && ev.Name != DateEvent && ev.Name != ResumeEvent && !strings.HasPrefix(ev.ID, "timer:") {
			p.awake = true
		}
	}
	for _, ev := range evs {
		p.event(ev)
	}
	p.conditions()
	res.Changed = !statesEqual(before, st)
	return res
}

func (p *pass) mark(r *Run, step, kind, note string, a ...any) {
	p.res.Marks = append(p.res.Marks, Mark{At: p.now, Journey: r.Journey, Version: r.Version, Run: r.ID, Step: step, Kind: kind, Note: fmt.Sprintf(note, a...)})
}

func (p *pass) count(r *Run, step, metric string) {
	p.res.Counts = append(p.res.Counts, Count{Journey: r.Journey, Version: r.Version, Step: step, Metric: metric})
}

// def returns the version a run is on, moving the run to the journey's
// current version when the marketer asked for that and the step exists
// there under the same name.
func (p *pass) def(r *Run) *Compiled {
	cur := p.cur[r.Journey]
	if cur != nil && cur.Version == r.Version {
		return cur
	}
	if cur != nil && cur.OnNewVersion == VersionMove {
		if s, ok := cur.Step(r.Step); ok {
			old := r.Version
			r.Version = cur.Version
			p.mark(r, s.ID, "version", "moved from version %d to %d at the same-named step", old, cur.Version)
			return cur
		}
	}
	c, err := p.e.Lib.At(r.Journey, r.Version)
	if err != nil {
		return nil
	}
	return c
}

func (p *pass) event(ev Event) {
	if ev.At.After(p.now) || ev.At.IsZero() {
		ev.At = p.now
	}
	// Mail engagement, for branches on opened/clicked.
	if ev.Name == openedEvent || ev.Name == clickedEvent {
		sid, _ := ev.Properties["send_id"].(string)
		for i := range p.st.Runs {
			r := &p.st.Runs[i]
			c := p.def(r)
			if c == nil {
				continue
			}
			for _, s := range c.Steps {
				if s.Kind == StepEmail && sid != "" && sid == mail.JourneySendID(r.ID, s.ID) {
					if ev.Name == clickedEvent && !slices.Contains(r.Clicked, s.ID) {
						r.Clicked = append(r.Clicked, s.ID)
					}
					if ev.Name == openedEvent && !slices.Contains(r.Opened, s.ID) {
						r.Opened = append(r.Opened, s.ID)
					}
				}
			}
		}
	}
	// Runs: goals, awaited events, wake-ups.
	for i := 0; i < len(p.st.Runs); i++ {
		r := &p.st.Runs[i]
		c := p.def(r)
		if c == nil {
			continue
		}
		if g, ok := eventGoal(c, ev); ok {
			p.end(i, c, OutcomeConverted, "goal %q: event %s", g, ev.Name)
			i--
			continue
		}
		s, ok := c.Step(r.Step)
		if !ok {
			continue
		}
		if ev.Name == ResumeEvent && ev.Properties["run"] == r.ID {
			if r.Held {
				r.Held = false
				p.mark(r, s.ID, "resume", "journey resumed")
				if p.drive(i, c) {
					i--
				}
			}
			continue
		}
		woken := ev.Name == WakeEvent && ev.Properties["run"] == r.ID && ev.Properties["step"] == r.Step && dueOf(ev) == r.Until.Unix()
		if s.Kind != StepWait || (woken && r.Held) {
			if woken { // held while the journey was paused: try the step again
				r.Until, r.Held = time.Time{}, false
				if p.drive(i, c) {
					i--
				}
			}
			continue
		}
		switch {
		case s.Wait.Event != "" && ev.Name == s.Wait.Event && matches(ev.Properties, s.Wait.Where):
			p.mark(r, s.ID, "wait", "event %s arrived", ev.Name)
			if p.move(i, c, s.Next) {
				i--
			}
		case woken:
			next := s.Next
			if s.Wait.Event != "" {
				next = s.Wait.TimeoutNext
				p.mark(r, s.ID, "wait", "no %s before the timeout", s.Wait.Event)
			} else {
				p.mark(r, s.ID, "wait", "waited until %s", r.Until.UTC().Format(time.RFC3339))
			}
			if p.move(i, c, next) {
				i--
			}
		}
	}
	// Triggers.
	for _, c := range p.sorted() {
		if why, ok := p.triggeredBy(c, ev); ok {
			p.enter(c, ev.ID, why)
		}
	}
}

func dueOf(ev Event) int64 {
	switch v := ev.Properties["due"].(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	case int:
		return int64(v)
	}
	return -1
}

func eventGoal(c *Compiled, ev Event) (string, bool) {
	for _, g := range c.Goals {
		if g.Event != "" && g.Event == ev.Name && matches(ev.Properties, g.Where) {
			return g.Name, true
		}
	}
	return "", false
}

func (p *pass) sorted() []*Compiled {
	out := make([]*Compiled, 0, len(p.cur))
	for _, c := range p.cur {
		out = append(out, c)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}

func (p *pass) triggeredBy(c *Compiled, ev Event) (string, bool) {
	t := c.Trigger
	switch t.Kind {
	case TriggerEvent:
		if ev.Name == t.Event && matches(ev.Properties, t.Where) {
			return "event " + ev.Name, true
		}
	case TriggerForm:
		if ev.FormID != "" && ev.FormID == t.Form {
			return "submitted form " + t.Form, true
		}
	case TriggerDate:
		if ev.Name == DateEvent && ev.Properties["journey"] == c.ID {
			if t.Date.Yearly {
				if d, ok := ev.Properties["date"].(string); ok {
					if day, err := time.Parse(time.DateOnly, d); err == nil {
						p.scheduleDate(c, day.AddDate(1, 0, 0))
					}
				}
			}
			return fmt.Sprintf("date %s", t.Date.Trait), true
		}
	}
	return "", false
}

// conditions runs what depends on the contact's state rather than on one
// event: goals and the exit segment for runs, segment, stage and score
// triggers, and date triggers whose trait changed.
func (p *pass) conditions() {
	after := p.in.After
	for i := 0; i < len(p.st.Runs); i++ {
		r := &p.st.Runs[i]
		c := p.def(r)
		if c == nil {
			continue
		}
		if c.ExitSegment != "" && after.Segments[c.ExitSegment] {
			p.end(i, c, OutcomeExited, "entered the exit segment %s", c.ExitSegment)
			i--
			continue
		}
		for gi, g := range c.goals {
			if g == nil {
				continue
			}
			if g.Holds(after, r, p.now) {
				_, why := g.Eval(after, r, p.now)
				p.end(i, c, OutcomeConverted, "goal %q: %s", c.Goals[gi].Name, why)
				i--
				break
			}
		}
	}
	before := p.in.Before
	if before == nil {
		before = &Contact{}
	}
	for _, c := range p.sorted() {
		t := c.Trigger
		var why string
		switch t.Kind {
		case TriggerSegmentEntered:
			if !before.Segments[t.Segment] && after.Segments[t.Segment] {
				why = "entered segment " + t.Segment
			}
		case TriggerSegmentExited:
			if before.Segments[t.Segment] && !after.Segments[t.Segment] {
				why = "left segment " + t.Segment
			}
		case TriggerStage:
			if before.Stage != t.Stage && after.Stage == t.Stage {
				why = fmt.Sprintf("stage moved from %q to %q", before.Stage, after.Stage)
			}
		case TriggerScore:
			if before.Score < *t.Score && after.Score >= *t.Score {
				why = fmt.Sprintf("score rose from %d to %d (threshold %d)", before.Score, after.Score, *t.Score)
			}
		case TriggerDate:
			bv, av := fmt.Sprint(before.Traits[t.Date.Trait]), fmt.Sprint(after.Traits[t.Date.Trait])
			if av != bv && after.Traits[t.Date.Trait] != nil && c.Status == StatusLive {
				if day, err := parseDay(after.Traits[t.Date.Trait]); err == nil {
					p.scheduleDate(c, day)
				}
			}
		}
		if why != "" {
			p.enter(c, p.in.Key, why)
		}
	}
}

func parseDay(v any) (time.Time, error) {
	s, _ := v.(string)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
	}
	return time.Parse(time.DateOnly, s)
}

// scheduleDate sets the timer of a date trigger: the day (plus the offset,
// the next year's for yearly triggers already past) at the local time.
func (p *pass) scheduleDate(c *Compiled, day time.Time) {
	t := c.Trigger.Date
	loc := location(p.in.After.Timezone)
	hh, mm := clock(t.At)
	for n := 0; n < 200; n++ {
		d := day.AddDate(0, 0, t.OffsetDays)
		due := time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, loc)
		if due.After(p.now) {
			date := day.Format(time.DateOnly)
			p.res.Effects = append(p.res.Effects, Effect{
				Kind: EffectTimer, ID: "jd:" + c.ID + ":" + p.in.After.ID + ":" + date, Journey: c.ID, Version: c.Version,
				Due: due, Event: DateEvent, Properties: map[string]any{"journey": c.ID, "date": date},
			})
			return
		}
		if !t.Yearly {
			return
		}
		day = day.AddDate(1, 0, 0)
	}
}

func location(tz string) *time.Location {
	if tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	return time.UTC
}

func clock(s string) (int, int) {
	var hh, mm int
	fmt.Sscanf(s, "%d:%d", &hh, &mm)
	return hh, mm
}

// enter starts a run if the journey is live and the entry rules allow.
func (p *pass) enter(c *Compiled, key, why string) {
	if c.Status != StatusLive {
		return
	}
	id := RunID(c.ID, p.in.After.ID, key)
	for _, r := range p.st.Runs {
		if r.ID == id {
			return // this change already entered it
		}
	}
	ended := p.st.ended(c.ID)
	active := p.st.active(c.ID)
	probe := Run{Journey: c.ID, Version: c.Version, ID: id}
	switch c.Entry.Rule {
	case EntryOnce:
		if active || ended != nil {
			p.mark(&probe, "", "skip", "not entered (%s): entry rule once, already entered before", why)
			return
		}
	case EntryAfterCooloff:
		if active {
			p.mark(&probe, "", "skip", "not entered (%s): already inside", why)
			return
		}
		if ended != nil && p.now.Sub(ended.At) < time.Duration(c.Entry.CoolDown) {
			p.mark(&probe, "", "skip", "not entered (%s): cool-down until %s", why, ended.At.Add(time.Duration(c.Entry.CoolDown)).UTC().Format(time.RFC3339))
			return
		}
	default:
		if active {
			p.mark(&probe, "", "skip", "not entered (%s): already inside", why)
			return
		}
	}
	p.st.Runs = append(p.st.Runs, Run{Journey: c.ID, Version: c.Version, ID: id, Step: c.Start, Started: p.now, Since: p.now})
	i := len(p.st.Runs) - 1
	r := &p.st.Runs[i]
	p.mark(r, "", "enter", "entered: %s", why)
	p.count(r, "", MetricEntered)
	p.count(r, "", EdgeMetric(c.Start))
	p.count(r, c.Start, MetricEntered)
	p.drive(i, c)
}

// RunID derives a run's id from the journey, the contact and the change
// that started it.
func RunID(journey, contact, key string) string {
	h := sha256.Sum256([]byte(journey + "\x00" + contact + "\x00" + key))
	return "r" + hex.EncodeToString(h[:9])
}

// move leaves the run's current step for next and drives on; it reports
// whether the run ended (and so left p.st.Runs).
func (p *pass) move(i int, c *Compiled, next string) bool {
	r := &p.st.Runs[i]
	p.count(r, r.Step, MetricLeft)
	if next == "" {
		p.finish(i, OutcomeCompleted, "reached the end")
		return true
	}
	p.count(r, r.Step, EdgeMetric(next))
	r.Step, r.Since, r.Until, r.For = next, p.now, time.Time{}, ""
	p.count(r, next, MetricEntered)
	return p.drive(i, c)
}

// drive executes steps from the run's current one until it waits or ends.
func (p *pass) drive(i int, c *Compiled) bool {
	max := p.e.MaxSteps
	if max <= 0 {
		max = 100
	}
	for n := 0; n < max; n++ {
		r := &p.st.Runs[i]
		s, ok := c.Step(r.Step)
		if !ok {
			p.finish(i, OutcomeCompleted, "step %q no longer exists", r.Step)
			return true
		}
		if c.Status == StatusPaused || (p.cur[c.ID] != nil && p.cur[c.ID].Status == StatusPaused) {
			// Held with no timer: a paused journey costs storage only.
			// The hold effect lists the run in the journey's held index;
			// resume reads that index and sends each run a ResumeEvent.
			if !r.Held {
				p.mark(r, s.ID, StepWait, "journey paused: held until it is resumed")
				p.res.Effects = append(p.res.Effects, Effect{Kind: EffectHold, ID: "jh:" + r.ID, Journey: r.Journey, Version: r.Version, Run: r.ID, Step: s.ID})
			}
			r.Held, r.Until, r.For = true, time.Time{}, ""
			return false
		}
		next := s.Next
		switch s.Kind {
		case StepEmail:
			if s.Email.Kind != mail.Transactional && p.in.After.Status != "subscribed" {
				p.mark(r, s.ID, StepEmail, "skipped %s: contact is not subscribed (%q)", s.Email.Template, p.in.After.Status)
			} else {
				p.res.Effects = append(p.res.Effects, Effect{Kind: EffectSend, ID: mail.JourneySendID(r.ID, s.ID), Journey: c.ID, Version: r.Version, Run: r.ID, Step: s.ID, Email: s.Email, Awake: p.awake})
				p.mark(r, s.ID, StepEmail, "sent %s", s.Email.Template)
			}
		case StepWait:
			due, why := p.waitUntil(s.Wait)
			if s.Wait.Event != "" {
				r.For = s.Wait.Event
			}
			p.wait(r, s, due, why)
			return false
		case StepBranch:
			next = s.Branch.Else
			taken := "else"
			var reasons []string
			for ci, cs := range s.Branch.Cases {
				ok, why := c.cases[s.ID][ci].Eval(p.in.After, r, p.now)
				reasons = append(reasons, why)
				if ok {
					next, taken = cs.Next, cs.Name
					break
				}
			}
			p.mark(r, s.ID, StepBranch, "took %s: %s", taken, strings.Join(reasons, "; "))
		case StepSplit:
			bucket := SplitBucket(p.in.After.ID, c.ID, s.ID)
			acc := 0
			for _, a := range s.Split {
				acc += a.Percent
				if bucket < acc {
					next = a.Next
					p.mark(r, s.ID, StepSplit, "arm %s (bucket %d of 100)", a.Name, bucket)
					break
				}
			}
		case StepUpdate:
			applyUpdate(p.in.After, s.Update)
			p.res.Effects = append(p.res.Effects, Effect{Kind: EffectUpdate, ID: mail.JourneySendID(r.ID, s.ID), Journey: c.ID, Version: r.Version, Run: r.ID, Step: s.ID, Update: s.Update})
			p.mark(r, s.ID, StepUpdate, "updated the contact")
		case StepNotify:
			p.res.Effects = append(p.res.Effects, Effect{Kind: EffectNotify, ID: mail.JourneySendID(r.ID, s.ID), Journey: c.ID, Version: r.Version, Run: r.ID, Step: s.ID, Notify: s.Notify})
			p.mark(r, s.ID, StepNotify, "published %s%s", s.Notify.Event, yesNo(s.Notify.Webhooks, " and webhooks", ""))
		case StepExit:
			p.count(r, s.ID, MetricLeft)
			p.finish(i, OutcomeCompleted, "exit step")
			return true
		}
		p.count(r, s.ID, MetricLeft)
		if next == "" {
			p.finish(i, OutcomeCompleted, "reached the end")
			return true
		}
		p.count(r, s.ID, EdgeMetric(next))
		r.Step, r.Since = next, p.now
		p.count(r, next, MetricEntered)
	}
	p.finish(i, OutcomeCompleted, "too many steps in one pass")
	return true
}

func (p *pass) wait(r *Run, s *Step, due time.Time, why string) {
	if p.e.Scale > 0 && p.e.Scale != 1 {
		due = p.now.Add(time.Duration(float64(due.Sub(p.now)) * p.e.Scale))
	}
	due = due.Truncate(time.Second)
	if !due.After(p.now) {
		due = p.now.Truncate(time.Second).Add(time.Second)
	}
	r.Until = due
	p.res.Effects = append(p.res.Effects, wakeTimer(*r, p.now))
	p.mark(r, s.ID, StepWait, "%s (until %s)", why, due.UTC().Format(time.RFC3339))
}

// waitUntil is when a wait ends (for an event wait: its timeout).
func (p *pass) waitUntil(w *Wait) (time.Time, string) {
	switch {
	case w.Event != "":
		return p.now.Add(time.Duration(w.Timeout)), fmt.Sprintf("waiting for %s, at most %s", w.Event, w.Timeout)
	case w.For > 0:
		return p.now.Add(time.Duration(w.For)), "waiting " + w.For.String()
	}
	loc := location(p.in.After.Timezone)
	return NextLocal(p.now, loc, w.Weekdays, w.At), fmt.Sprintf("waiting for %s %s in %s", strings.Join(w.Weekdays, "/"), w.At, loc)
}

// NextLocal is the first instant after now that falls on one of the
// weekdays (any, if none) at hh:mm wall-clock time in loc. Go's time.Date
// resolves DST: a local time that does not exist that day moves forward.
func NextLocal(now time.Time, loc *time.Location, days []string, at string) time.Time {
	hh, mm := clock(at)
	local := now.In(loc)
	for d := 0; d <= 8; d++ {
		c := time.Date(local.Year(), local.Month(), local.Day()+d, hh, mm, 0, 0, loc)
		if !c.After(now) {
			continue
		}
		if len(days) == 0 {
			return c
		}
		for _, name := range days {
			if weekdays[name] == c.Weekday() {
				return c
			}
		}
	}
	return now.Add(7 * 24 * time.Hour)
}

// SplitBucket is a contact's bucket (0..99) at a split: the same contact
// always takes the same arm.
func SplitBucket(contact, journey, step string) int {
	h := sha256.Sum256([]byte(contact + "\x00" + journey + "\x00" + step))
	return int(binary.BigEndian.Uint64(h[:8]) % 100)
}

func applyUpdate(c *Contact, u *Update) {
	for _, t := range u.AddTags {
		if !slices.Contains(c.Tags, t) {
			c.Tags = append(c.Tags, t)
		}
	}
	c.Tags = slices.DeleteFunc(c.Tags, func(t string) bool { return slices.Contains(u.RemoveTags, t) })
	if len(u.Traits) > 0 && c.Traits == nil {
		c.Traits = map[string]any{}
	}
	for k, v := range u.Traits {
		c.Traits[k] = v
	}
	if u.Stage != "" {
		c.Stage = u.Stage
	}
	c.Score += u.Score
}

// end finishes a run at its step with an outcome (goal, exit segment).
func (p *pass) end(i int, c *Compiled, outcome, why string, a ...any) {
	r := &p.st.Runs[i]
	metric := map[string]string{OutcomeConverted: MetricConverted, OutcomeExited: MetricExited, OutcomeStopped: MetricStopped, OutcomeMerged: MetricMerged}[outcome]
	p.count(r, r.Step, metric)
	p.finish(i, outcome, why, a...)
}

// finish removes a run and remembers its end for the entry rules.
func (p *pass) finish(i int, outcome, why string, a ...any) {
	r := p.st.Runs[i]
	p.mark(&r, r.Step, "end", outcome+": "+why, a...)
	if outcome == OutcomeCompleted {
		p.count(&r, r.Step, MetricCompleted)
	}
	p.st.Runs = slices.Delete(p.st.Runs, i, i+1)
	if e := p.st.ended(r.Journey); e != nil {
		e.At, e.Outcome, e.Runs = p.now, outcome, e.Runs+1
	} else {
		p.st.Ended = append(p.st.Ended, Ended{Journey: r.Journey, At: p.now, Outcome: outcome, Runs: 1})
	}
}

// Stop ends a contact's run at once (an operator's stop).
func Stop(st *State, runID string, now time.Time) (Result, bool) {
	var res Result
	for i, r := range st.Runs {
		if r.ID == runID {
			p := &pass{st: st, res: &res, now: now}
			p.count(&r, r.Step, MetricStopped)
			p.finish(i, OutcomeStopped, "stopped by an operator")
			res.Changed = true
			return res, true
		}
	}
	return res, false
}

func statesEqual(a, b *State) bool {
	if len(a.Runs) != len(b.Runs) || len(a.Ended) != len(b.Ended) {
		return false
	}
	for i := range a.Runs {
		x, y := a.Runs[i], b.Runs[i]
		if x.ID != y.ID || x.Step != y.Step || x.Version != y.Version || !x.Until.Equal(y.Until) || x.For != y.For || x.Held != y.Held ||
			!slices.Equal(x.Opened, y.Opened) || !slices.Equal(x.Clicked, y.Clicked) || !x.Since.Equal(y.Since) {
			return false
		}
	}
	for i := range a.Ended {
		if a.Ended[i] != b.Ended[i] {
			return false
		}
	}
	return true
}
