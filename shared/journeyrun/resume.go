package journeyrun

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/shared/journey"
	"github.com/leadflow/leadflow/shared/timer"
)

// Resumer continues the runs a paused journey held. Held runs carry no
// timer (a paused journey costs storage only); they rest at a step, so
// the runs-at-a-step index finds them without a scan: for every version
// and step the counters say has runs at it, page through the index and
// put a resume timer (due now) on the wheel for each run. The wheel's next
// tick delivers them; a run that is not held (one at a timed wait)
// ignores its resume event.
type Resumer struct {
	store  Store
	timers Scheduler
	now    func() time.Time
}

// NewResumer wires a resumer.
func NewResumer(store Store, timers Scheduler, now func() time.Time) *Resumer {
	return &Resumer{store: store, timers: timers, now: now}
}

// Resume schedules a resume for every run at a step of the journey and
// returns how many. Timer ids derive from the run and the resume time, so
// a retried call repeats nothing within the same second.
func (r *Resumer) Resume(ctx context.Context, journeyID string) (int, error) {
	counts, err := r.store.StepCounts(ctx, journeyID)
	if err != nil {
		return 0, err
	}
	type vs struct {
		v int64
		s string
	}
	at := map[vs]int64{}
	for _, c := range counts {
		k := vs{c.Version, c.Step}
		switch c.Metric {
		case journey.MetricEntered:
			at[k] += c.N
		case journey.MetricLeft, journey.MetricConverted, journey.MetricExited, journey.MetricStopped:
			at[k] -= c.N
		}
	}
	now := r.now().UTC()
	n := 0
	for k, waiting := range at {
		if k.s == "" || waiting <= 0 {
			continue
		}
		cursor := ""
		for {
			page, next, err := r.store.StepContacts(ctx, journeyID, k.v, k.s, cursor, 100)
			if err != nil {
				return n, fmt.Errorf("resume %s: %w", journeyID, err)
			}
			for _, sc := range page {
				t := timer.Timer{ID: "jr:" + sc.Run + ":" + strconv.FormatInt(now.Unix(), 10), ContactID: sc.ContactID, Event: journey.ResumeEvent,
					Properties: map[string]any{"journey": journeyID, "run": sc.Run}, Due: now}
				if err := r.timers.Schedule(ctx, t); err != nil {
					return n, fmt.Errorf("resume %s run %s: %w", journeyID, sc.Run, err)
				}
				n++
			}
			if cursor = next; cursor == "" {
				break
			}
		}
	}
	return n, nil
}
