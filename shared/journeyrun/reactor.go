package journeyrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/journey"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/membership"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Scheduler stores timers (the timer wheel) and cancels those no longer
// wanted.
type Scheduler interface {
	Schedule(ctx context.Context, t timer.Timer) error
	Cancel(ctx context.Context, ts []timer.Timer) error
}

// Notification is a notify step's message: a journey.* event on the bus or
// a signed webhook. ID (run + step) is the same on every retry, so
// receivers de-duplicate by it.
type Notification struct {
	ID        string    `json:"id"`
	Event     string    `json:"event,omitempty"`
	Webhooks  bool      `json:"-"`
	ContactID string    `json:"contact_id"`
	Journey   string    `json:"journey_id"`
	Version   int64     `json:"version"`
	Run       string    `json:"run_id"`
	Step      string    `json:"step_id"`
	Message   string    `json:"message,omitempty"`
	At        time.Time `json:"at"`
}

// Notifier carries out notify steps.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// Run statuses in the history (besides the outcomes).
const StatusActive = "active"

// RunRecord is a run as its history keeps it: where it is, and its path.
type RunRecord struct {
	ContactID string         `json:"contact_id"`
	Journey   string         `json:"journey_id"`
	Version   int64          `json:"version"`
	Run       string         `json:"run_id"`
	Step      string         `json:"step"`
	Status    string         `json:"status"`
	Started   time.Time      `json:"started_at,omitzero"`
	Since     time.Time      `json:"since,omitzero"`
	Until     time.Time      `json:"waiting_until,omitzero"`
	For       string         `json:"waiting_for,omitempty"`
	Updated   time.Time      `json:"updated_at"`
	Marks     []journey.Mark `json:"path,omitempty"`
	// WokeAt is set on a run that ended in a pass at or after the time its
	// wait ended: its drill-down entry (keyed by that time) is already out
	// of the listing, so the store may leave it instead of deleting it.
	WokeAt bool `json:"-"`
}

// StepCount is a counter of one journey version's step ("" for the
// journey as a whole).
type StepCount struct {
	Journey string `json:"journey_id"`
	Version int64  `json:"version"`
	Step    string `json:"step"`
	Metric  string `json:"metric"`
	N       int64  `json:"n"`
}

// PlanCount is a journey's planned volume on a day (UTC): the runs whose
// wait ends that day, and how many of those may then send an email
// (journey.MaySendOnWake: an upper bound). The calendar shows it beside
// the campaigns' planned sends.
type PlanCount struct {
	Journey string `json:"journey"`
	Day     string `json:"day"`
	Runs    int64  `json:"runs"`
	Emails  int64  `json:"emails"`
}

// PlanDay is the calendar day (UTC) of a wait ending at t.
func PlanDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// Store keeps run history and step counts.
type Store interface {
	// RecordRuns updates each run's record, appending the marks to its path.
	RecordRuns(ctx context.Context, rs []RunRecord) error
	// AddStepCounts adds to counters.
	AddStepCounts(ctx context.Context, cs []StepCount) error
	// AddPlanned adds to the planned-volume counters (negative to take a
	// run off a day); Planned sums a journey's counters for the days from
	// through to (dates, inclusive), days with nothing left out.
	AddPlanned(ctx context.Context, ps []PlanCount) error
	Planned(ctx context.Context, journeyID, from, to string) ([]PlanCount, error)
	// ContactRuns lists a contact's runs, newest first.
	ContactRuns(ctx context.Context, contactID string) ([]RunRecord, error)
	// StepCounts sums a journey's counters, by version and step.
	StepCounts(ctx context.Context, journeyID string) ([]StepCount, error)
	// StepContacts lists the runs resting at a step of a journey version,
	// soonest wake first and held runs last, limit at a time from the
	// cursor after (""); it returns the next page's cursor ("" on the last
	// page). It may list runs that have moved on or ended (the index trails
	// the profile, and a run ended at its wake leaves its entry): callers
	// check each against the contact's profile. now is the listing's clock.
	StepContacts(ctx context.Context, journeyID string, version int64, step, after string, limit int, now time.Time) ([]StepContact, string, error)
	// PutHeld lists a run in its journey's held index (written again, it
	// stays one entry); HeldRuns pages through that index, limit at a time
	// from the cursor after (""), answering the next page's cursor ("" on
	// the last); DeleteHeld removes an entry unless it was written again
	// since (its At differs), so a resume never unlists a run held anew.
	// MoveRuns moves run records from a merged-away contact to its
	// survivor, each exactly once: the survivor's record (the loser's
	// path and start kept, the index entry re-keyed to the survivor), the
	// loser's record and held entry deleted, and a merged end's count
	// commit together, and a record already at the survivor is not moved
	// again.
	MoveRuns(ctx context.Context, moves []RunMove) error
	PutHeld(ctx context.Context, h HeldRun) error
	HeldRuns(ctx context.Context, journeyID, after string, limit int) ([]HeldRun, string, error)
	DeleteHeld(ctx context.Context, h HeldRun) error
}

// RunMove is one run record following its contact into a merge. Run is
// the record as the survivor keeps it (ContactID the survivor): active and
// resting where it was, or ended as merged with its end in Marks.
type RunMove struct {
	From string
	Run  RunRecord
	// Count is the merged end's step count (nil for a moved run: it
	// stays counted where it rests).
	Count *StepCount
}

// HeldRun is a run a paused journey holds, as the held index lists it.
type HeldRun struct {
	Journey   string
	ContactID string
	Run       string
	Version   int64
	Step      string
	// At is when the run was held (the pass's time).
	At time.Time
}

// StepContact is an active run at a step, as the drill-down index has it
// (the history may trail the profile by a batch).
type StepContact struct {
	ContactID string `json:"contact_id"`
	Run       string `json:"run_id"`
	// Until is when the run's wait ends; zero for a run held by a pause.
	Until time.Time `json:"until,omitzero"`
}

// ErrBadCursor: a page cursor that no listing gave out.
var ErrBadCursor = errors.New("bad cursor")

// Reactor is the journeys' contact.Flusher.
type Reactor struct {
	lib    *Library
	engine journey.Engine
	mail   mail.Queue
	timers Scheduler
	notify Notifier
	store  Store
	score  func(ctx context.Context, s scoring.State, at time.Time) (scoring.Score, error)
	award  Awarder
	tl     Timeline
	log    *slog.Logger
	mu     sync.Mutex
	// staged holds what a change would record until its profile write
	// commits (Committed moves it to pending); a change whose write failed
	// is reacted to again by the retry, and must not be counted twice.
	staged  map[string]pending
	pending map[string]pending
	// mergeStaged holds the planned volume a merge took off (runs ended
	// as merged while waiting), by survivor and merged-away contact: a
	// fold run again replaces its own entry; the survivor's commit moves
	// them to pending.
	mergeStaged map[string]map[string][]PlanCount
}

type pending struct {
	counts []journey.Count
	runs   []RunRecord
	plans  []PlanCount
	// cancels are the wake-ups of waits the change left early
	// (journey.LeftWaits), cancelled once its profile write committed: a
	// change that never commits leaves its runs waiting, timers and all.
	cancels []timer.Timer
}

var (
	_ contact.Flusher   = (*Reactor)(nil)
	_ contact.Committer = (*Reactor)(nil)
	_ contact.Merger    = (*Reactor)(nil)
)

// Merged implements contact.Merger: the merged-away contact's active runs
// move to the survivor (journey.Merge), in the survivor's profile write
// that commits the fold. Before that write, and idempotently: the run
// records move (each once, see Store.MoveRuns), waiting runs get their
// wake-up again addressed to the survivor (same timer id), held runs are
// listed for the survivor. A fold run again repeats none of it.
func (r *Reactor) Merged(ctx context.Context, m *contact.MergeChange) error {
	if m.From.Journeys.Empty() {
		return nil
	}
	st := &journey.State{}
	if m.Into.Journeys != nil {
		st = m.Into.Journeys.Clone()
	}
	mr := journey.Merge(st, m.From.Journeys, m.Into.ID, m.Now, !m.Guarded)
	if !mr.Changed {
		return nil
	}
	if r.store == nil {
		return fmt.Errorf("merge journeys of %s into %s: no run store", m.From.ID, m.Into.ID)
	}
	marks := map[string][]journey.Mark{}
	for _, mk := range mr.Marks {
		marks[mk.Run] = append(marks[mk.Run], mk)
	}
	var moves []RunMove
	for _, run := range mr.Moved {
		rec := RunRecord{ContactID: m.Into.ID, Journey: run.Journey, Version: run.Version, Run: run.ID, Step: run.Step, Status: StatusActive,
			Started: run.Started, Since: run.Since, Until: run.Until, For: run.For, Updated: m.Now, Marks: marks[run.ID]}
		moves = append(moves, RunMove{From: m.From.ID, Run: rec})
	}
	for _, run := range mr.Ended {
		rec := RunRecord{ContactID: m.Into.ID, Journey: run.Journey, Version: run.Version, Run: run.ID, Step: run.Step, Status: journey.OutcomeMerged,
			Started: run.Started, Since: run.Since, Updated: m.Now, Marks: marks[run.ID]}
		moves = append(moves, RunMove{From: m.From.ID, Run: rec,
			Count: &StepCount{Journey: run.Journey, Version: run.Version, Step: run.Step, Metric: journey.MetricMerged, N: 1}})
	}
	if err := r.store.MoveRuns(ctx, moves); err != nil {
		return fmt.Errorf("merge journeys of %s into %s: %w", m.From.ID, m.Into.ID, err)
	}
	// Moved runs keep their wait (same journey, same day); ended ones no
	// longer move on from it.
	var off []PlanCount
	if lib, err := r.lib.Snapshot(ctx); err == nil {
		off = PlanDelta(lib, mr.Ended, nil)
	}
	r.mu.Lock()
	if r.mergeStaged[m.Into.ID] == nil {
		r.mergeStaged[m.Into.ID] = map[string][]PlanCount{}
	}
	r.mergeStaged[m.Into.ID][m.From.ID] = off
	r.mu.Unlock()
	mr.Marks, mr.Counts = nil, nil // recorded and counted with the moves
	if err := r.apply(ctx, &contact.Change{After: m.Into, Now: m.Now}, mr.Result); err != nil {
		return fmt.Errorf("merge journeys of %s into %s: %w", m.From.ID, m.Into.ID, err)
	}
	m.Into.Journeys = st
	if st.Empty() {
		m.Into.Journeys = nil
	}
	r.log.InfoContext(ctx, "journey runs merged", "contact_id", m.Into.ID, "merged_id", m.From.ID, "moved", len(mr.Moved), "ended", len(mr.Ended))
	return nil
}

// Committed implements contact.Committer: the change's profile write
// committed, so what it recorded is flushed with the batch.
func (r *Reactor) Committed(_ context.Context, c *contact.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.staged[c.After.ID]
	delete(r.staged, c.After.ID)
	for _, off := range r.mergeStaged[c.After.ID] {
		p.plans, ok = append(p.plans, off...), true
	}
	delete(r.mergeStaged, c.After.ID)
	if ok {
		r.pending[c.After.ID] = p
	}
}

// Options are the reactor's settings.
type Options struct {
	// WaitScale shortens waits (make dev, integration tests); 0 or 1: real time.
	WaitScale float64
	// Score reads a contact's scores (the scoring model in force).
	Score func(ctx context.Context, s scoring.State, at time.Time) (scoring.Score, error)
	// Award gives an update step's score points through the scoring model
	// in force (scoring.Engine.Award); Timeline records the change that
	// explains them. Without both, score points are refused at run time
	// rather than silently dropped.
	Award    Awarder
	Timeline Timeline
}

// Awarder adds points no model rule gives under ruleID (scoring.Engine.Award
// of the model in force).
type Awarder func(ctx context.Context, s scoring.State, ruleID string, points int, msgID string, at time.Time) (scoring.State, scoring.Change, error)

// Timeline records events and the score changes they explain on a
// contact's timeline (contact.Store does).
type Timeline interface {
	PutEvents(ctx context.Context, contactID string, commit contact.Commit, msgs []tracking.Message, changes []scoring.Change) error
}

// ScoreEvent is the timeline event that records an update step's points.
const ScoreEvent = "Journey Score Awarded"

// ScoreRule is the rule id an update step's points are kept under in the
// score breakdown and history: "journey <id> step <step>".
func ScoreRule(journeyID, step string) string { return "journey " + journeyID + " step " + step }

// NewReactor wires the reactor to its ports.
func NewReactor(lib *Library, q mail.Queue, timers Scheduler, n Notifier, store Store, log *slog.Logger, o Options) *Reactor {
	return &Reactor{lib: lib, engine: journey.Engine{Scale: o.WaitScale}, mail: q, timers: timers, notify: n, store: store, score: o.Score,
		award: o.Award, tl: o.Timeline, log: log, staged: map[string]pending{}, pending: map[string]pending{}, mergeStaged: map[string]map[string][]PlanCount{}}
}

// React implements contact.Reactor. Side effects carry ids derived from
// the run and step (the send id, the timer id, the notification id), so a
// change run again after a failed profile write repeats nothing.
func (r *Reactor) React(ctx context.Context, c *contact.Change) error {
	lib, err := r.lib.Snapshot(ctx)
	if err != nil {
		return err
	}
	if age, ok := freshness(c.Events, lib); ok {
		if lib, err = r.lib.SnapshotWithin(ctx, age); err != nil {
			return err
		}
	}
	if len(lib.Current()) == 0 && (c.After.Journeys == nil || len(c.After.Journeys.Runs) == 0) {
		return nil
	}
	st := &journey.State{}
	if c.After.Journeys != nil {
		st = c.After.Journeys.Clone()
	}
	after, err := r.view(ctx, c.After, c.Now)
	if err != nil {
		return err
	}
	var before *journey.Contact
	if c.Before != nil {
		b, err := r.view(ctx, c.Before, c.Now)
		if err != nil {
			return err
		}
		before = &b
	}
	e := r.engine
	e.Lib = lib
	res := e.Handle(st, journey.Input{Before: before, After: &after, Events: events(c.Events), Key: fmt.Sprintf("%016x", c.Commit.ID), Now: c.Now})
	if err := r.apply(ctx, c, res); err != nil {
		return err
	}
	var was []journey.Run
	if c.After.Journeys != nil {
		was = c.After.Journeys.Runs
	}
	plans := PlanDelta(lib, was, st.Runs)
	var cancels []timer.Timer
	if c.After.MergedInto == "" {
		for _, ef := range journey.LeftWaits(was, st.Runs, c.Now) {
			cancels = append(cancels, timer.Timer{ID: ef.ID, ContactID: c.After.ID, Due: ef.Due})
		}
	}
	if st.Empty() {
		c.After.Journeys = nil
	} else {
		c.After.Journeys = st
	}
	r.buffer(c.After.ID, was, st, res, plans, cancels, c.Now)
	return nil
}

func (r *Reactor) apply(ctx context.Context, c *contact.Change, res journey.Result) error {
	var msgs []tracking.Message
	var changes []scoring.Change
	for _, ef := range res.Effects {
		switch ef.Kind {
		case journey.EffectSend:
			kind := ef.Email.Kind
			if kind == "" {
				kind = mail.Marketing
			}
			req := mail.Request{SendID: ef.ID, ContactID: c.After.ID, TemplateID: ef.Email.Template, Kind: kind,
				Source: mail.Source{Journey: ef.Journey, Run: ef.Run, Step: ef.Step}, Awake: ef.Awake, RequestedAt: c.Now}
			if err := mail.Enqueue(ctx, r.mail, req); err != nil {
				return fmt.Errorf("journey %s step %s: %w", ef.Journey, ef.Step, err)
			}
		case journey.EffectTimer:
			t := timer.Timer{ID: ef.ID, ContactID: c.After.ID, Event: ef.Event, Properties: ef.Properties, Due: ef.Due}
			if err := r.timers.Schedule(ctx, t); err != nil {
				return fmt.Errorf("journey %s step %s: schedule: %w", ef.Journey, ef.Step, err)
			}
		case journey.EffectHold:
			h := HeldRun{Journey: ef.Journey, ContactID: c.After.ID, Run: ef.Run, Version: ef.Version, Step: ef.Step, At: c.Now}
			if err := r.store.PutHeld(ctx, h); err != nil {
				return fmt.Errorf("journey %s step %s: hold run %s: %w", ef.Journey, ef.Step, ef.Run, err)
			}
		case journey.EffectNotify:
			if r.notify == nil {
				r.log.WarnContext(ctx, "journey notify step with no notifier", "journey_id", ef.Journey, "step", ef.Step)
				continue
			}
			n := Notification{ID: ef.ID, Event: ef.Notify.Event, Webhooks: ef.Notify.Webhooks, ContactID: c.After.ID, Journey: ef.Journey,
				Version: ef.Version, Run: ef.Run, Step: ef.Step, Message: ef.Notify.Message, At: c.Now}
			if err := r.notify.Notify(ctx, n); err != nil {
				return fmt.Errorf("journey %s step %s: notify: %w", ef.Journey, ef.Step, err)
			}
		case journey.EffectUpdate:
			update(c.After, ef, c.Now)
			if ef.Update.Score == 0 {
				continue
			}
			m, ch, err := r.points(ctx, c, ef)
			if err != nil {
				return err
			}
			msgs, changes = append(msgs, m), append(changes, ch)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	// A chunk of its own, its commit derived from the change's (a re-run
	// rewrites the same chunk) with no parent: it never vouches for the
	// events chunk of a profile write that might not commit.
	own := contact.Commit{ID: c.Commit.ID ^ 0x6a09e667f3bcc909}
	if err := r.tl.PutEvents(ctx, c.After.ID, own, msgs, changes); err != nil {
		return fmt.Errorf("timeline of %s: journey score points: %w", c.After.ID, err)
	}
	return nil
}

// points gives an update step's score points on the profile being saved
// (they commit with the run's move past the step, so once) and returns
// the timeline event and change that explain them.
func (r *Reactor) points(ctx context.Context, c *contact.Change, ef journey.Effect) (tracking.Message, scoring.Change, error) {
	if r.award == nil || r.tl == nil {
		return tracking.Message{}, scoring.Change{}, fmt.Errorf("journey %s step %s: score points need the scoring model and the timeline", ef.Journey, ef.Step)
	}
	pts := ef.Update.Score
	m := tracking.Message{Type: tracking.TypeTrack, MessageID: "jscore-" + ef.ID, Event: ScoreEvent, ContactID: c.After.ID,
		Timestamp: c.Now, ReceivedAt: c.Now, Properties: map[string]any{"journey_id": ef.Journey, "version": ef.Version, "run_id": ef.Run,
			"step_id": ef.Step, "points": pts, "reason": fmt.Sprintf("journey %s step %s: %+d", ef.Journey, ef.Step, pts)}}
	st, ch, err := r.award(ctx, c.After.Score, ScoreRule(ef.Journey, ef.Step), pts, m.MessageID, c.Now)
	if err != nil {
		return m, ch, fmt.Errorf("journey %s step %s: score points: %w", ef.Journey, ef.Step, err)
	}
	c.After.Score = st
	return m, ch, nil
}

// update applies an update step to the profile being saved: it commits
// with the run's move past the step, so it happens once.
func update(p *contact.Profile, ef journey.Effect, now time.Time) {
	u := ef.Update
	for _, t := range u.AddTags {
		if !slices.Contains(p.Tags, t) {
			p.Tags = append(p.Tags, t)
		}
	}
	p.Tags = slices.DeleteFunc(p.Tags, func(t string) bool { return slices.Contains(u.RemoveTags, t) })
	if len(u.Traits) > 0 {
		if p.Traits == nil {
			p.Traits = map[string]any{}
		}
		if p.TraitTimes == nil {
			p.TraitTimes = map[string]time.Time{}
		}
		for k, v := range u.Traits {
			p.Traits[k], p.TraitTimes[k] = v, now
		}
	}
	if u.Stage != "" && string(p.Stage) != u.Stage {
		p.StageHistory = append(p.StageHistory, scoring.StageChange{From: p.Stage, To: scoring.Stage(u.Stage), At: now,
			Reason: "journey " + ef.Journey + " step " + ef.Step, By: "journey:" + ef.Journey})
		p.Stage = scoring.Stage(u.Stage)
	}
}

func (r *Reactor) view(ctx context.Context, p *contact.Profile, now time.Time) (journey.Contact, error) {
	v := journey.Contact{ID: p.ID, Email: p.Email, Status: p.Status, Timezone: p.Timezone, Traits: p.Traits,
		Tags: slices.Clone(p.Tags), Stage: string(p.Stage)}
	// Memberships are kept by the segment reactor, which runs first in the
	// same pass: segment triggers and exit segments see this pass's changes.
	if len(p.Segments) > 0 {
		v.Segments = make(map[string]bool, len(p.Segments))
		for _, id := range p.Segments {
			v.Segments[id] = true
		}
	}
	// Branch and goal conditions are segment filters: they see the whole
	// profile as a segment does (counters, consents, lists, fit...).
	v.Base = membership.ViewOf(p)
	if r.score != nil {
		s, err := r.score(ctx, p.Score, now)
		if err != nil {
			return v, fmt.Errorf("score of %s: %w", p.ID, err)
		}
		v.Score = s.Total
		v.Base.Fit, v.Base.Engagement, v.Base.Total = float64(s.Fit), float64(s.Engagement), float64(s.Total)
	}
	return v, nil
}

// FreshForTimed is the oldest journey list a timed step (a wait's end, a
// resume, a date trigger) runs on: a pause or an edit reaches timed steps
// within seconds, while entries and event-driven steps use the list for up
// to definition.CacheTTL. Timed steps come in minute ticks, so this costs
// a list read per tick and processor instance, not per contact.
const FreshForTimed = 5 * time.Second

// freshness says how recent the journey list must be for these events:
// FreshForTimed for timer-fired journey events, and read now for a resume
// of a version newer than the list knows (its sender saved it live after
// our last read; holding the run again on the old list would strand it).
func freshness(ms []tracking.Message, lib journey.Library) (time.Duration, bool) {
	age, ok := time.Duration(0), false
	for _, m := range ms {
		switch m.Event {
		case journey.WakeEvent, journey.DateEvent:
			age, ok = FreshForTimed, true
		case journey.ResumeEvent:
			id, _ := m.Properties["journey"].(string)
			v := number(m.Properties["version"])
			for _, c := range lib.Current() {
				if c.ID == id && float64(c.Version) < v {
					return 0, true
				}
			}
			age, ok = FreshForTimed, true
		}
	}
	return age, ok
}

func number(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case int:
		return float64(x)
	}
	return 0
}

func events(ms []tracking.Message) []journey.Event {
	out := make([]journey.Event, 0, len(ms))
	for _, m := range ms {
		if m.Type != tracking.TypeTrack {
			continue
		}
		e := journey.Event{ID: m.MessageID, Name: m.Event, Properties: m.Properties, At: m.Timestamp}
		if in := m.Context.Leadflow; in != nil {
			e.FormID = in.FormID
		}
		out = append(out, e)
	}
	return out
}

// buffer keeps a contact's history and counts for Flush; a contact's
// change run again (a write conflict) replaces what its earlier attempt left.
// was is the contact's runs before the pass.
func (r *Reactor) buffer(contactID string, was []journey.Run, st *journey.State, res journey.Result, plans []PlanCount, cancels []timer.Timer, now time.Time) {
	byRun := map[string]*RunRecord{}
	var order []string
	for _, m := range res.Marks {
		if m.Kind == "skip" {
			continue
		}
		rec, ok := byRun[m.Run]
		if !ok {
			rec = &RunRecord{ContactID: contactID, Journey: m.Journey, Version: m.Version, Run: m.Run, Status: StatusActive, Updated: now}
			byRun[m.Run] = rec
			order = append(order, m.Run)
		}
		rec.Marks = append(rec.Marks, m)
		rec.Step, rec.Version = m.Step, m.Version
		if m.Kind == "enter" {
			rec.Started = m.At
		}
		if m.Kind == "end" {
			rec.Status, _, _ = strings.Cut(m.Note, ":")
		}
	}
	for _, run := range st.Runs {
		if rec, ok := byRun[run.ID]; ok {
			rec.Step, rec.Since, rec.Until, rec.For, rec.Started = run.Step, run.Since, run.Until, run.For, run.Started
		}
	}
	for _, run := range was {
		if rec, ok := byRun[run.ID]; ok && rec.Status != StatusActive && !run.Held && !run.Until.IsZero() && !run.Until.After(now) {
			rec.WokeAt = true
		}
	}
	p := pending{counts: res.Counts, plans: plans, cancels: cancels}
	for _, id := range order {
		p.runs = append(p.runs, *byRun[id])
	}
	if len(p.counts) == 0 && len(p.runs) == 0 && len(p.plans) == 0 && len(p.cancels) == 0 {
		return
	}
	r.mu.Lock()
	r.staged[contactID] = p
	r.mu.Unlock()
}

// Flush implements contact.Flusher: one write per run touched, and the
// batch's step counts summed into one update per journey version.
func (r *Reactor) Flush(ctx context.Context) error {
	r.mu.Lock()
	pend := r.pending
	r.pending = map[string]pending{}
	r.staged = map[string]pending{} // changes that never committed
	r.mergeStaged = map[string]map[string][]PlanCount{}
	r.mu.Unlock()
	if len(pend) == 0 || r.store == nil {
		return nil
	}
	sums := map[StepCount]int64{}
	type jday struct{ j, day string }
	planSums := map[jday]PlanCount{}
	var runs []RunRecord
	var cancels []timer.Timer
	for _, p := range pend {
		cancels = append(cancels, p.cancels...)
		for _, c := range p.counts {
			sums[StepCount{Journey: c.Journey, Version: c.Version, Step: c.Step, Metric: c.Metric}]++
		}
		runs = append(runs, p.runs...)
		for _, pc := range p.plans {
			k := jday{pc.Journey, pc.Day}
			s := planSums[k]
			s.Journey, s.Day, s.Runs, s.Emails = pc.Journey, pc.Day, s.Runs+pc.Runs, s.Emails+pc.Emails
			planSums[k] = s
		}
	}
	var plans []PlanCount
	for _, pc := range planSums {
		if pc.Runs != 0 || pc.Emails != 0 {
			plans = append(plans, pc)
		}
	}
	counts := make([]StepCount, 0, len(sums))
	for k, n := range sums {
		k.N = n
		counts = append(counts, k)
	}
	if err := r.store.RecordRuns(ctx, runs); err != nil {
		return fmt.Errorf("record journey runs: %w", err)
	}
	if err := r.store.AddStepCounts(ctx, counts); err != nil {
		return fmt.Errorf("journey step counts: %w", err)
	}
	if len(plans) > 0 {
		if err := r.store.AddPlanned(ctx, plans); err != nil {
			return fmt.Errorf("journey planned volume: %w", err)
		}
	}
	if len(cancels) > 0 && r.timers != nil {
		// Not an error of the batch: a wake-up left in place fires, finds
		// its run moved on and changes nothing but the timeline.
		if err := r.timers.Cancel(ctx, cancels); err != nil {
			r.log.WarnContext(ctx, "journey wake-ups left in place", "timers", len(cancels), "err", err)
		}
	}
	return nil
}

// planDelta is what a change moved in the journeys' planned volume: a run
// whose wait end changed (it woke, moved on, ended, was held, or waits
// anew) is taken off the day it was planned on and put on its new one.
// Runs resting without a wait end (held, awaiting an event with no
// timeout) are not planned.
func PlanDelta(lib journey.Library, before, after []journey.Run) []PlanCount {
	planned := func(r journey.Run) bool { return !r.Held && !r.Until.IsZero() }
	same := func(a, b journey.Run) bool {
		return a.Journey == b.Journey && a.Version == b.Version && a.Step == b.Step && a.Until.Equal(b.Until)
	}
	was := make(map[string]journey.Run, len(before))
	for _, r := range before {
		if planned(r) {
			was[r.ID] = r
		}
	}
	var out []PlanCount
	add := func(r journey.Run, n int64) {
		pc := PlanCount{Journey: r.Journey, Day: PlanDay(r.Until), Runs: n}
		if c, err := lib.At(r.Journey, r.Version); err == nil && c.MaySendOnWake(r.Step) {
			pc.Emails = n
		}
		out = append(out, pc)
	}
	for _, r := range after {
		if !planned(r) {
			continue
		}
		if w, ok := was[r.ID]; ok && same(w, r) {
			delete(was, r.ID)
			continue
		}
		add(r, 1)
	}
	for _, r := range before {
		if _, ok := was[r.ID]; ok {
			add(r, -1)
		}
	}
	return out
}
