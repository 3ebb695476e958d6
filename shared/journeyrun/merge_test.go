package journeyrun_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/contact/contacttest"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/journey"
	"github.com/leadflow/leadflow/shared/journeyrun"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

// twoJourneys: "j" and "k", both entered on Go, a wait then a
// transactional mail (so subscription plays no part).
type twoJourneys struct{}

func waitThenMail(id, tpl string) string {
	return `{"id":"` + id + `","name":"` + id + `","status":"live","trigger":{"kind":"event","event":"Go"},"start":"a","steps":[
		{"id":"a","kind":"wait","wait":{"for":"1h"},"next":"b"},
		{"id":"b","kind":"email","email":{"template":"` + tpl + `","kind":"transactional"}}]}`
}

func (twoJourneys) List(context.Context, definition.Kind) ([]definition.Definition, error) {
	return []definition.Definition{
		{Kind: journeyrun.Kind, ID: "j", Body: json.RawMessage(waitThenMail("j", "welcome")), Version: 1},
		{Kind: journeyrun.Kind, ID: "k", Body: json.RawMessage(waitThenMail("k", "welcome-tips")), Version: 1},
	}, nil
}
func (twoJourneys) Version(context.Context, definition.Kind, string, int64) (definition.Definition, definition.VersionInfo, error) {
	return definition.Definition{}, definition.VersionInfo{}, definition.ErrNotFound
}

// TestMergeMovesJourneyRuns: an anonymous visitor waiting in two journeys
// identifies as a known contact who is in one of them. The run of the
// journey only the visitor was in moves to the known contact (same run,
// step and wait; its record and its wake-up now the survivor's); the
// visitor's run of the journey both were in ends as merged (recorded,
// counted once). A crash in the fold and a redelivered identify repeat
// nothing, and the moved run's next mail reaches the known contact once,
// whichever of its wake-ups fires.
func TestMergeMovesJourneyRuns(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 5, 4, 15, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	st := contacttest.New()
	w := &world{timers: map[string]timer.Timer{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	proc := contact.NewProcessor(st, log, now).WithReactors(journeyrun.NewReactor(journeyrun.NewLibrary(twoJourneys{}, nil), w, w, w, w, log, journeyrun.Options{}))
	process := func(id string, ms ...tracking.Message) contact.Outcome {
		t.Helper()
		out, err := proc.Process(ctx, []contact.Input{{ID: id, Batch: tracking.Batch{Messages: ms}}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	msg := func(id, typ string, m tracking.Message) tracking.Message {
		m.MessageID, m.Type, m.Timestamp, m.ReceivedAt, m.Verified = id, typ, clock, clock, true
		return m
	}
	// The known contact, and its own run of j.
	process("in-1", msg("id-1", tracking.TypeIdentify, tracking.Message{UserID: "u1", Traits: map[string]any{"email": "ada@example.com"}}))
	known := st.Owner(contact.Identity{Kind: contact.UserID, Value: "u1"})
	process("in-2", msg("go-k", tracking.TypeTrack, tracking.Message{UserID: "u1", Event: "Go"}))
	if p := st.Profile(known); p == nil || p.Journeys == nil || len(p.Journeys.Runs) != 2 {
		t.Fatalf("known contact's runs: %+v", p)
	}
	// The known contact leaves k at once (stopped), so only j is shared.
	kp := st.Profile(known)
	kst := kp.Journeys.Clone()
	for _, r := range kp.Journeys.Runs {
		if r.Journey == "k" {
			journey.Stop(kst, r.ID, clock)
		}
	}
	kp.Journeys = kst
	if err := st.SaveProfile(ctx, kp); err != nil {
		t.Fatal(err)
	}
	// The visitor enters both, ten minutes later.
	clock = clock.Add(10 * time.Minute)
	process("in-3", msg("go-a", tracking.TypeTrack, tracking.Message{AnonymousID: "anon-1", Event: "Go"}))
	visitor := contact.AnonymousContactID("anon-1")
	vp := st.Profile(visitor)
	if vp == nil || vp.Journeys == nil || len(vp.Journeys.Runs) != 2 {
		t.Fatalf("visitor's runs: %+v", vp)
	}
	var vk, vj journey.Run
	for _, r := range vp.Journeys.Runs {
		if r.Journey == "k" {
			vk = r
		} else {
			vj = r
		}
	}
	var oldWake timer.Timer
	for _, tm := range w.timers {
		if tm.ContactID == visitor && tm.Properties["run"] == vk.ID {
			oldWake = tm
		}
	}
	if oldWake.ID == "" {
		t.Fatalf("no wake-up for the visitor's k run in %v", w.timers)
	}

	// The visitor identifies; the fold's write crashes once.
	clock = clock.Add(time.Minute)
	identify := msg("id-2", tracking.TypeIdentify, tracking.Message{UserID: "u1", AnonymousID: "anon-1"})
	st.FailSave[known] = errors.New("lambda timed out")
	if out := process("in-4", identify); len(out.Failed) != 1 {
		t.Fatalf("the crashed merge was not failed for retry: %+v", out)
	}
	delete(st.FailSave, known)
	process("in-4", identify)
	process("in-4", identify) // redelivered

	kp = st.Profile(known)
	if kp.Journeys == nil || len(kp.Journeys.Runs) != 2 {
		t.Fatalf("survivor's runs after the merge: %+v", kp.Journeys)
	}
	var moved journey.Run
	for _, r := range kp.Journeys.Runs {
		if r.ID == vj.ID {
			t.Fatalf("the visitor's run of j (the survivor's own is kept) moved too: %+v", kp.Journeys.Runs)
		}
		if r.ID == vk.ID {
			moved = r
		}
	}
	if moved.Step != "a" || !moved.Until.Equal(vk.Until) || moved.Version != vk.Version || !moved.Since.Equal(vk.Since) {
		t.Fatalf("moved run %+v, want the visitor's k run unchanged %+v", moved, vk)
	}
	var endedJ *journey.Ended
	for i := range kp.Journeys.Ended {
		if kp.Journeys.Ended[i].Journey == "j" {
			endedJ = &kp.Journeys.Ended[i]
		}
	}
	if endedJ == nil || endedJ.Outcome != journey.OutcomeMerged {
		t.Fatalf("ended %+v: want j's duplicate ended as merged", kp.Journeys.Ended)
	}
	if len(w.moved) != 2 {
		t.Fatalf("moves %+v, want the two visitor runs", w.moved)
	}
	mk, mj := w.moved[known+"|"+vk.ID], w.moved[known+"|"+vj.ID]
	if mk.From != visitor || mk.Run.Status != journeyrun.StatusActive || mk.Run.Step != "a" || mk.Count != nil {
		t.Errorf("k's move %+v: want it active at a, from the visitor, not counted", mk)
	}
	if mj.Run.Status != journey.OutcomeMerged || mj.Count == nil || mj.Count.Metric != journey.MetricMerged || mj.Count.Step != "a" {
		t.Errorf("j's move %+v: want it ended as merged, counted at a", mj)
	}
	merged := 0
	for _, c := range w.counts {
		if c.Metric == journey.MetricMerged {
			merged++
		}
	}
	if merged != 1 {
		t.Errorf("merged counted %d times, want once", merged)
	}
	// j's planned volume: the known contact's waiting run, and the
	// visitor's, put on and taken off once (its end as merged) through the
	// crash and the redelivery.
	var jRuns int64
	for _, p := range w.plans {
		if p.Journey == "j" {
			jRuns += p.Runs
		}
	}
	if jRuns != 1 {
		t.Errorf("j's planned runs %d, want 1 (the survivor's own): %+v", jRuns, w.plans)
	}
	newWake := w.timers[oldWake.ID]
	if newWake.ContactID != known || !newWake.Due.Equal(oldWake.Due) {
		t.Fatalf("the wake-up %+v, want it (same id and due) addressed to %s", newWake, known)
	}

	// The wait ends: the tick fires the wake-up, and a slow tick fires the
	// copy addressed to the visitor too.
	clock = oldWake.Due.Add(time.Second)
	fire(t, proc, clock, oldWake)
	fire(t, proc, clock, newWake)
	tips := 0
	for _, m := range w.mails {
		if m.TemplateID == "welcome-tips" {
			tips++
			if m.ContactID != known {
				t.Errorf("k's mail went to %s, want %s", m.ContactID, known)
			}
		}
	}
	if tips != 1 {
		t.Fatalf("k's mail requested %d times, want once: %+v", tips, w.mails)
	}
}

// TestUnverifiedMergeTakesNoRunOver: a visitor who entered k identifies,
// with only the public write key, as a known contact's user id. The fold
// happens (behaviour joins), but the visitor's run does not move: it ends
// as merged, its wake-up is not re-addressed, the known contact gets no
// mail from it when the wait would have ended, and the known contact can
// still enter k itself.
func TestUnverifiedMergeTakesNoRunOver(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 5, 4, 15, 0, 0, 0, time.UTC)
	st := contacttest.New()
	w := &world{timers: map[string]timer.Timer{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	proc := contact.NewProcessor(st, log, func() time.Time { return clock }).WithReactors(journeyrun.NewReactor(journeyrun.NewLibrary(twoJourneys{}, nil), w, w, w, w, log, journeyrun.Options{}))
	process := func(id string, m tracking.Message) {
		t.Helper()
		m.Timestamp, m.ReceivedAt = clock, clock
		if out, err := proc.Process(ctx, []contact.Input{{ID: id, Batch: tracking.Batch{Messages: []tracking.Message{m}}}}); err != nil || len(out.Failed) > 0 {
			t.Fatalf("process %s: %v %+v", id, err, out)
		}
	}
	process("in-1", tracking.Message{MessageID: "id-1", Type: tracking.TypeIdentify, UserID: "u1", Traits: map[string]any{"email": "ada@example.com"}, Verified: true})
	known := st.Owner(contact.Identity{Kind: contact.UserID, Value: "u1"})
	process("in-2", tracking.Message{MessageID: "go-a", Type: tracking.TypeTrack, AnonymousID: "anon-1", Event: "Go"})
	visitor := contact.AnonymousContactID("anon-1")
	vp := st.Profile(visitor)
	if vp == nil || vp.Journeys == nil || len(vp.Journeys.Runs) != 2 {
		t.Fatalf("visitor's runs: %+v", vp)
	}
	var wake timer.Timer
	for _, tm := range w.timers {
		wake = tm
	}

	process("in-3", tracking.Message{MessageID: "id-2", Type: tracking.TypeIdentify, UserID: "u1", AnonymousID: "anon-1"})
	kp := st.Profile(known)
	if kp.Journeys != nil && len(kp.Journeys.Runs) != 0 {
		t.Fatalf("the known contact runs %+v after an unverified merge: want none taken over", kp.Journeys.Runs)
	}
	if kp.Journeys != nil && len(kp.Journeys.Ended) != 0 {
		t.Errorf("the known contact's entry memory %+v: want nothing from the visitor", kp.Journeys.Ended)
	}
	if len(w.moved) != 2 {
		t.Fatalf("moves %+v, want the visitor's two runs recorded as ended", w.moved)
	}
	for _, m := range w.moved {
		if m.Run.Status != journey.OutcomeMerged || m.Count == nil {
			t.Errorf("move %+v: want it ended as merged and counted", m)
		}
	}
	for _, tm := range w.timers {
		if tm.ContactID == known {
			t.Errorf("a wake-up %+v was addressed to the known contact", tm)
		}
	}
	// The visitor's wait would have ended now: nothing is sent to anyone.
	clock = wake.Due.Add(time.Second)
	fire(t, proc, clock, wake)
	if len(w.mails) != 0 {
		t.Errorf("mails %+v after the wait: want none", w.mails)
	}
	// The known contact's own Go still enters both journeys.
	process("in-4", tracking.Message{MessageID: "go-k", Type: tracking.TypeTrack, UserID: "u1", Event: "Go", Verified: true})
	if kp := st.Profile(known); kp.Journeys == nil || len(kp.Journeys.Runs) != 2 {
		t.Errorf("the known contact's own entry: %+v, want two runs", kp.Journeys)
	}
}
