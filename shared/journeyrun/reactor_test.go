package journeyrun_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/contact/contacttest"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/journeyrun"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

// fakes of the reactor's ports, recording what they were asked.
type world struct {
	mu     sync.Mutex
	mails  []mail.Request
	timers map[string]timer.Timer
	// cancelled are the timers Cancel removed, in order.
	cancelled []timer.Timer
	notes     []journeyrun.Notification
	runs      []journeyrun.RunRecord
	counts    []journeyrun.StepCount
	plans     []journeyrun.PlanCount
	// held is the held index, by journey, contact and run.
	held map[string]journeyrun.HeldRun
	// moved are the run records moved by merges, by survivor and run; each
	// is moved once, as the store's conditional put makes it.
	moved map[string]journeyrun.RunMove
}

func (w *world) MoveRuns(_ context.Context, ms []journeyrun.RunMove) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.moved == nil {
		w.moved = map[string]journeyrun.RunMove{}
	}
	for _, m := range ms {
		k := m.Run.ContactID + "|" + m.Run.Run
		if _, ok := w.moved[k]; ok {
			continue
		}
		w.moved[k] = m
		if m.Count != nil {
			w.counts = append(w.counts, *m.Count)
		}
		delete(w.held, m.Run.Journey+"|"+m.From+"|"+m.Run.Run)
	}
	return nil
}

func heldKey(h journeyrun.HeldRun) string { return h.Journey + "|" + h.ContactID + "|" + h.Run }

func (w *world) PutHeld(_ context.Context, h journeyrun.HeldRun) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.held == nil {
		w.held = map[string]journeyrun.HeldRun{}
	}
	w.held[heldKey(h)] = h
	return nil
}

// HeldRuns pages in key order, as the store does.
func (w *world) HeldRuns(_ context.Context, journeyID, after string, limit int) ([]journeyrun.HeldRun, string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var keys []string
	for k, h := range w.held {
		if h.Journey == journeyID && k > after {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	next := ""
	if len(keys) > limit {
		keys, next = keys[:limit], keys[limit-1]
	}
	out := make([]journeyrun.HeldRun, 0, len(keys))
	for _, k := range keys {
		out = append(out, w.held[k])
	}
	return out, next, nil
}

func (w *world) DeleteHeld(_ context.Context, h journeyrun.HeldRun) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if cur, ok := w.held[heldKey(h)]; ok && cur.At.Equal(h.At) {
		delete(w.held, heldKey(h))
	}
	return nil
}

func (w *world) Enqueue(_ context.Context, body string) error {
	r, err := mail.Decode(body)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mails = append(w.mails, r)
	return err
}

func (w *world) Schedule(_ context.Context, t timer.Timer) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timers[t.ID] = t
	return nil
}

func (w *world) Cancel(_ context.Context, ts []timer.Timer) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range ts {
		if had, ok := w.timers[t.ID]; ok && had.Due.Equal(t.Due) {
			delete(w.timers, t.ID)
		}
		w.cancelled = append(w.cancelled, t)
	}
	return nil
}

func (w *world) Notify(_ context.Context, n journeyrun.Notification) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.notes = append(w.notes, n)
	return nil
}

func (w *world) RecordRuns(_ context.Context, rs []journeyrun.RunRecord) error {
	w.runs = append(w.runs, rs...)
	return nil
}
func (w *world) AddStepCounts(_ context.Context, cs []journeyrun.StepCount) error {
	w.counts = append(w.counts, cs...)
	return nil
}
func (w *world) AddPlanned(_ context.Context, ps []journeyrun.PlanCount) error {
	w.plans = append(w.plans, ps...)
	return nil
}

// Planned sums what was added, by day (every journey's: tests run one).
func (w *world) Planned(_ context.Context, _, from, to string) ([]journeyrun.PlanCount, error) {
	sums := map[string]journeyrun.PlanCount{}
	for _, p := range w.plans {
		if p.Day < from || p.Day > to {
			continue
		}
		s := sums[p.Day]
		s.Journey, s.Day, s.Runs, s.Emails = p.Journey, p.Day, s.Runs+p.Runs, s.Emails+p.Emails
		sums[p.Day] = s
	}
	var out []journeyrun.PlanCount
	for _, s := range sums {
		out = append(out, s)
	}
	return out, nil
}

func (w *world) ContactRuns(context.Context, string) ([]journeyrun.RunRecord, error) {
	return w.runs, nil
}
func (w *world) StepCounts(context.Context, string) ([]journeyrun.StepCount, error) {
	return w.counts, nil
}

// StepContacts: the drill-down index is the store's (tested on DynamoDB
// Local in local/runner); the reactor never reads it.
func (w *world) StepContacts(context.Context, string, int64, string, string, int, time.Time) ([]journeyrun.StepContact, string, error) {
	return nil, "", nil
}

// repoDefs answers the registry's calls with the repo's journeys.
type repoDefs struct{}

func (repoDefs) List(context.Context, definition.Kind) ([]definition.Definition, error) {
	var out []definition.Definition
	for id, body := range definitions.JourneyBodies() {
		out = append(out, definition.Definition{Kind: journeyrun.Kind, ID: id, Body: body, Source: definition.SourceRepo})
	}
	return out, nil
}
func (repoDefs) Version(context.Context, definition.Kind, string, int64) (definition.Definition, definition.VersionInfo, error) {
	return definition.Definition{}, definition.VersionInfo{}, definition.ErrNotFound
}

// sendIDs are the distinct send ids requested, by template.
func (w *world) sendIDs() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, m := range w.mails {
		if out[m.TemplateID] == nil {
			out[m.TemplateID] = map[string]bool{}
		}
		out[m.TemplateID][m.SendID] = true
	}
	return out
}

// welcomeSubscriber is a subscribed contact c1 about to enter the repo's
// welcome journey: the store, the reactor's world, the real processor on
// the given clock, and the confirmation that starts the run.
func welcomeSubscriber(t *testing.T, clock *time.Time) (*contacttest.MemStore, *world, *contact.Processor, contact.Input) {
	t.Helper()
	st := contacttest.New()
	if err := st.SaveProfile(context.Background(), &contact.Profile{ID: "c1", Email: "ada@example.com", Status: "subscribed", Traits: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	w := &world{timers: map[string]timer.Timer{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := journeyrun.NewReactor(journeyrun.NewLibrary(repoDefs{}, definitions.JourneyBodies), w, w, w, w, log, journeyrun.Options{})
	proc := contact.NewProcessor(st, log, func() time.Time { return *clock }).WithReactors(r)
	confirmed := tracking.Message{Type: tracking.TypeTrack, MessageID: "ed-1", ContactID: "c1", Event: "Subscription Confirmed", Timestamp: *clock, ReceivedAt: *clock}
	return st, w, proc, contact.Input{ID: "sqs-1", Batch: tracking.Batch{Messages: []tracking.Message{confirmed}}}
}

// TestWelcomeStepsRunOnceThroughCrashesAndRedelivery drives the repo's
// welcome journey through the real processor: a crash after the mail was
// requested but before the profile committed, a redelivered batch, a
// timer fired twice. The welcome mail and the tips mail are each requested
// under one send id (the sender claims a send id once, so a repeated
// request sends nothing: shared/mail's pipeline tests), and the run moves
// through each step once.
func TestWelcomeStepsRunOnceThroughCrashesAndRedelivery(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 5, 4, 15, 0, 0, 0, time.UTC)
	st, w, proc, in := welcomeSubscriber(t, &clock)

	// A crash: the profile write fails after the reactor asked for the mail.
	st.FailSave["c1"] = errors.New("lambda timed out")
	if out, _ := proc.Process(ctx, []contact.Input{in}); len(out.Failed) != 1 {
		t.Fatalf("the crashed input was not failed for retry: %+v", out)
	}
	delete(st.FailSave, "c1")
	// The queue redelivers it, twice.
	for range 2 {
		if _, err := proc.Process(ctx, []contact.Input{in}); err != nil {
			t.Fatal(err)
		}
	}
	ids := w.sendIDs()
	if len(ids["welcome"]) != 1 || len(w.mails) != 2 {
		t.Fatalf("welcome send ids %v over %d requests: want one id (requested by the crashed pass and its retry)", ids["welcome"], len(w.mails))
	}
	p := st.Profile("c1")
	if p.Journeys == nil || len(p.Journeys.Runs) != 1 || p.Journeys.Runs[0].Step != "wait-2d" {
		t.Fatalf("run state %+v, want one run waiting at wait-2d", p.Journeys)
	}
	if len(w.timers) != 1 {
		t.Fatalf("timers %v, want the one wait (the retry wrote the same id)", w.timers)
	}

	// The wait comes due; the wheel fires its timer, and (a slow tick
	// overlapping) fires it again with the same message id.
	var wake timer.Timer
	for _, tm := range w.timers {
		wake = tm
	}
	clock = wake.Due.Add(30 * time.Second)
	msg := wake.Message(clock)
	raw, _ := json.Marshal(msg) // the queue's JSON trip
	var fired tracking.Message
	if err := json.Unmarshal(raw, &fired); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := proc.Process(ctx, []contact.Input{{ID: "sqs-wake-" + string(rune('a'+i)), Batch: tracking.Batch{Messages: []tracking.Message{fired}}}}); err != nil {
			t.Fatal(err)
		}
	}
	ids = w.sendIDs()
	if len(ids["welcome-tips"]) != 1 || len(ids["welcome"]) != 1 {
		t.Fatalf("send ids %v: want one welcome and one tips", ids)
	}
	tips := 0
	for _, m := range w.mails {
		if m.TemplateID == "welcome-tips" {
			tips++
			if m.Source.Journey != "welcome" || m.Source.Step != "tips-mail" || m.SendID != mail.JourneySendID(m.Source.Run, "tips-mail") {
				t.Errorf("tips request %+v: want its send id to be run + step", m)
			}
		}
	}
	if tips != 1 {
		t.Errorf("tips requested %d times, want once (the second firing was a duplicate message)", tips)
	}
	if len(w.cancelled) != 0 {
		t.Errorf("cancelled %+v: a wait that came due keeps its timer (the wheel has fired it)", w.cancelled)
	}
	if p := st.Profile("c1"); p.Journeys == nil || len(p.Journeys.Runs) != 0 || p.Journeys.Ended[0].Outcome != "completed" {
		t.Errorf("journeys after the end: %+v", p.Journeys)
	}
	// The run ended in its wake's pass: its record may leave its drill-down
	// entry, which is keyed by the wake time, already past.
	if ends := endRecords(w.runs); len(ends) == 0 || !ends[len(ends)-1].WokeAt {
		t.Errorf("end records %+v, want the run's end marked as at its wake", ends)
	}
	// History: the run ended at high-score; counts were flushed per batch.
	var entered int64
	for _, c := range w.counts {
		if c.Step == "" && c.Metric == "entered" {
			entered += c.N
		}
	}
	if entered != 1 {
		t.Errorf("journey entered counted %d times, want 1 (counts %+v)", entered, w.counts)
	}
}

// TestPlannedVolumeFollowsTheWait: a run coming to rest at a wait puts one
// run (and, since a way from the wait sends, one email) on the day the
// wait ends; a crashed pass and its redelivery count it once; the wake
// takes it off again.
func TestPlannedVolumeFollowsTheWait(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 5, 4, 15, 0, 0, 0, time.UTC)
	st, w, proc, in := welcomeSubscriber(t, &clock)
	day := func(d string) (runs, emails int64) {
		ps, err := w.Planned(ctx, "welcome", d, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			runs, emails = runs+p.Runs, emails+p.Emails
		}
		return runs, emails
	}

	st.FailSave["c1"] = errors.New("lambda timed out")
	if out, _ := proc.Process(ctx, []contact.Input{in}); len(out.Failed) != 1 {
		t.Fatalf("the crashed input was not failed for retry: %+v", out)
	}
	if len(w.plans) != 0 {
		t.Fatalf("a pass whose profile write failed planned %+v", w.plans)
	}
	delete(st.FailSave, "c1")
	for range 2 {
		if _, err := proc.Process(ctx, []contact.Input{in}); err != nil {
			t.Fatal(err)
		}
	}
	var wake timer.Timer
	for _, tm := range w.timers {
		wake = tm
	}
	due := journeyrun.PlanDay(wake.Due)
	if due != "2026-05-06" {
		t.Fatalf("the wait ends on %s, want 2026-05-06 (wait-2d)", due)
	}
	if runs, emails := day(due); runs != 1 || emails != 1 {
		t.Fatalf("planned on %s: %d runs, %d emails; want 1 and 1 (entered once, its redelivery a duplicate); all %+v", due, runs, emails, w.plans)
	}

	clock = wake.Due.Add(30 * time.Second)
	fired := wake.Message(clock)
	if _, err := proc.Process(ctx, []contact.Input{{ID: "sqs-wake", Batch: tracking.Batch{Messages: []tracking.Message{fired}}}}); err != nil {
		t.Fatal(err)
	}
	if runs, emails := day(due); runs != 0 || emails != 0 {
		t.Errorf("planned on %s after the wake: %d runs, %d emails; want none (all %+v)", due, runs, emails, w.plans)
	}
}

// TestGoalMidWaitCancelsTheWakeUp: a goal reached while the run rests at
// wait-2d ends the run, and its wake-up is cancelled once the profile
// write committed (not by a pass that crashed before it: that run still
// waits, and its timer must stay); a redelivery cancels nothing new.
func TestGoalMidWaitCancelsTheWakeUp(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 5, 4, 15, 0, 0, 0, time.UTC)
	st, w, proc, in := welcomeSubscriber(t, &clock)
	if _, err := proc.Process(ctx, []contact.Input{in}); err != nil {
		t.Fatal(err)
	}
	if len(w.timers) != 1 {
		t.Fatalf("timers %v, want the wait's wake-up", w.timers)
	}
	var wake timer.Timer
	for _, tm := range w.timers {
		wake = tm
	}
	clock = clock.Add(3 * time.Hour)
	demo := contact.Input{ID: "sqs-demo", Batch: tracking.Batch{Messages: []tracking.Message{{Type: tracking.TypeTrack, MessageID: "demo-1", ContactID: "c1",
		Event: "Form Submitted", Properties: map[string]any{"form_id": "demo-request"}, Timestamp: clock, ReceivedAt: clock}}}}

	st.FailSave["c1"] = errors.New("lambda timed out")
	if out, _ := proc.Process(ctx, []contact.Input{demo}); len(out.Failed) != 1 {
		t.Fatalf("the crashed input was not failed for retry: %+v", out)
	}
	if len(w.cancelled) != 0 || len(w.timers) != 1 {
		t.Fatalf("a pass whose profile write failed cancelled %+v (timers left %v)", w.cancelled, w.timers)
	}
	delete(st.FailSave, "c1")
	for range 2 { // redelivered, then again
		if _, err := proc.Process(ctx, []contact.Input{demo}); err != nil {
			t.Fatal(err)
		}
	}
	p := st.Profile("c1")
	if p.Journeys == nil || len(p.Journeys.Runs) != 0 || len(p.Journeys.Ended) != 1 || p.Journeys.Ended[0].Outcome != "converted" {
		t.Fatalf("journeys %+v, want the run ended as converted", p.Journeys)
	}
	if len(w.cancelled) != 1 || w.cancelled[0].ID != wake.ID || !w.cancelled[0].Due.Equal(wake.Due) {
		t.Fatalf("cancelled %+v, want the wake-up %s due %s once", w.cancelled, wake.ID, wake.Due)
	}
	if len(w.timers) != 0 {
		t.Errorf("timers left %v", w.timers)
	}
	// It left its wait before the wake: its drill-down entry must go.
	if ends := endRecords(w.runs); len(ends) == 0 || ends[len(ends)-1].WokeAt {
		t.Errorf("end records %+v, want the early end to remove its drill-down entry", ends)
	}
}

// endRecords are the run records that ended a run.
func endRecords(rs []journeyrun.RunRecord) []journeyrun.RunRecord {
	var out []journeyrun.RunRecord
	for _, r := range rs {
		if r.Status != journeyrun.StatusActive {
			out = append(out, r)
		}
	}
	return out
}
