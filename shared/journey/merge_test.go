package journey

import (
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
