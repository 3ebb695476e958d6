package main

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/journey"
)

func TestPercentileIsNearestRank(t *testing.T) {
	var xs []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		xs = append(xs, time.Duration(i)*time.Second)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Second}, {99, 99 * time.Second}, {100, 100 * time.Second}, {0.0001, time.Second}, {1, time.Second}} {
		if got := percentile(xs, tc.p); got != tc.want {
			t.Errorf("p%v = %s, want %s", tc.p, got, tc.want)
		}
	}
	if xs[0] != 100*time.Second {
		t.Errorf("percentile sorted its input in place")
	}
	if got := percentile([]time.Duration{7, 3, 5}, 50); got != 5 {
		t.Errorf("p50 of 3 values = %d, want the middle one (5)", got)
	}
	if got := percentile(nil, 99); got != 0 {
		t.Errorf("p99 of nothing = %s, want 0", got)
	}
	s := summarize([]time.Duration{4, 1, 3, 2})
	if s.N != 4 || s.Min != 1 || s.Max != 4 || s.P50 != 2 || s.P99 != 4 {
		t.Errorf("summarize = %+v", s)
	}
}

func TestLatenessFromTheRunPath(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	marks := []journey.Mark{
		{At: at("2026-12-07T17:00:00Z"), Kind: "enter", Note: "entered: event Bench Timed"},
		{At: at("2026-12-07T17:00:00Z"), Step: "pause", Kind: journey.StepWait, Note: "waiting for mon 17:05 in UTC (until 2026-12-07T17:05:00Z)"},
		{At: at("2026-12-07T17:05:41.5Z"), Step: "pause", Kind: journey.StepWait, Note: "waited until 2026-12-07T17:05:00Z"},
		{At: at("2026-12-07T17:05:41.5Z"), Step: "check", Kind: journey.StepBranch, Note: "took else"},
	}
	due, started, ok := timedLateness(marks, "pause")
	if !ok || !due.Equal(at("2026-12-07T17:05:00Z")) || started.Sub(due) != 41500*time.Millisecond {
		t.Errorf("timedLateness = %s, %s, %v; want due 17:05:00 and 41.5 s late", due, started, ok)
	}
	if _, _, ok := timedLateness(marks[:2], "pause"); ok {
		t.Errorf("a wait that has not ended gave a lateness")
	}
	if _, _, ok := timedLateness(marks, "other"); ok {
		t.Errorf("another step's wait gave a lateness")
	}

	ev := []journey.Mark{
		{At: at("2026-12-07T17:00:00Z"), Step: "await", Kind: journey.StepWait, Note: "waiting for Bench Go, at most 24h0m0s (until 2026-12-08T17:00:00Z)"},
		{At: at("2026-12-07T17:01:02Z"), Step: "await", Kind: journey.StepWait, Note: "event Bench Go arrived"},
	}
	if got, ok := eventStart(ev, "await", "Bench Go"); !ok || !got.Equal(at("2026-12-07T17:01:02Z")) {
		t.Errorf("eventStart = %s, %v", got, ok)
	}
	if _, ok := eventStart(ev, "await", "Other"); ok {
		t.Errorf("another event's arrival matched")
	}
}

func TestFiringTickIsTheLastBeforeTheStepStarted(t *testing.T) {
	base := time.Date(2026, 12, 7, 17, 0, 0, 0, time.UTC)
	ticks := []time.Time{base.Add(20 * time.Second), base.Add(80 * time.Second), base.Add(140 * time.Second)}
	for _, tc := range []struct {
		started time.Duration
		want    time.Time
	}{{0, time.Time{}}, {20 * time.Second, ticks[0]}, {21 * time.Second, ticks[0]}, {80 * time.Second, ticks[1]}, {139 * time.Second, ticks[1]}, {300 * time.Second, ticks[2]}} {
		if got := firingTick(ticks, base.Add(tc.started)); !got.Equal(tc.want) {
			t.Errorf("started +%s: tick %s, want %s", tc.started, got, tc.want)
		}
	}
}
