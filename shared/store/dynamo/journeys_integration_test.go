package dynamo_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/journey"
	"github.com/leadflow/leadflow/shared/journeyrun"
)

// TestHeldRunsDynamoDB: the held index on DynamoDB Local. A run listed
// twice is one entry; paging reads every entry once; an entry is unlisted
// only if it was not written again since it was read (a run held anew
// stays listed); another journey's runs are not read.
func TestHeldRunsDynamoDB(t *testing.T) {
	ctx := t.Context()
	_, st := localTable(t, "held")
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var all []journeyrun.HeldRun
	for i, c := range []string{"c_a", "c_b", "c_c", "c_d", "c_e"} {
		h := journeyrun.HeldRun{Journey: "j", ContactID: c, Run: "r" + c, Version: 2, Step: "b", At: at.Add(time.Duration(i) * time.Millisecond)}
		all = append(all, h)
		for range 2 {
			if err := st.PutHeld(ctx, h); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.PutHeld(ctx, journeyrun.HeldRun{Journey: "other", ContactID: "c_a", Run: "rx", Step: "s", At: at}); err != nil {
		t.Fatal(err)
	}
	var got []journeyrun.HeldRun
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		page, next, err := st.HeldRuns(ctx, "j", cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if cursor = next; cursor == "" {
			break
		}
	}
	if len(got) != len(all) {
		t.Fatalf("read %d held runs, want %d: %+v", len(got), len(all), got)
	}
	for i, h := range got {
		if !(h.Journey == all[i].Journey && h.ContactID == all[i].ContactID && h.Run == all[i].Run && h.Version == 2 && h.Step == "b" && h.At.Equal(all[i].At)) {
			t.Errorf("held %d = %+v, want %+v", i, h, all[i])
		}
	}
	if _, _, err := st.HeldRuns(ctx, "j", "bm9wZQ", 2); err != journeyrun.ErrBadCursor {
		t.Errorf("made-up cursor: err = %v", err)
	}
	// c_a is held anew after the read: the resume's delete leaves it.
	again := got[0]
	again.At = at.Add(time.Hour)
	if err := st.PutHeld(ctx, again); err != nil {
		t.Fatal(err)
	}
	for _, h := range got {
		if err := st.DeleteHeld(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	left, next, err := st.HeldRuns(ctx, "j", "", 10)
	if err != nil || next != "" || len(left) != 1 || left[0].ContactID != "c_a" || !left[0].At.Equal(again.At) {
		t.Fatalf("after the deletes: %+v %q %v; want c_a's new hold only", left, next, err)
	}
	if other, _, err := st.HeldRuns(ctx, "other", "", 10); err != nil || len(other) != 1 {
		t.Fatalf("other journey: %+v %v", other, err)
	}
}

// TestMoveRunsDynamoDB: a merge moves run records on DynamoDB Local. The
// moved run keeps its path and start, is listed at its step under the
// survivor (and no longer under the old contact), and its held entry moves
// with it; a run ended as merged leaves the index with its end recorded
// and counted once; moving again (a retried fold) changes nothing, and a
// late copy flushed at the old contact after the move is removed.
func TestMoveRunsDynamoDB(t *testing.T) {
	ctx := t.Context()
	_, st := localTable(t, "moveruns")
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	since := t0.Add(time.Minute)
	until := t0.Add(time.Hour)
	enter := journey.Mark{At: t0, Journey: "k", Version: 1, Run: "rk", Kind: "enter", Note: "entered: event Go"}
	// The old contact's records, as its batches flushed them.
	old := []journeyrun.RunRecord{
		{ContactID: "c_old", Journey: "k", Version: 1, Run: "rk", Step: "a", Status: journeyrun.StatusActive, Started: t0, Since: since, Until: until, Updated: since, Marks: []journey.Mark{enter}},
		{ContactID: "c_old", Journey: "j", Version: 1, Run: "rj", Step: "a", Status: journeyrun.StatusActive, Started: t0, Since: since, Until: until, Updated: since},
	}
	if err := st.RecordRuns(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := st.PutHeld(ctx, journeyrun.HeldRun{Journey: "k", ContactID: "c_old", Run: "rk", Version: 1, Step: "a", At: since}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(2 * time.Minute)
	moves := []journeyrun.RunMove{
		{From: "c_old", Run: journeyrun.RunRecord{ContactID: "c_new", Journey: "k", Version: 1, Run: "rk", Step: "a", Status: journeyrun.StatusActive, Started: t0, Since: since, Until: until, Updated: now,
			Marks: []journey.Mark{{At: now, Journey: "k", Version: 1, Run: "rk", Step: "a", Kind: "merge", Note: "moved to c_new with its contact"}}}},
		{From: "c_old", Run: journeyrun.RunRecord{ContactID: "c_new", Journey: "j", Version: 1, Run: "rj", Step: "a", Status: journey.OutcomeMerged, Started: t0, Since: since, Updated: now,
			Marks: []journey.Mark{{At: now, Journey: "j", Version: 1, Run: "rj", Step: "a", Kind: "end", Note: "merged: merged into c_new"}}},
			Count: &journeyrun.StepCount{Journey: "j", Version: 1, Step: "a", Metric: journey.MetricMerged, N: 1}},
	}
	for range 2 { // the fold retried
		if err := st.MoveRuns(ctx, moves); err != nil {
			t.Fatal(err)
		}
	}
	if runs, err := st.ContactRuns(ctx, "c_old"); err != nil || len(runs) != 0 {
		t.Fatalf("old contact's runs after the move: %+v %v", runs, err)
	}
	runs, err := st.ContactRuns(ctx, "c_new")
	if err != nil || len(runs) != 2 {
		t.Fatalf("survivor's runs: %+v %v", runs, err)
	}
	byRun := map[string]journeyrun.RunRecord{}
	for _, r := range runs {
		byRun[r.Run] = r
	}
	k, j := byRun["rk"], byRun["rj"]
	if k.Status != journeyrun.StatusActive || k.Step != "a" || !k.Started.Equal(t0) || !k.Until.Equal(until) || len(k.Marks) != 2 || k.Marks[0].Kind != "enter" || k.Marks[1].Kind != "merge" {
		t.Errorf("moved run %+v: want active at a, its path kept plus the move (once)", k)
	}
	if j.Status != journey.OutcomeMerged || len(j.Marks) != 1 {
		t.Errorf("ended run %+v: want merged with its end recorded once", j)
	}
	for _, c := range []struct {
		journey, contact string
		want             int
	}{{"k", "c_new", 1}, {"j", "c_new", 0}} {
		at, _, err := st.StepContacts(ctx, c.journey, 1, "a", "", 10, now)
		if err != nil || len(at) != c.want || (c.want == 1 && (at[0].ContactID != c.contact || at[0].Run != "rk" || !at[0].Until.Equal(until))) {
			t.Errorf("at %s/a: %+v %v, want %d run(s) of %s", c.journey, at, err, c.want, c.contact)
		}
	}
	held, _, err := st.HeldRuns(ctx, "k", "", 10)
	if err != nil || len(held) != 0 {
		t.Errorf("old held entry left: %+v %v", held, err)
	}
	counts, err := st.StepCounts(ctx, "j")
	if err != nil || len(counts) != 1 || counts[0].Metric != journey.MetricMerged || counts[0].N != 1 {
		t.Errorf("j's counts %+v %v: want merged 1 at a", counts, err)
	}
	// A batch of the old contact flushes late, after the move: a move
	// retried then removes that copy and leaves the survivor's.
	if err := st.RecordRuns(ctx, old[:1]); err != nil {
		t.Fatal(err)
	}
	if err := st.MoveRuns(ctx, moves[:1]); err != nil {
		t.Fatal(err)
	}
	if runs, _ := st.ContactRuns(ctx, "c_old"); len(runs) != 0 {
		t.Errorf("late copy left at the old contact: %+v", runs)
	}
	if runs, _ := st.ContactRuns(ctx, "c_new"); len(runs) != 2 {
		t.Errorf("survivor's runs after the late copy: %+v", runs)
	}
}

// TestStepContactsDynamoDB: the drill-down index on DynamoDB Local. A
// step's runs list soonest wake first and held runs last, page by page; a
// run that ends at or after its wake leaves its entry (no index write),
// which the listing reads only within its grace after the wake; a run
// that leaves early, or comes to rest at another step, is unlisted at once.
func TestStepContactsDynamoDB(t *testing.T) {
	ctx := t.Context()
	_, st := localTable(t, "stepcontacts")
	t0 := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	rec := func(contact, run string, until time.Time) journeyrun.RunRecord {
		return journeyrun.RunRecord{ContactID: contact, Journey: "j", Version: 1, Run: run, Step: "a", Status: journeyrun.StatusActive,
			Started: t0, Since: t0, Until: until, Updated: t0}
	}
	resting := []journeyrun.RunRecord{
		rec("c_late", "r1", t0.Add(time.Hour)),
		rec("c_soon", "r2", t0.Add(30*time.Minute)),
		rec("c_held", "r3", time.Time{}), // held by a pause: no wake
		rec("c_next", "r4", t0.Add(45*time.Minute)),
	}
	if err := st.RecordRuns(ctx, resting); err != nil {
		t.Fatal(err)
	}
	list := func(now time.Time) []string {
		t.Helper()
		var ids []string
		cursor := ""
		for range 10 {
			page, next, err := st.StepContacts(ctx, "j", 1, "a", cursor, 1, now)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page {
				ids = append(ids, c.ContactID)
			}
			if cursor = next; cursor == "" {
				return ids
			}
		}
		t.Fatal("paging never ended")
		return nil
	}
	if got := list(t0); !reflect.DeepEqual(got, []string{"c_soon", "c_next", "c_late", "c_held"}) {
		t.Fatalf("listed %v, want soonest wake first, held last", got)
	}
	// c_soon's wake ends its run (after the due time); c_late leaves early
	// (a goal); c_next moves on to another step.
	ended := rec("c_soon", "r2", time.Time{})
	ended.Status, ended.WokeAt, ended.Updated = "completed", true, t0.Add(30*time.Minute+5*time.Second)
	early := rec("c_late", "r1", time.Time{})
	early.Status, early.Updated = "converted", t0.Add(10*time.Minute)
	moved := rec("c_next", "r4", t0.Add(48*time.Hour))
	moved.Step = "b"
	if err := st.RecordRuns(ctx, []journeyrun.RunRecord{ended, early, moved}); err != nil {
		t.Fatal(err)
	}
	// Within the grace after c_soon's wake its left entry is still read
	// (the admin API drops it against the profile); after it, it is not.
	if got := list(t0.Add(31 * time.Minute)); !reflect.DeepEqual(got, []string{"c_soon", "c_held"}) {
		t.Errorf("listed %v a minute after c_soon's wake, want its left entry and the held run", got)
	}
	if got := list(t0.Add(41 * time.Minute)); !reflect.DeepEqual(got, []string{"c_held"}) {
		t.Errorf("listed %v past the grace, want only the held run", got)
	}
	if at, _, err := st.StepContacts(ctx, "j", 1, "b", "", 10, t0); err != nil || len(at) != 1 || at[0].ContactID != "c_next" {
		t.Errorf("at b: %+v %v, want c_next", at, err)
	}
	if _, _, err := st.StepContacts(ctx, "j", 1, "a", "bm90IGEgY3Vyc29y", 10, t0); err != journeyrun.ErrBadCursor {
		t.Errorf("a made-up cursor: %v, want ErrBadCursor", err)
	}
}

// TestPlannedVolumeDynamoDB: planned-volume counters add up across writes
// (and the shards they land on), a range returns its days in order with
// days outside it and days with nothing left out, a day taken below
// nothing reads as nothing, and the step counters beside them in the
// journey's partition do not see them.
func TestPlannedVolumeDynamoDB(t *testing.T) {
	ctx := t.Context()
	_, st := localTable(t, "planned")
	add := func(ps ...journeyrun.PlanCount) {
		t.Helper()
		if err := st.AddPlanned(ctx, ps); err != nil {
			t.Fatal(err)
		}
	}
	pc := func(j, day string, runs, emails int64) journeyrun.PlanCount {
		return journeyrun.PlanCount{Journey: j, Day: day, Runs: runs, Emails: emails}
	}
	for range 5 { // spread over shards by the clock
		add(pc("j", "2026-12-09", 2, 1))
	}
	add(pc("j", "2026-12-09", -1, -1), pc("j", "2026-12-08", 1, 1), pc("j", "2026-12-31", 4, 0), pc("j", "2027-01-01", 7, 7),
		pc("j", "2026-12-10", 1, 1), pc("j", "2026-12-10", -1, -1), pc("j", "2026-12-11", -2, -2), pc("k", "2026-12-09", 3, 3))
	if err := st.AddStepCounts(ctx, []journeyrun.StepCount{{Journey: "j", Version: 1, Step: "w", Metric: "entered", N: 3}}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Planned(ctx, "j", "2026-12-01", "2026-12-31")
	if err != nil {
		t.Fatal(err)
	}
	want := []journeyrun.PlanCount{pc("j", "2026-12-08", 1, 1), pc("j", "2026-12-09", 9, 4), pc("j", "2026-12-31", 4, 0)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("planned in December: %+v, want %+v", got, want)
	}
	counts, err := st.StepCounts(ctx, "j")
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 1 || counts[0].N != 3 || counts[0].Step != "w" {
		t.Errorf("step counts %+v, want only the one counter (not the planned volume)", counts)
	}
	if err := st.AddPlanned(ctx, []journeyrun.PlanCount{pc("j", "9 December", 1, 1)}); err == nil {
		t.Error("a day that is not a date was stored")
	}
}
