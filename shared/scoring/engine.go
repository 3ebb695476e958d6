package scoring

import (
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/tracking"
)

// Kind says whether a rule scores fit or engagement.
type Kind string

// Rule kinds.
const (
	KindFit        Kind = "fit"
	KindEngagement Kind = "engagement"
)

// State is the score a contact carries on its profile item. It is small
// (one number per rule that ever scored, one window per capped rule) and
// holds no event list, so writing it costs the same on the thousandth event
// as on the first.
type State struct {
	// ModelVersion is the model the state was computed with; a state from
	// another version is re-scored in the background (Engine.Stale).
	ModelVersion string         `json:"model_version,omitempty"`
	Fit          int            `json:"fit"`
	FitBreakdown map[string]int `json:"fit_breakdown,omitempty"`
	// Engagement is the decayed sum of every engagement point, valued at
	// AsOf; read it through Engine.EngagementAt or Engine.Score.
	Engagement float64   `json:"engagement"`
	AsOf       time.Time `json:"as_of,omitzero"`
	// ByRule is each rule's share of Engagement at AsOf; the values sum to
	// Engagement.
	ByRule map[string]float64 `json:"by_rule,omitempty"`
	// Caps holds the open cap window of each capped rule.
	Caps map[string]CapWindow `json:"caps,omitempty"`
}

// CapWindow is the points a capped rule has awarded in the calendar period
// starting at Start.
type CapWindow struct {
	Start  time.Time `json:"start"`
	Points int       `json:"points"`
}

// Change explains one score movement: which message, which rule, how many
// points as awarded (engagement then decays from At), and whether a cap
// cut them. A fully capped event still yields a Change with 0 points, so
// "why did this not count?" has an answer.
type Change struct {
	MessageID string    `json:"message_id,omitempty"`
	RuleID    string    `json:"rule_id"`
	Kind      Kind      `json:"kind"`
	Points    int       `json:"points"`
	Capped    bool      `json:"capped,omitempty"`
	At        time.Time `json:"at"`
}

// Score is a state read at one instant.
type Score struct {
	Total      int `json:"total"`
	Fit        int `json:"fit"`
	Engagement int `json:"engagement"`
}

// RuleScore is one line of a breakdown: a rule's current (decayed) points.
type RuleScore struct {
	RuleID      string  `json:"rule_id"`
	Kind        Kind    `json:"kind"`
	Description string  `json:"description,omitempty"`
	Points      float64 `json:"points"`
}

// Engine runs one validated model. It is immutable and safe for concurrent
// use; build it once per model version.
type Engine struct {
	model    Model
	halfLife time.Duration
	c        *compiled
}

type compiled struct {
	byType      map[string][]*engagementRule // message type → rules
	byTrack     map[string][]*engagementRule // lower-case track event → rules
	fit         []fitRule
	transitions []transition
	rules       map[string]ruleInfo
}

type ruleInfo struct {
	kind        Kind
	description string
}

type engagementRule struct {
	EngagementRule
	filters []matcher
}

type fitRule struct {
	FitRule
	conds []matcher
}

// NewEngine validates and compiles a model and stamps its Version.
func NewEngine(m Model) (*Engine, error) {
	c, err := compileModel(m)
	if err != nil {
		return nil, err
	}
	m.Version = m.Fingerprint()
	e := &Engine{model: m, c: c}
	if m.HalfLifeDays > 0 {
		e.halfLife = time.Duration(m.HalfLifeDays * float64(24*time.Hour))
	}
	return e, nil
}

// Model returns the engine's model, Version set.
func (e *Engine) Model() Model { return e.model }

// Version is the model's content hash.
func (e *Engine) Version() string { return e.model.Version }

// Stale reports whether a state was computed under another model and must be
// re-scored. A state that never scored anything is not stale.
func (e *Engine) Stale(s State) bool {
	return s.ModelVersion != "" && s.ModelVersion != e.model.Version
}

// factor is how much a point is worth d after it was awarded.
func (e *Engine) factor(d time.Duration) float64 {
	if e.halfLife == 0 || d <= 0 {
		return 1
	}
	return math.Exp2(-float64(d) / float64(e.halfLife))
}

// EngagementAt is the state's engagement decayed to t. A t before AsOf reads
// the value at AsOf: decay never runs backwards into growth.
func (e *Engine) EngagementAt(s State, t time.Time) float64 {
	return s.Engagement * e.factor(t.Sub(s.AsOf))
}

// Score reads the state at t: Total = Fit + round(EngagementAt(t)).
func (e *Engine) Score(s State, t time.Time) Score {
	eng := int(math.Round(e.EngagementAt(s, t)))
	return Score{Total: s.Fit + eng, Fit: s.Fit, Engagement: eng}
}

// Decayed is what a Change is worth at now: engagement points fade from
// their own timestamp, fit points do not. The score API shows it beside the
// points as awarded, which is "the decay applied".
func (e *Engine) Decayed(c Change, now time.Time) float64 {
	if c.Kind == KindFit {
		return float64(c.Points)
	}
	return float64(c.Points) * e.factor(now.Sub(c.At))
}

// Horizon is how far back a re-score needs events: an older event is worth
// less than half a point now, whatever its rule. 0 means every event counts
// (no decay).
func (e *Engine) Horizon() time.Duration {
	if e.halfLife == 0 {
		return 0
	}
	most := 1
	for _, rs := range [](map[string][]*engagementRule){e.c.byType, e.c.byTrack} {
		for _, rules := range rs {
			for _, r := range rules {
				most = max(most, abs(r.Points))
			}
		}
	}
	return time.Duration(float64(e.halfLife) * math.Log2(2*float64(most)))
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// ScoreEvent scores one message: engagement rules matching it award points
// (decayed to the state's AsOf, see add), and fit is recomputed from facts.
// It is a pure function of its inputs: it never changes s (maps are copied
// on write), and the same (s, facts, msg) always gives the same result. It
// does not remember message ids: the caller skips messages already applied
// (the profile's de-duplication window does that at no extra write).
func (e *Engine) ScoreEvent(s State, f Facts, msg tracking.Message) (State, []Change) {
	w := e.writer(s)
	var changes []Change
	changes = e.engage(&w, &msg, changes)
	changes = e.refit(&w, &f, msg.MessageID, msg.Timestamp.UTC(), changes)
	return w.s, changes
}

// ScoreEvents scores the new messages of one batch for one contact, in
// timestamp order (then message id), so the result does not depend on the
// order inside the batch; repeated message ids score once. Fit is
// recomputed once, after all of them, and attributed to the last message
// that carried traits (the one that set the facts fit reads), else the last.
func (e *Engine) ScoreEvents(s State, f Facts, msgs []tracking.Message) (State, []Change) {
	sorted := canonical(msgs)
	w := e.writer(s)
	var changes []Change
	for i := range sorted {
		changes = e.engage(&w, &sorted[i], changes)
	}
	if len(sorted) > 0 {
		src := factSource(sorted)
		changes = e.refit(&w, &f, src.MessageID, src.Timestamp.UTC(), changes)
	}
	return w.s, changes
}

// factSource is the message a batch's fit changes are credited to: the last
// one that set traits (an identify, a group, a form fill), because fit is
// computed from traits; without any, the last message.
func factSource(sorted []tracking.Message) tracking.Message {
	for i := len(sorted) - 1; i >= 0; i-- {
		if m := sorted[i]; len(m.Traits) > 0 || len(m.Context.Traits) > 0 {
			return m
		}
	}
	return sorted[len(sorted)-1]
}

// Refit recomputes fit alone, for a profile change that came with no
// message (an admin edit of traits or tags); changes are dated at.
func (e *Engine) Refit(s State, f Facts, at time.Time) (State, []Change) {
	w := e.writer(s)
	changes := e.refit(&w, &f, "", at.UTC(), nil)
	return w.s, changes
}

// Rescore recomputes a state from scratch for the current model, from the
// contact's timeline (any order, duplicates allowed) and current facts. It
// ignores any previous state, so it never double counts, and it is
// deterministic: the same facts and events give the same state and changes.
// Fit changes are dated now, since they come from the profile as it is.
func (e *Engine) Rescore(f Facts, events []tracking.Message, now time.Time) (State, []Change) {
	sorted := canonical(events)
	w := e.writer(State{ModelVersion: e.model.Version})
	var changes []Change
	for i := range sorted {
		changes = e.engage(&w, &sorted[i], changes)
	}
	changes = e.refit(&w, &f, "", now.UTC(), changes)
	return w.s, changes
}

// canonical orders messages by timestamp, then id, and drops repeated ids.
func canonical(msgs []tracking.Message) []tracking.Message {
	sorted := slices.Clone(msgs)
	slices.SortStableFunc(sorted, func(a, b tracking.Message) int {
		if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
			return c
		}
		return strings.Compare(a.MessageID, b.MessageID)
	})
	return slices.CompactFunc(sorted, func(a, b tracking.Message) bool {
		return a.MessageID != "" && a.MessageID == b.MessageID
	})
}

// writer copies the state's maps the first time each is written, so
// ScoreEvent stays pure and a message that scores nothing costs no copy.
type writer struct {
	s                         State
	byRule, caps, fitBreakdwn bool // copied yet?
}

func (e *Engine) writer(s State) writer {
	if s.ModelVersion == "" {
		s.ModelVersion = e.model.Version
	}
	return writer{s: s}
}

func (w *writer) ownByRule() {
	if !w.byRule {
		w.s.ByRule = maps.Clone(w.s.ByRule)
		if w.s.ByRule == nil {
			w.s.ByRule = map[string]float64{}
		}
		w.byRule = true
	}
}

func (w *writer) ownCaps() {
	if !w.caps {
		w.s.Caps = maps.Clone(w.s.Caps)
		if w.s.Caps == nil {
			w.s.Caps = map[string]CapWindow{}
		}
		w.caps = true
	}
}

func (w *writer) ownFit() {
	if !w.fitBreakdwn {
		w.s.FitBreakdown = maps.Clone(w.s.FitBreakdown)
		if w.s.FitBreakdown == nil {
			w.s.FitBreakdown = map[string]int{}
		}
		w.fitBreakdwn = true
	}
}

// rulesFor finds the engagement rules listening to a message's event.
func (e *Engine) rulesFor(msg *tracking.Message) []*engagementRule {
	if msg.Type != tracking.TypeTrack {
		return e.c.byType[msg.Type]
	}
	// Lower-case into a stack buffer: a map lookup keyed by string(bytes)
	// does not allocate, where strings.ToLower would for every event.
	var buf [64]byte
	name := strings.TrimSpace(msg.Event)
	if len(name) > len(buf) {
		return e.c.byTrack[strings.ToLower(name)]
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 0x80 {
			return e.c.byTrack[strings.ToLower(name)]
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return e.c.byTrack[string(buf[:len(name)])]
}

func (e *Engine) engage(w *writer, msg *tracking.Message, changes []Change) []Change {
	ts := msg.Timestamp.UTC()
	for _, r := range e.rulesFor(msg) {
		if !allMessage(r.filters, msg) {
			continue
		}
		pts, capped := r.Points, false
		if r.Cap != nil && pts > 0 {
			pts, capped = w.charge(r, ts)
		}
		if pts != 0 {
			e.add(w, r.ID, float64(pts), ts)
		}
		changes = append(changes, Change{MessageID: msg.MessageID, RuleID: r.ID, Kind: KindEngagement,
			Points: pts, Capped: capped, At: ts})
	}
	return changes
}

func allMessage(ms []matcher, msg *tracking.Message) bool {
	for i := range ms {
		if !ms[i].matchMessage(msg) {
			return false
		}
	}
	return true
}

func allFacts(ms []matcher, f *Facts) bool {
	for i := range ms {
		if !ms[i].matchFacts(f) {
			return false
		}
	}
	return true
}

// pruneBelow drops a rule's share once decay has made it negligible, so a
// rule that scored once a year ago does not stay on the profile item for
// ever. Engagement drops the same amount, keeping sum(ByRule) == Engagement.
const pruneBelow = 0.01

// add puts points awarded at ts into the state. The state is valued at AsOf,
// the latest time it has seen:
//   - ts after AsOf: decay everything to ts, then add the points in full;
//     AsOf becomes ts.
//   - ts at or before AsOf (an event arriving late): add the points already
//     decayed from ts to AsOf.
//
// Either way every point ends up worth points·2^(-(AsOf-ts)/halfLife), which
// is what it would be worth had the events arrived in order: engagement is a
// sum, so the order of arrival does not change it (up to float rounding).
func (e *Engine) add(w *writer, ruleID string, pts float64, ts time.Time) {
	w.ownByRule()
	s := &w.s
	switch {
	case s.AsOf.IsZero():
		s.AsOf = ts
	case ts.After(s.AsOf):
		if f := e.factor(ts.Sub(s.AsOf)); f != 1 {
			s.Engagement *= f
			for id, v := range s.ByRule {
				v *= f
				if math.Abs(v) < pruneBelow && id != ruleID {
					s.Engagement -= v
					delete(s.ByRule, id)
					continue
				}
				s.ByRule[id] = v
			}
		}
		s.AsOf = ts
	default:
		pts *= e.factor(s.AsOf.Sub(ts))
	}
	s.Engagement += pts
	s.ByRule[ruleID] += pts
}

// charge counts points against a rule's cap and returns what may be
// awarded. Each rule has one open window: the calendar period (UTC) of the
// latest event charged. An event in a later period opens a new window; an
// event in an earlier period (arriving late, after its period was closed by
// a newer event) is charged to the open window, never to a reopened old one.
// So a rule never awards more than Cap.Points in any window it opened, the
// state keeps one window per rule, and in-order processing (Rescore) charges
// every event to its own period.
func (w *writer) charge(r *engagementRule, ts time.Time) (int, bool) {
	w.ownCaps()
	start := periodStart(r.Cap.Period, ts)
	win, ok := w.s.Caps[r.ID]
	if !ok || start.After(win.Start) {
		win = CapWindow{Start: start}
	}
	award := min(r.Points, max(r.Cap.Points-win.Points, 0))
	win.Points += award
	w.s.Caps[r.ID] = win
	return award, award < r.Points
}

// periodStart is the start of the calendar period holding t, in UTC.
func periodStart(p Period, t time.Time) time.Time {
	t = t.UTC()
	y, m, d := t.Date()
	switch p {
	case Week:
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, time.UTC)
	case Month:
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// refit recomputes fit from facts and records each rule whose contribution
// changed (a new match, a lost match, a rule no longer in the model).
func (e *Engine) refit(w *writer, f *Facts, msgID string, at time.Time, changes []Change) []Change {
	// Each rule's key is read before it is written, so held counts the
	// model's rules in the breakdown as it was; the rest are stale.
	held, before := 0, len(w.s.FitBreakdown)
	total := 0
	for i := range e.c.fit {
		r := &e.c.fit[i]
		had, ok := w.s.FitBreakdown[r.ID]
		if ok {
			held++
		}
		now := 0
		if allFacts(r.conds, f) {
			now = r.Points
		}
		total += now
		if now == had {
			continue
		}
		w.ownFit()
		if now == 0 {
			delete(w.s.FitBreakdown, r.ID)
		} else {
			w.s.FitBreakdown[r.ID] = now
		}
		changes = append(changes, Change{MessageID: msgID, RuleID: r.ID, Kind: KindFit, Points: now - had, At: at})
	}
	if held < before {
		// Rules of an older model: take their points back, in id order so
		// the changes are deterministic.
		var gone []string
		for id := range w.s.FitBreakdown {
			if e.c.rules[id].kind != KindFit {
				gone = append(gone, id)
			}
		}
		sort.Strings(gone)
		w.ownFit()
		for _, id := range gone {
			changes = append(changes, Change{MessageID: msgID, RuleID: id, Kind: KindFit, Points: -w.s.FitBreakdown[id], At: at})
			delete(w.s.FitBreakdown, id)
		}
	}
	w.s.Fit = total
	if len(w.s.FitBreakdown) == 0 {
		w.s.FitBreakdown = nil
	}
	return changes
}

// Award adds points that no model rule gives (a journey's update step)
// as engagement under ruleID, decaying like any engagement point, and
// returns the change that explains it (MessageID names the timeline event
// recording it). Points are not capped. A re-score from the timeline
// (Rescore) recomputes from the model's rules and does not repeat them.
func (e *Engine) Award(s State, ruleID string, points int, msgID string, at time.Time) (State, Change) {
	w := e.writer(s)
	e.add(&w, ruleID, float64(points), at.UTC())
	return w.s, Change{MessageID: msgID, RuleID: ruleID, Kind: KindEngagement, Points: points, At: at.UTC()}
}

// Breakdown lists every rule's current points, largest first: fit as is,
// engagement decayed to now. Points are rounded to hundredths and rules
// worth nothing are left out.
func (e *Engine) Breakdown(s State, now time.Time) []RuleScore {
	out := make([]RuleScore, 0, len(s.FitBreakdown)+len(s.ByRule))
	for id, p := range s.FitBreakdown {
		out = append(out, RuleScore{RuleID: id, Kind: KindFit, Description: e.c.rules[id].description, Points: float64(p)})
	}
	f := e.factor(now.Sub(s.AsOf))
	for id, v := range s.ByRule {
		p := math.Round(v*f*100) / 100
		if p == 0 {
			continue
		}
		out = append(out, RuleScore{RuleID: id, Kind: KindEngagement, Description: e.c.rules[id].description, Points: p})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Points != out[j].Points {
			return out[i].Points > out[j].Points
		}
		return out[i].RuleID < out[j].RuleID
	})
	return out
}
