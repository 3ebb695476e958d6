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
// timer (a paused journey costs storage only); the pass that held one
// listed it in the journey's held index (journey.EffectHold), so resume
// reads exactly those runs, one Query page at a time, and puts a resume
// timer (due now) on the wheel for each, then unlists it. Runs resting at
// a timed wait are not in the index and are not touched.
type Resumer struct {
	store  Store
	timers Scheduler
	now    func() time.Time
}

// NewResumer wires a resumer.
func NewResumer(store Store, timers Scheduler, now func() time.Time) *Resumer {
	return &Resumer{store: store, timers: timers, now: now}
}

// resumePage is how many held runs one index read returns.
const resumePage = 100

// Resume schedules a resume for every held run of the journey, which is
// live again as version, and returns how many. It is idempotent: a timer
// id derives from the run and the version (a retried call writes the same
// firing, which the processor's de-duplication applies once), an entry is
// unlisted only after its timer is stored, and an entry written again
// meanwhile (the run held anew) stays listed.
func (r *Resumer) Resume(ctx context.Context, journeyID string, version int64) (int, error) {
	now := r.now().UTC()
	n := 0
	cursor := ""
	for {
		page, next, err := r.store.HeldRuns(ctx, journeyID, cursor, resumePage)
		if err != nil {
			return n, fmt.Errorf("resume %s: held runs: %w", journeyID, err)
		}
		for _, h := range page {
			t := timer.Timer{ID: "jr:" + h.Run + ":" + strconv.FormatInt(version, 10), ContactID: h.ContactID, Event: journey.ResumeEvent,
				Properties: map[string]any{"journey": journeyID, "run": h.Run, "version": version}, Due: now}
			if err := r.timers.Schedule(ctx, t); err != nil {
				return n, fmt.Errorf("resume %s run %s: %w", journeyID, h.Run, err)
			}
			if err := r.store.DeleteHeld(ctx, h); err != nil {
				return n, fmt.Errorf("resume %s run %s: unlist: %w", journeyID, h.Run, err)
			}
			n++
		}
		if cursor = next; cursor == "" {
			return n, nil
		}
	}
}
