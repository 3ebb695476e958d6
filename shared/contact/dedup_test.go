package contact_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/contact/contacttest"
	"github.com/leadflow/leadflow/shared/tracking"
)

// clientPage is a page view as tracking.Parse leaves it: the client's own
// time in originalTimestamp, received a second later.
func clientPage(id, anon string, at time.Duration) tracking.Message {
	ts := now.Add(at)
	return tracking.Message{Type: tracking.TypePage, MessageID: id, AnonymousID: anon, Timestamp: ts,
		OriginalTimestamp: &ts, ReceivedAt: ts.Add(time.Second),
		Context: tracking.Context{Page: &tracking.Page{URL: "https://x.io/" + id}}}
}

// retried is the same message sent again by the client later: same id and
// client time, a new receive time.
func retried(m tracking.Message, after time.Duration) tracking.Message {
	m.ReceivedAt = m.ReceivedAt.Add(after)
	return m
}

// pages sends n page views of anon, 20 per queue batch, from minute start.
func pages(t *testing.T, proc *contact.Processor, anon string, start, n int) [][]tracking.Message {
	t.Helper()
	var batches [][]tracking.Message
	for i := 0; i < n; i += 20 {
		var b []tracking.Message
		for j := i; j < min(i+20, n); j++ {
			b = append(b, clientPage(fmt.Sprintf("%s-%d", anon, start+j), anon, time.Duration(start+j)*time.Minute))
		}
		batches = append(batches, b)
	}
	run(t, proc, batches...)
	return batches
}

func TestRetryAfterAThousandLaterEventsCountsOnce(t *testing.T) {
	st := contacttest.New()
	clock := now.Add(30 * 24 * time.Hour)
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return clock })
	first := clientPage("first", "v1", 0)
	run(t, proc, []tracking.Message{first})
	later := pages(t, proc, "v1", 1, 1000)
	if n := st.Calls["Chunks"]; n != 0 {
		t.Errorf("in-order events read the timeline %d times; the window must vouch for them", n)
	}
	cid := owner(st, contact.AnonymousID, "v1")
	if p := st.Profile(cid); p.PageViews != 1001 {
		t.Fatalf("page views %d before the retries, want 1001", p.PageViews)
	}

	// The client retries the first event two days later, and a queue batch
	// from the middle is delivered again with a new event in it.
	mid := append(later[20], clientPage("new", "v1", 2000*time.Minute))
	run(t, proc, []tracking.Message{retried(first, 48*time.Hour)}, mid)
	p := st.Profile(cid)
	if p.PageViews != 1002 || p.EventCount != 1002 {
		t.Errorf("page views %d, events %d after late retries; want 1002 (1001 + the new one)", p.PageViews, p.EventCount)
	}
	if n := st.Calls["Chunks"]; n == 0 {
		t.Error("the late retry was decided without reading the timeline")
	}
	// Retried once more on its own: a batch of duplicates only writes
	// nothing, so it is looked up again, and still counted once.
	run(t, proc, []tracking.Message{retried(first, 49*time.Hour)})
	if p := st.Profile(cid); p.PageViews != 1002 {
		t.Errorf("second retry: page views %d, want 1002", p.PageViews)
	}
}

func TestRedeliveryAfterACrashBeforeTheProfileWriteCounts(t *testing.T) {
	st := contacttest.New()
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now.Add(30 * 24 * time.Hour) })
	pages(t, proc, "v2", 0, 100)
	cid := owner(st, contact.AnonymousID, "v2")

	// The timeline chunk is written, then the profile write fails: the
	// events were never counted.
	lost := []tracking.Message{clientPage("lost-1", "v2", 100*time.Minute), clientPage("lost-2", "v2", 101*time.Minute)}
	st.FailSave[cid] = errors.New("crash")
	out, err := proc.Process(context.Background(), []contact.Input{{ID: "sqs-lost", Batch: tracking.Batch{Messages: lost}}})
	if err != nil || len(out.Failed) != 1 {
		t.Fatalf("the failed write must fail the input: %v %+v", err, out)
	}
	delete(st.FailSave, cid)
	// Many later events push the horizon past them before the redelivery,
	// so only the timeline can tell.
	pages(t, proc, "v2", 102, 100)
	chunks := st.Calls["Chunks"]
	run(t, proc, lost)
	if st.Calls["Chunks"] == chunks {
		t.Fatal("the redelivery must have been checked against the timeline")
	}
	if p := st.Profile(cid); p.PageViews != 202 {
		t.Errorf("page views %d, want 202: the redelivered events were written to the timeline but never counted", p.PageViews)
	}
	// And they count once.
	run(t, proc, []tracking.Message{retried(lost[0], time.Hour)})
	if p := st.Profile(cid); p.PageViews != 202 {
		t.Errorf("page views %d after a retry of a redelivered event, want 202", p.PageViews)
	}
}

func TestLateRetryOfAMergedVisitorsEventCountsOnce(t *testing.T) {
	st := contacttest.New()
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now.Add(30 * 24 * time.Hour) })
	run(t, proc, []tracking.Message{ident("i1", "laptop", "", "ada@x.io", 0)})
	phone := pages(t, proc, "phone", 1, 60)
	run(t, proc, []tracking.Message{ident("i2", "phone", "", "ada@x.io", 100*time.Minute)})
	pages(t, proc, "laptop", 200, 60)
	a := owner(st, contact.Email, "ada@x.io")
	p := st.Profile(a)
	if len(p.MergedIDs) != 1 || p.PageViews != 120 {
		t.Fatalf("merged ids %v, page views %d; want one merge, 120", p.MergedIDs, p.PageViews)
	}
	// The last one sits in the merged contact's last commit, which only its
	// tombstone names.
	run(t, proc, []tracking.Message{retried(phone[0][0], 24*time.Hour), retried(phone[1][3], 24*time.Hour), retried(phone[2][19], 24*time.Hour)})
	if p := st.Profile(a); p.PageViews != 120 {
		t.Errorf("page views %d after retries of the merged visitor's events, want 120", p.PageViews)
	}
}

func TestDoubtfulOnlyWhatTheWindowCannotVouchFor(t *testing.T) {
	p := &contact.Profile{ID: "c1"}
	var all []tracking.Message
	for i := range 3 * contact.AppliedWindow {
		m := clientPage(fmt.Sprint("m", i), "a", time.Duration(i)*time.Minute)
		all = append(all, m)
		p.Apply([]tracking.Message{m}, now)
	}
	if p.AppliedHorizon == 0 {
		t.Fatal("events left the window but the horizon did not move")
	}
	noClock := clientPage("no-clock", "a", 500*time.Minute)
	noClock.OriginalTimestamp = nil
	got := p.Doubtful([]tracking.Message{
		all[0],                                   // left the window: doubtful
		all[len(all)-1],                          // in the window: a duplicate, decided
		clientPage("next", "a", 400*time.Minute), // after the horizon: new, decided
		noClock,                                  // no client time: doubtful
	})
	var ids []string
	for _, m := range got {
		ids = append(ids, m.MessageID)
	}
	if fmt.Sprint(ids) != "[m0 no-clock]" {
		t.Errorf("doubtful %v, want [m0 no-clock]", ids)
	}
}

func TestFarFutureClockDoesNotDisableTheFastPathForGood(t *testing.T) {
	p := &contact.Profile{ID: "c1"}
	future := clientPage("future", "a", 0)
	far := now.AddDate(100, 0, 0)
	future.OriginalTimestamp = &far
	p.Apply([]tracking.Message{future}, now)
	for i := range 2 * contact.AppliedWindow {
		p.Apply([]tracking.Message{clientPage(fmt.Sprint("m", i), "a", time.Duration(i)*time.Minute)}, now)
	}
	limit := now.Add(contact.DedupPeriod + tracking.MaxClockAhead + time.Minute).Unix()
	if int64(p.AppliedHorizon) > limit {
		t.Errorf("horizon %d is beyond %d: a year-2126 clock must not push it out for a century", p.AppliedHorizon, limit)
	}
	// A retry of it eight days on, when its time is still refused, is
	// doubtful (found in the timeline), never waved through.
	if got := p.Doubtful([]tracking.Message{retried(future, 8*24*time.Hour)}); len(got) != 1 {
		t.Errorf("retry of the far-future event: %d doubtful, want 1", len(got))
	}
}

func TestAppliedInIgnoresChunksOfFailedWrites(t *testing.T) {
	chunks := []contact.Chunk{
		{ContactID: "c", Commit: contact.Commit{ID: 1}, MessageIDs: []string{"a"}},
		{ContactID: "c", Commit: contact.Commit{ID: 2, Parent: 1}, MessageIDs: []string{"b"}},
		{ContactID: "c", Commit: contact.Commit{ID: 9, Parent: 2}, MessageIDs: []string{"lost"}}, // its profile write failed
		{ContactID: "c", Commit: contact.Commit{ID: 3, Parent: 2}, MessageIDs: []string{"c"}},
		{ContactID: "m", Commit: contact.Commit{ID: 7}, MessageIDs: []string{"merged"}},
		{ContactID: "m", Commit: contact.Commit{}, MessageIDs: []string{"legacy"}},
	}
	got := contact.AppliedIn(chunks, map[string]uint64{"c": 3, "m": 7}, []string{"a", "b", "c", "lost", "merged", "legacy", "never"})
	want := map[string]bool{"a": true, "b": true, "c": true, "merged": true, "legacy": true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("applied %v, want %v", got, want)
	}
}

func TestRetriesInABatchLargerThanTheWindowCountOnce(t *testing.T) {
	st := contacttest.New()
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now.Add(30 * 24 * time.Hour) })
	batches := pages(t, proc, "v3", 0, 200)
	// Old retries (from the timeline) sort before the recent ones still in
	// the window: checking the window must not see it already moved on.
	var again []tracking.Message
	for _, b := range batches[:3] {
		again = append(again, b...)
	}
	again = append(again, batches[len(batches)-1]...)
	again = append(again, clientPage("v3-new", "v3", 300*time.Minute))
	run(t, proc, again)
	if p := st.Profile(owner(st, contact.AnonymousID, "v3")); p.PageViews != 201 {
		t.Errorf("page views %d, want 201", p.PageViews)
	}
}

// TestLateRetryOfAnEventKeptInTheProfileCountsOnce: a store may keep the
// newest events in the profile item instead of a chunk (Profile.Recent).
// A late retry that has left the window is looked up there too.
func TestLateRetryOfAnEventKeptInTheProfileCountsOnce(t *testing.T) {
	st := contacttest.New()
	clock := now.Add(3 * 24 * time.Hour)
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return clock })
	first := clientPage("kept", "v1", 0)
	key := uint32(first.OriginalTimestamp.Unix())
	// What a store that keeps events leaves after many later batches: the
	// event in the profile item, no chunk, and out of the window.
	p := &contact.Profile{ID: contact.AnonymousContactID("v1"), AnonymousIDs: []string{"v1"}, EventCount: 1, PageViews: 1,
		FirstSeen: first.Timestamp, LastSeen: first.Timestamp, Recent: []tracking.Message{first},
		Applied: []uint64{contact.Hash("later")}, AppliedKeys: []uint32{key + 3600}, AppliedHorizon: key + 60}
	if err := st.SaveProfile(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	run(t, proc, []tracking.Message{retried(first, 48*time.Hour)})
	if n := st.Calls["Chunks"]; n == 0 {
		t.Fatal("the late retry was decided without the slow path")
	}
	if got := st.Profile(p.ID); got.EventCount != 1 || got.PageViews != 1 {
		t.Errorf("events %d, page views %d after the retry of a kept event; want 1", got.EventCount, got.PageViews)
	}
}
