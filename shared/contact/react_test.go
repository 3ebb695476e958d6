package contact_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/contact/contacttest"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/tracking"
)

// recorder keeps every change it sees and counts flushes.
type recorder struct {
	mu      sync.Mutex
	changes []contact.Change
	flushes int
	fail    error
}

func (r *recorder) React(_ context.Context, c *contact.Change) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, *c)
	// A reactor may set fields of the working profile: they are saved.
	c.After.Tags = append(c.After.Tags, "reacted")
	return r.fail
}

func (r *recorder) Flush(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushes++
	return nil
}

func TestReactorsSeeEachChangeBeforeItCommits(t *testing.T) {
	st := contacttest.New()
	rec := &recorder{}
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now }).WithReactors(rec)
	in := input("sqs-1", msg(tracking.TypePage, "m1", "anon-1", ""), msg(tracking.TypeTrack, "m2", "anon-1", ""))
	if _, err := proc.Process(context.Background(), []contact.Input{in}); err != nil {
		t.Fatal(err)
	}
	if len(rec.changes) != 1 || rec.flushes != 1 {
		t.Fatalf("changes %d flushes %d, want one change (one contact) and one flush", len(rec.changes), rec.flushes)
	}
	c := rec.changes[0]
	if c.Before != nil || len(c.Events) != 2 || c.Commit.ID == 0 || !c.Now.Equal(now) {
		t.Fatalf("change %+v", c)
	}
	cid := contact.AnonymousContactID("anon-1")
	if p := st.Profile(cid); p == nil || len(p.Tags) != 1 || p.Tags[0] != "reacted" {
		t.Fatalf("the reactor's edit to the working profile was not saved: %+v", p)
	}

	// The next pass sees the saved profile as Before; a redelivery of the
	// same batch applies nothing and so reacts to nothing.
	if _, err := proc.Process(context.Background(), []contact.Input{in, input("sqs-2", msg(tracking.TypePage, "m3", "anon-1", ""))}); err != nil {
		t.Fatal(err)
	}
	if len(rec.changes) != 2 || rec.changes[1].Before == nil || len(rec.changes[1].Events) != 1 || rec.changes[1].Events[0].MessageID != "m3" {
		t.Fatalf("second pass: %d changes, last %+v", len(rec.changes), rec.changes[len(rec.changes)-1])
	}
}

func TestAFailingReactorFailsOnlyItsContactsInputs(t *testing.T) {
	st := contacttest.New()
	rec := &recorder{fail: errors.New("membership store down")}
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now }).WithReactors(rec)
	out, err := proc.Process(context.Background(), []contact.Input{input("sqs-1", msg(tracking.TypePage, "m1", "anon-1", ""))})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Failed) != 1 || out.Failed[0] != "sqs-1" {
		t.Fatalf("failed %v, want the input retried", out.Failed)
	}
	if p := st.Profile(contact.AnonymousContactID("anon-1")); p != nil {
		t.Fatalf("profile committed although its reactor failed: %+v", p)
	}
}

// What a reactor records on the timeline rides in the commit's own chunk:
// one timeline write per contact pass, not one more for the reactor.
func TestReactorTimelineEventsRideInTheCommitsChunk(t *testing.T) {
	st := contacttest.New()
	rec := contact.ReactorFunc(func(_ context.Context, c *contact.Change) error {
		c.Timeline = append(c.Timeline, tracking.Message{Type: tracking.TypeTrack, MessageID: "seg-1", Event: "Segment Entered",
			ContactID: c.After.ID, Timestamp: c.Events[0].Timestamp})
		return nil
	})
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now }).WithReactors(rec)
	in := input("sqs-1", msg(tracking.TypePage, "m1", "anon-1", ""), msg(tracking.TypeTrack, "m2", "anon-1", ""))
	if _, err := proc.Process(context.Background(), []contact.Input{in}); err != nil {
		t.Fatal(err)
	}
	cid := contact.AnonymousContactID("anon-1")
	if n := st.Calls["PutEvents"]; n != 1 {
		t.Errorf("%d timeline writes, want 1", n)
	}
	chunks, err := st.Chunks(context.Background(), []string{cid}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 1 || len(chunks[0].MessageIDs) != 3 || chunks[0].Commit.ID == 0 {
		t.Fatalf("chunks %+v, want one holding both events and the reactor's", chunks)
	}
	if p := st.Profile(cid); p == nil || p.LastCommit != chunks[0].Commit.ID {
		t.Errorf("the chunk is not the profile's last commit: %+v", p)
	}
}

// A conflict retry of the same events whose reactors record something
// else (a segment entry the other writer already made) rewrites the one
// chunk of the commit: the timeline holds each event once.
func TestConflictRetryRewritesTheCommitsChunk(t *testing.T) {
	st := contacttest.New()
	attempt := 0
	rec := contact.ReactorFunc(func(_ context.Context, c *contact.Change) error {
		attempt++
		if attempt == 1 {
			c.Timeline = append(c.Timeline, tracking.Message{Type: tracking.TypeTrack, MessageID: "seg-first-attempt", Event: "Segment Entered",
				ContactID: c.After.ID, Timestamp: c.Events[0].Timestamp})
		}
		return nil
	})
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now }).WithReactors(rec)
	other := contact.NewProcessor(st, quiet(), func() time.Time { return now })
	st.BeforeSave = func(*contact.Profile) {
		st.BeforeSave = nil
		if _, err := other.Process(context.Background(), []contact.Input{input("s2", msg(tracking.TypePage, "m2", "a", ""))}); err != nil {
			t.Error(err)
		}
	}
	out, err := proc.Process(context.Background(), []contact.Input{input("s1", msg(tracking.TypePage, "m1", "a", ""))})
	if err != nil || out.Conflicts != 1 {
		t.Fatalf("outcome %+v, %v; want one conflict", out, err)
	}
	chunks, err := st.Chunks(context.Background(), []string{contact.AnonymousContactID("a")}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, c := range chunks {
		for _, id := range c.MessageIDs {
			seen[id]++
		}
	}
	if seen["m1"] != 1 || seen["m2"] != 1 || seen["seg-first-attempt"] != 0 {
		t.Errorf("timeline holds %v: want m1 and m2 once, nothing of the failed attempt", seen)
	}
}

// flushRecorder buffers until Flush and records a timeline entry, like the
// segment reactor.
type flushRecorder struct {
	committed, flushed int
}

func (f *flushRecorder) React(_ context.Context, c *contact.Change) error {
	c.Timeline = append(c.Timeline, tracking.Message{Type: tracking.TypeTrack, MessageID: "seg-rescore", Event: "Segment Entered",
		ContactID: c.After.ID, Timestamp: c.Now})
	return nil
}
func (f *flushRecorder) Committed(context.Context, *contact.Change) { f.committed++ }
func (f *flushRecorder) Flush(context.Context) error                { f.flushed++; return nil }

// A re-score (one contact per call, outside Process) writes what reactors
// recorded on the timeline and flushes what they buffered once committed.
func TestRescoreWritesReactorTimelineAndFlushes(t *testing.T) {
	st := contacttest.New()
	if err := st.SaveProfile(context.Background(), &contact.Profile{ID: "c1", Score: scoring.State{ModelVersion: "an-older-model"}}); err != nil {
		t.Fatal(err)
	}
	e, err := scoring.NewEngine(scoring.Model{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &flushRecorder{}
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now }).WithReactors(rec)
	wrote, err := proc.Rescore(context.Background(), e, "c1")
	if err != nil || !wrote {
		t.Fatalf("rescore: %v %v", wrote, err)
	}
	if rec.committed != 1 || rec.flushed != 1 {
		t.Errorf("committed %d, flushed %d; want 1 each", rec.committed, rec.flushed)
	}
	chunks, err := st.Chunks(context.Background(), []string{"c1"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 1 || len(chunks[0].MessageIDs) != 1 || chunks[0].MessageIDs[0] != "seg-rescore" {
		t.Errorf("chunks %+v, want the reactor's entry", chunks)
	}
}

// Near the invocation's deadline the processor stops applying contacts, so
// the reactors' flush of those it applied still fits: a contact committed
// but never flushed would lose its journey history for good (its
// redelivery is a duplicate). The contacts it did not start go back to the
// queue with their inputs.
func TestProcessorKeepsTimeToFlushBeforeItsDeadline(t *testing.T) {
	st := contacttest.New()
	rec := &recorder{}
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now }).WithReactors(rec).WithParallel(1)
	// The first contact's write outlasts the time before the reserve.
	st.BeforeSave = func(*contact.Profile) { time.Sleep(300 * time.Millisecond) }
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(contact.MinFlushReserve+200*time.Millisecond))
	defer cancel()
	out, err := proc.Process(ctx, []contact.Input{
		input("s1", msg(tracking.TypePage, "m1", "first", "")),
		input("s2", msg(tracking.TypePage, "m2", "second", ""), msg(tracking.TypePage, "m3", "third", "")),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Applied != 1 || out.Deferred != 2 || len(out.Failed) != 1 || out.Failed[0] != "s2" {
		t.Fatalf("outcome %+v, want the first contact applied, the other two deferred with s2 failed", out)
	}
	if len(rec.changes) != 1 || rec.flushes != 1 {
		t.Fatalf("reactor saw %d changes and %d flushes, want 1 and 1", len(rec.changes), rec.flushes)
	}
	if ctx.Err() != nil {
		t.Fatalf("the flush ran past the deadline")
	}
	if p := st.Profile(contact.AnonymousContactID("second")); p != nil {
		t.Fatalf("a deferred contact was written: %+v", p)
	}

	// Redelivered with time to spare, s2 applies both contacts.
	st.BeforeSave = nil
	out, err = proc.Process(context.Background(), []contact.Input{input("s2", msg(tracking.TypePage, "m2", "second", ""), msg(tracking.TypePage, "m3", "third", ""))})
	if err != nil || out.Applied != 2 || out.Deferred != 0 || len(out.Failed) != 0 {
		t.Fatalf("redelivery: %+v, %v", out, err)
	}
}
