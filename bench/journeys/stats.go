package main

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/journey"
)

// percentile is the nearest-rank percentile (0 < p <= 100) of xs: the
// smallest value at or below which at least p% of the values lie. xs need
// not be sorted; an empty xs gives 0.
func percentile(xs []time.Duration, p float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// summary is the distribution of a set of latencies.
type summary struct {
	N                       int
	Min, P50, P90, P99, Max time.Duration
}

func summarize(xs []time.Duration) summary {
	if len(xs) == 0 {
		return summary{}
	}
	return summary{N: len(xs), Min: percentile(xs, 0.0001), P50: percentile(xs, 50), P90: percentile(xs, 90),
		P99: percentile(xs, 99), Max: percentile(xs, 100)}
}

// waitPrefixes are how the engine words a run's wait and its end in the
// path (journey.pass.wait and pass.event): the wait mark's note ends with
// "(until <RFC3339>)"; the mark that ends a timed wait reads "waited until
// <RFC3339>", one that ends an event wait "event <name> arrived".
const (
	timedEnd = "waited until "
	eventEnd = "event "
)

// timedLateness finds, in a run's path, the timed wait at step that came
// due and answers its due time and when the processor started the step
// (the pass that ended the wait, whose mark carries the processor's clock).
func timedLateness(marks []journey.Mark, step string) (due, started time.Time, ok bool) {
	for _, m := range marks {
		if m.Kind != journey.StepWait || m.Step != step {
			continue
		}
		if rest, found := strings.CutPrefix(m.Note, timedEnd); found {
			d, err := time.Parse(time.RFC3339, rest)
			if err != nil {
				return time.Time{}, time.Time{}, false
			}
			return d, m.At, true
		}
	}
	return time.Time{}, time.Time{}, false
}

// eventStart is when the pass that applied an awaited event ended the wait
// at step (the next step starts in that same pass).
func eventStart(marks []journey.Mark, step, event string) (time.Time, bool) {
	for _, m := range marks {
		if m.Kind == journey.StepWait && m.Step == step && m.Note == eventEnd+event+" arrived" {
			return m.At, true
		}
	}
	return time.Time{}, false
}

// firingTick is the last tick that ended at or before a timer's step
// started: the one that handed the timer over (ticks fire every timer due
// by their start, and hand over those due before the next tick on a delay,
// so it may have ended before the due time; a tick's log line is written
// when it ends). ticks are in order and are only those that fired
// something; the zero time when none did.
func firingTick(ticks []time.Time, started time.Time) time.Time {
	i, found := slices.BinarySearchFunc(ticks, started, func(t, d time.Time) int { return t.Compare(d) })
	if found {
		return ticks[i]
	}
	if i == 0 {
		return time.Time{}
	}
	return ticks[i-1]
}
