package journey

import (
	"fmt"
	"slices"
	"time"
)

// OutcomeMerged ends a run of a merged-away contact whose survivor
// already runs the same journey: one person, one run (the survivor's).
const OutcomeMerged = "merged"

// MetricMerged counts runs ended at a step because their contact was
// merged into one already running the journey.
const MetricMerged = "merged"

// MergeResult is what merging a contact's journey state into its
// survivor's did: the runs moved over unchanged (same id, version, step,
// wait and engagement) and the runs ended as merged.
type MergeResult struct {
	Result
	Moved []Run
	Ended []Run
}

// Merge folds a merged-away contact's journey state (from) into its
// survivor's (into, changed in place). A run of a journey the survivor is
// not in moves over as it is; its wait goes on, so the result carries its
// wake-up timer again (same id and due time) addressed to the survivor,
// and a held run is listed again for the survivor. When both contacts run
// the same journey, the survivor's run is kept and the other ends as
// merged at its step, counted there, so the entry rules see one person
// who entered once. The entry rules' memory (Ended) joins too: the latest
// end of each journey, and the runs of both. Merging the same state again
// (a retried fold) moves and ends nothing twice: a run already in into is
// skipped.
//
// adopt false is an unverified merge into a contact already known (the
// public write key named its email or user id, and whoever sent it may
// have prepared the merged-away contact): nothing that would steer the
// known contact comes over. Every run of from ends as merged, and its
// entry memory is left behind, so a prepared visitor can neither put the
// known contact on a journey's path nor keep it out of one.
func Merge(into, from *State, survivor string, now time.Time, adopt bool) MergeResult {
	var mr MergeResult
	if from == nil {
		return mr
	}
	p := &pass{st: into, res: &mr.Result, now: now, cur: map[string]*Compiled{}}
	// end adds a run then ends it, so the end is recorded as for any run.
	end := func(r Run, why string) {
		into.Runs = append(into.Runs, r)
		p.count(&r, r.Step, MetricMerged)
		p.finish(len(into.Runs)-1, OutcomeMerged, why, survivor)
		mr.Ended = append(mr.Ended, r)
	}
	var memory []Ended
	if !adopt {
		memory = slices.Clone(into.Ended)
	} else {
		for _, e := range from.Ended {
			if mine := into.ended(e.Journey); mine != nil {
				if e.At.After(mine.At) {
					mine.At, mine.Outcome = e.At, e.Outcome
				}
				mine.Runs += e.Runs
			} else {
				into.Ended = append(into.Ended, e)
			}
		}
	}
	for _, r := range from.Runs {
		if slices.ContainsFunc(into.Runs, func(x Run) bool { return x.ID == r.ID }) {
			continue
		}
		r.Opened, r.Clicked = slices.Clone(r.Opened), slices.Clone(r.Clicked)
		switch {
		case !adopt:
			end(r, "merged into %s by an unverified identify: not taken over")
			continue
		case into.active(r.Journey):
			end(r, "merged into %s, which already runs this journey")
			continue
		}
		into.Runs = append(into.Runs, r)
		mr.Moved = append(mr.Moved, r)
		p.mark(&r, r.Step, "merge", "moved to %s with its contact", survivor)
		switch {
		case r.Held:
			mr.Effects = append(mr.Effects, Effect{Kind: EffectHold, ID: "jh:" + r.ID, Journey: r.Journey, Version: r.Version, Run: r.ID, Step: r.Step})
		case !r.Until.IsZero():
			mr.Effects = append(mr.Effects, wakeTimer(r, now))
		}
	}
	if !adopt {
		// The runs' ends stay out of the known contact's entry memory.
		into.Ended = memory
	}
	mr.Changed = len(mr.Moved) > 0 || len(mr.Ended) > 0 || (adopt && len(from.Ended) > 0)
	return mr
}

// LeftWaits are the wake-ups that a pass made pointless: runs that rested
// at a wait with its end still ahead in before (a duration, a time, an
// event's timeout) and that after no longer has at that wait (the awaited
// event came, a goal or an exit segment ended the run, a pause held it).
// Their timers would still fire, wake the contact for nothing and land on
// its timeline; cancelling one costs a delete, less than the wake. A wait
// whose end has come is left out: its timer is firing, and the wheel
// deletes it. Only a wake-up's id and due time are set (what a cancel
// needs). A run that keeps its wake-up (same run, step and end, as after a
// version move or a merge) keeps its timer.
func LeftWaits(before, after []Run, now time.Time) []Effect {
	keeps := make(map[string]bool, len(after))
	for _, r := range after {
		if !r.Held && !r.Until.IsZero() {
			keeps[wakeTimer(r, now).ID] = true
		}
	}
	var out []Effect
	for _, r := range before {
		if r.Held || !r.Until.After(now) {
			continue
		}
		if w := wakeTimer(r, now); !keeps[w.ID] {
			out = append(out, Effect{Kind: EffectTimer, ID: w.ID, Journey: r.Journey, Version: r.Version, Run: r.ID, Step: r.Step, Due: w.Due})
		}
	}
	return out
}

// wakeTimer is the wake-up of a run resting at a wait: the timer the wait
// scheduled (same id, due time and properties), or, when that time has
// passed (its firing may have gone to the merged-away contact before the
// run moved), one due at once under an id of its own. The wake carries the
// wait's due time, so whichever firing comes second finds the run moved on.
func wakeTimer(r Run, now time.Time) Effect {
	id, due := fmt.Sprintf("jw:%s:%s:%d", r.ID, r.Step, r.Until.Unix()), r.Until
	if !due.After(now) {
		due = now.Truncate(time.Second).Add(time.Second)
		id += ":m"
	}
	return Effect{Kind: EffectTimer, ID: id, Journey: r.Journey, Version: r.Version, Run: r.ID, Step: r.Step, Due: due, Event: WakeEvent,
		Properties: map[string]any{"journey": r.Journey, "run": r.ID, "step": r.Step, "due": r.Until.Unix()}}
}
