package journeyrun_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/contact/contacttest"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/journeyrun"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

// versions is a registry of one journey whose versions an operator
// publishes, pauses and resumes.
type versions struct {
	mu     sync.Mutex
	bodies []string // version n is bodies[n-1]
}

func (v *versions) save(body string) int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.bodies = append(v.bodies, body)
	return int64(len(v.bodies))
}

func (v *versions) List(context.Context, definition.Kind) ([]definition.Definition, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := len(v.bodies)
	return []definition.Definition{{Kind: journeyrun.Kind, ID: "j", Body: json.RawMessage(v.bodies[n-1]), Version: int64(n)}}, nil
}

func (v *versions) Version(_ context.Context, _ definition.Kind, _ string, n int64) (definition.Definition, definition.VersionInfo, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return definition.Definition{Kind: journeyrun.Kind, ID: "j", Body: json.RawMessage(v.bodies[n-1]), Version: n}, definition.VersionInfo{}, nil
}

func pausable(status string) string {
	return `{"id":"j","name":"J","status":"` + status + `","trigger":{"kind":"event","event":"Go"},"start":"a","steps":[
		{"id":"a","kind":"wait","wait":{"for":"1h"},"next":"b"},
		{"id":"b","kind":"email","email":{"template":"welcome"}}]}`
}

// fire delivers timers as the wheel does (their message, through JSON).
func fire(t *testing.T, proc *contact.Processor, at time.Time, ts ...timer.Timer) {
	t.Helper()
	var msgs []tracking.Message
	for _, tm := range ts {
		raw, _ := json.Marshal(tm.Message(at))
		var m tracking.Message
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	if out, err := proc.Process(context.Background(), []contact.Input{{ID: "tick", Batch: tracking.Batch{Messages: msgs}}}); err != nil || len(out.Failed) > 0 {
		t.Fatalf("process: %v %+v", err, out)
	}
}

// TestResumeWakesOnlyHeldRuns: a pause holds the run whose wait ended
// while paused, and lists it in the held index; resume wakes that run and
// no other (a run still at its timed wait gets no resume timer), a second
// resume finds nothing, and the held run's mail goes out once however
// often its resume fires.
func TestResumeWakesOnlyHeldRuns(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 5, 4, 15, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	st := contacttest.New()
	for _, id := range []string{"c1", "c2"} {
		if err := st.SaveProfile(ctx, &contact.Profile{ID: id, Email: id + "@example.com", Status: "subscribed"}); err != nil {
			t.Fatal(err)
		}
	}
	defs := &versions{}
	defs.save(pausable("live"))
	w := &world{timers: map[string]timer.Timer{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := journeyrun.NewReactor(journeyrun.NewLibrary(defs, nil).WithTTL(0), w, w, w, w, log, journeyrun.Options{})
	proc := contact.NewProcessor(st, log, now).WithReactors(r)
	var enter []tracking.Message
	for _, id := range []string{"c1", "c2"} {
		enter = append(enter, tracking.Message{Type: tracking.TypeTrack, MessageID: "go-" + id, ContactID: id, Event: "Go", Timestamp: clock, ReceivedAt: clock})
	}
	if _, err := proc.Process(ctx, []contact.Input{{ID: "in", Batch: tracking.Batch{Messages: enter}}}); err != nil {
		t.Fatal(err)
	}
	wakes := map[string]timer.Timer{}
	for _, tm := range w.timers {
		wakes[tm.ContactID] = tm
	}
	if len(wakes) != 2 {
		t.Fatalf("timers %v, want one wait per contact", w.timers)
	}

	defs.save(pausable("paused"))
	// c1's wait ends while paused; c2's timer is late (a later tick).
	clock = wakes["c1"].Due.Add(time.Second)
	fire(t, proc, clock, wakes["c1"])
	if len(w.mails) != 0 {
		t.Fatalf("mail %+v while paused", w.mails)
	}
	if len(w.held) != 1 {
		t.Fatalf("held index %+v, want c1's run only", w.held)
	}
	for _, h := range w.held {
		if h.ContactID != "c1" || h.Step != "b" || h.Version != 1 {
			t.Fatalf("held %+v, want c1's run at b of version 1", h)
		}
	}

	live := defs.save(pausable("live"))
	timersBefore := len(w.timers)
	n, err := journeyrun.NewResumer(w, w, now).Resume(ctx, "j", live)
	if err != nil || n != 1 {
		t.Fatalf("resume = %d, %v; want 1 (the held run only)", n, err)
	}
	var resume timer.Timer
	for id, tm := range w.timers {
		if _, ok := wakes[tm.ContactID]; ok && id != wakes[tm.ContactID].ID {
			resume = tm
		}
	}
	if len(w.timers) != timersBefore+1 || resume.ContactID != "c1" || resume.Properties["version"] != live {
		t.Fatalf("timers after resume %v: want one resume timer, for c1, naming version %d", w.timers, live)
	}
	if len(w.held) != 0 {
		t.Fatalf("held index after resume %+v, want empty", w.held)
	}
	if n, err := journeyrun.NewResumer(w, w, now).Resume(ctx, "j", live); err != nil || n != 0 {
		t.Fatalf("second resume = %d, %v; want 0", n, err)
	}
	// The resume fires, twice (an overlapping tick); c2's wait ends too.
	clock = clock.Add(time.Minute)
	fire(t, proc, clock, resume)
	fire(t, proc, clock, resume, wakes["c2"])
	ids := w.sendIDs()["welcome"]
	if len(ids) != 2 {
		t.Fatalf("welcome send ids %v, want one per contact", ids)
	}
	perContact := map[string]int{}
	for _, m := range w.mails {
		perContact[m.ContactID]++
	}
	if perContact["c1"] != 1 || perContact["c2"] != 1 {
		t.Fatalf("mail requests per contact %v, want one each", perContact)
	}
}

// TestTimedStepsReadAFreshList: with journeys cached for hours, a wait
// that ends after a pause still sees the pause (timed steps re-read a list
// older than FreshForTimed), and a resume of a version newer than the list
// re-reads it at once, so the held run goes on instead of being held again.
func TestTimedStepsReadAFreshList(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 5, 4, 15, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	st := contacttest.New()
	if err := st.SaveProfile(ctx, &contact.Profile{ID: "c1", Email: "c1@example.com", Status: "subscribed"}); err != nil {
		t.Fatal(err)
	}
	defs := &versions{}
	defs.save(pausable("live"))
	w := &world{timers: map[string]timer.Timer{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	lib := journeyrun.NewLibrary(defs, nil).WithTTL(24 * time.Hour).WithClock(now)
	proc := contact.NewProcessor(st, log, now).WithReactors(journeyrun.NewReactor(lib, w, w, w, w, log, journeyrun.Options{}))
	go1 := tracking.Message{Type: tracking.TypeTrack, MessageID: "go-1", ContactID: "c1", Event: "Go", Timestamp: clock, ReceivedAt: clock}
	if _, err := proc.Process(ctx, []contact.Input{{ID: "in", Batch: tracking.Batch{Messages: []tracking.Message{go1}}}}); err != nil {
		t.Fatal(err)
	}
	var wake timer.Timer
	for _, tm := range w.timers {
		wake = tm
	}
	defs.save(pausable("paused"))
	clock = wake.Due.Add(time.Second)
	fire(t, proc, clock, wake)
	if len(w.mails) != 0 || len(w.held) != 1 {
		t.Fatalf("after the wait, paused: mails %+v held %+v; want the run held, no mail", w.mails, w.held)
	}
	live := defs.save(pausable("live"))
	if n, err := journeyrun.NewResumer(w, w, now).Resume(ctx, "j", live); err != nil || n != 1 {
		t.Fatalf("resume = %d, %v", n, err)
	}
	var resume timer.Timer
	for _, tm := range w.timers {
		if tm.ID != wake.ID {
			resume = tm
		}
	}
	fire(t, proc, clock, resume) // the list read a second ago says paused
	if len(w.mails) != 1 || len(w.held) != 0 {
		t.Fatalf("after resume: mails %+v held %+v; want the mail, nothing held again", w.mails, w.held)
	}
}
