package journey

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestMergeGuardedTakesNothingOver: an unverified merge into a known
// contact (adopt false) moves no run and no wake-up, ends each of the
// merged-away contact's runs as merged (counted, with its end in the
// path), and leaves the known contact's entry memory as it was: a prepared
// visitor can neither put the contact on a journey's path nor, by a "once
// ever" journey it ended, keep the contact out of one. The same merge
// verified moves the run and joins the memory.
func TestMergeGuardedTakesNothingOver(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	from := func() *State {
		return &State{
			Runs:  []Run{{Journey: "nurture", Version: 1, ID: "r-visitor", Step: "wait-1d", Started: at.Add(-time.Hour), Since: at.Add(-time.Hour), Until: at.Add(23 * time.Hour)}},
			Ended: []Ended{{Journey: "welcome", At: at.Add(-2 * time.Hour), Outcome: "completed", Runs: 1}},
		}
	}
	known := func() *State {
		return &State{Ended: []Ended{{Journey: "webinar", At: at.Add(-48 * time.Hour), Outcome: "converted", Runs: 1}}}
	}

	into := known()
	mr := Merge(into, from(), "c_known", at, false)
	if len(mr.Moved) != 0 || len(into.Runs) != 0 {
		t.Fatalf("guarded merge moved %+v, left runs %+v: want none", mr.Moved, into.Runs)
	}
	if len(mr.Ended) != 1 || mr.Ended[0].ID != "r-visitor" || !mr.Changed {
		t.Fatalf("ended %+v (changed %v): want the visitor's run ended", mr.Ended, mr.Changed)
	}
	if !slices.Equal(into.Ended, known().Ended) {
		t.Errorf("entry memory %+v, want the known contact's own %+v", into.Ended, known().Ended)
	}
	for _, ef := range mr.Effects {
		if ef.Kind == EffectTimer || ef.Kind == EffectHold {
			t.Errorf("guarded merge carried %+v: the run does not go on", ef)
		}
	}
	merged, ended := 0, 0
	for _, c := range mr.Counts {
		if c.Metric == MetricMerged && c.Step == "wait-1d" {
			merged++
		}
	}
	for _, m := range mr.Marks {
		if m.Kind == "end" && m.Run == "r-visitor" {
			ended++
		}
	}
	if merged != 1 || ended != 1 {
		t.Errorf("counts %+v, marks %+v: want one merged count and one end mark", mr.Counts, mr.Marks)
	}

	into = known()
	mr = Merge(into, from(), "c_known", at, true)
	if len(mr.Moved) != 1 || len(into.Runs) != 1 || into.ended("welcome") == nil {
		t.Errorf("verified merge: moved %+v, runs %+v, memory %+v: want the run moved and the memory joined", mr.Moved, into.Runs, into.Ended)
	}
}

// TestLeftWaits: only a wait left before its end loses its wake-up; one
// that came due keeps it (the wheel deletes it), and so does a run that
// keeps the same wake-up after the pass (a version move, a merge).
func TestLeftWaits(t *testing.T) {
	now := time.Date(2026, 5, 4, 15, 0, 0, 0, time.UTC)
	waiting := Run{ID: "r1", Journey: "j", Version: 1, Step: "wait", Until: now.Add(48 * time.Hour)}
	moved := waiting
	moved.Step, moved.Until = "next-wait", now.Add(72*time.Hour)
	newVersion := waiting
	newVersion.Version = 2
	held := waiting
	held.Held, held.Until = true, time.Time{}
	due := waiting
	due.Until = now.Add(-time.Second)
	for _, tc := range []struct {
		name          string
		before, after []Run
		want          []string
	}{
		{"ended early (event, goal, exit)", []Run{waiting}, nil, []string{"jw:r1:wait:" + fmt.Sprint(waiting.Until.Unix())}},
		{"moved on to another wait", []Run{waiting}, []Run{moved}, []string{"jw:r1:wait:" + fmt.Sprint(waiting.Until.Unix())}},
		{"held by a pause", []Run{waiting}, []Run{held}, []string{"jw:r1:wait:" + fmt.Sprint(waiting.Until.Unix())}},
		{"still waiting", []Run{waiting}, []Run{waiting}, nil},
		{"moved to a new version at the same step", []Run{waiting}, []Run{newVersion}, nil},
		{"woken at its end", []Run{due}, nil, nil},
		{"an event wait without an end yet", []Run{{ID: "r2", Journey: "j", Step: "w", For: "Booked"}}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, ef := range LeftWaits(tc.before, tc.after, now) {
				got = append(got, ef.ID)
				if !ef.Due.Equal(tc.before[0].Until) {
					t.Errorf("due %s, want the wait's end %s", ef.Due, tc.before[0].Until)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("cancelled %v, want %v", got, tc.want)
			}
		})
	}
}
