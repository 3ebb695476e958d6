package report

import (
	"fmt"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/engagement"
	"github.com/leadflow/leadflow/shared/form"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/sesevent"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Funnel is the lifecycle funnel in order; disqualified stands beside it
// and is not a step of it.
func Funnel() []scoring.Stage {
	return []scoring.Stage{scoring.Subscriber, scoring.Lead, scoring.MQL, scoring.SQL, scoring.Opportunity, scoring.Customer}
}

// funnelRank is a stage's place in the funnel, 1-based; 0 off it.
func funnelRank(s scoring.Stage) int {
	for i, f := range Funnel() {
		if f == s {
			return i + 1
		}
	}
	return 0
}

// ReachedCounter counts contacts reaching a stage.
func ReachedCounter(s scoring.Stage) string { return "r_" + string(s) }

// VelocityCounter counts, in one histogram bucket, contacts that reached
// stage s from the stage before it in the funnel.
func VelocityCounter(s scoring.Stage, bucket int) string {
	return fmt.Sprintf("v_%s_%d", s, bucket)
}

// FromChange is what one contact change adds to the counters. Events count
// on the day of their timestamp; a contact's creation and identification
// on the day it was processed; a stage on the day of the move.
func FromChange(c *contact.Change) Tally {
	t := Tally{}
	nowDay := DayOf(c.Now)
	if c.Before == nil && c.After.MergedInto == "" {
		t.Add(nowDay, NewContacts, 1)
	}
	if (c.Before == nil || !c.Before.Known()) && c.After.Known() {
		t.Add(nowDay, Identified, 1)
	}
	for _, m := range c.Events {
		countEvent(t, m)
	}
	var prior []scoring.StageChange
	if c.Before != nil {
		prior = c.Before.StageHistory
	}
	Stages(t, prior, freshMoves(prior, c.After.StageHistory))
	return t
}

// countEvent counts one applied event. Messages with a contact id are
// Leadflow's own (email events, timers); the rest came from a site or form.
func countEvent(t Tally, m tracking.Message) {
	day := DayOf(m.Timestamp)
	if m.ContactID == "" {
		t.Add(day, Events, 1)
		if m.Type == tracking.TypeTrack && m.Event == form.EventName {
			t.Add(day, FormFills, 1)
		}
		return
	}
	if m.Type != tracking.TypeTrack {
		return
	}
	machine, _ := m.Properties["machine"].(bool)
	switch m.Event {
	case engagement.EventOpened:
		t.Add(day, pick(machine, OpensMachine, OpensHuman), 1)
	case engagement.EventClicked:
		t.Add(day, pick(machine, ClicksMachine, ClicksHuman), 1)
	case engagement.EventUnsubscribed:
		t.Add(day, Unsubscribes, 1)
	case sesevent.EventBounced:
		t.Add(day, Bounced, 1)
	case sesevent.EventMarkedSpam:
		t.Add(day, Complained, 1)
	}
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

// freshMoves are the entries of after that prior does not hold: the
// history only grows at its end (and drops its oldest beyond
// contact.MaxStageHistory), so they follow prior's last entry.
func freshMoves(prior, after []scoring.StageChange) []scoring.StageChange {
	if len(prior) == 0 {
		return after
	}
	last := prior[len(prior)-1]
	for i := len(after) - 1; i >= 0; i-- {
		if after[i] == last {
			return after[i+1:]
		}
	}
	return nil // history rewritten (not done today): count nothing
}

// Stages counts stage moves: a contact reaches a funnel stage the first
// time a move takes it that far, and a jump (none to mql) reaches every
// stage it passes. When the stage before was reached in an earlier move,
// the hours between go into the pair's histogram; a jump through both in
// one move adds no sample (its time between is not known). Moving back
// and forward again counts nothing new. The admin API's stage change
// calls it too.
func Stages(t Tally, prior, fresh []scoring.StageChange) {
	if len(fresh) == 0 {
		return
	}
	// reachedAt[r] is when funnel rank r was first reached.
	reachedAt := map[int]time.Time{}
	top := 0
	advance := func(c scoring.StageChange, count bool) {
		r := funnelRank(c.To)
		for k := top + 1; k <= r; k++ {
			reachedAt[k] = c.At
			if !count {
				continue
			}
			s := Funnel()[k-1]
			day := DayOf(c.At)
			t.Add(day, ReachedCounter(s), 1)
			if k > 1 && k-1 <= top {
				hours := c.At.Sub(reachedAt[k-1]).Hours()
				t.Add(day, VelocityCounter(s, Bucket(hours)), 1)
			}
		}
		if r > top {
			top = r
		}
	}
	for _, c := range prior {
		advance(c, false)
	}
	for _, c := range fresh {
		advance(c, true)
	}
}
