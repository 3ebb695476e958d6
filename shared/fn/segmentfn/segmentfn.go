// Package segmentfn wires segment membership (shared/membership) the same
// way for every function that changes contacts: the processor, the jobs
// function (rebuilds, re-scoring) and the admin API (edits, lists).
package segmentfn

import (
	"context"
	"log/slog"
	"time"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/bus"
	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/membership"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/timer"
)

// Reactor wires the segment membership reactor: live segments from
// the registry, scores from the model in force, the member index and the
// timeline in the table, transitions on the bus, recheck timers on the
// wheel (a timer is only written here; the timers function fires it).
func Reactor(store *dynamo.Store, reg *definition.Registry, scores *definition.Cache[*scoring.Engine], pub bus.Publisher, log *slog.Logger) *membership.Reactor {
	scorer := func(ctx context.Context, s scoring.State, at time.Time) (scoring.Score, error) {
		e, err := scores.Default(ctx)
		if err != nil {
			return scoring.Score{}, err
		}
		return e.Score(s, at), nil
	}
	wheel := timer.NewWheel(store, nil, time.Now)
	return membership.NewReactor(definitions.NewSegmentSet(reg, log), scorer, store, BusAnnouncer{pub}, store, wheel, log)
}

// BusAnnouncer publishes segment transitions on the Leadflow bus; the
// detail carries the transition id subscribers de-duplicate by.
type BusAnnouncer struct{ Pub bus.Publisher }

// Announce implements membership.Announcer.
func (a BusAnnouncer) Announce(ctx context.Context, ts []membership.Transition) error {
	events := make([]bus.Event, len(ts))
	for i, t := range ts {
		events[i] = bus.Event{DetailType: t.Type, Detail: t, Time: t.At, Resources: []string{t.ContactID}}
	}
	return a.Pub.Publish(ctx, events...)
}
