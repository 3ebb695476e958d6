package mail

import (
	"context"
	"errors"
	"testing"
	"time"
)

// limitsSeen records the limit each TakeRate was given, over memRate.
type limitsSeen struct {
	memRate
	limits []int
}

func (l *limitsSeen) TakeRate(ctx context.Context, sec int64, want, limit int) (int, error) {
	l.limits = append(l.limits, limit)
	return l.memRate.TakeRate(ctx, sec, want, limit)
}

// fakeClock drives a pacer's now and sleep.
func fakeClock(p *Pacer, start time.Time) *time.Time {
	t := start
	p.now = func() time.Time { return t }
	p.sleep = func(_ context.Context, d time.Duration) error { t = t.Add(d); return nil }
	return &t
}

func TestReadingPacerReadsOnFirstTakeNotWhenBuilt(t *testing.T) {
	store := &limitsSeen{memRate: memRate{count: map[int64]int{}}}
	reads := 0
	p := NewReadingPacer(store, 1, func(context.Context) (float64, error) { reads++; return 14.5, nil })
	clock := fakeClock(p, time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	if reads != 0 {
		t.Fatalf("%d rate reads when the pacer was built, want 0", reads)
	}
	n, _, err := p.Take(context.Background(), 20, clock.Add(time.Minute))
	if err != nil || n != 14 {
		t.Fatalf("took %d, %v; want the read rate's 14", n, err)
	}
	if reads != 1 || len(store.limits) != 1 || store.limits[0] != 14 || p.Limit() != 14 {
		t.Fatalf("reads %d, limits %v, Limit %d", reads, store.limits, p.Limit())
	}
	// Read once for the container, not per batch; again after an hour.
	*clock = clock.Add(59 * time.Minute)
	p.Take(context.Background(), 1, clock.Add(time.Minute))
	if reads != 1 {
		t.Fatalf("%d reads within the hour, want 1", reads)
	}
	*clock = clock.Add(2 * time.Minute)
	p.Take(context.Background(), 1, clock.Add(time.Minute))
	if reads != 2 {
		t.Fatalf("%d reads after an hour, want 2", reads)
	}
}

func TestReadingPacerStaysAtTheFallbackUntilTheRateIsRead(t *testing.T) {
	store := &limitsSeen{memRate: memRate{count: map[int64]int{}}}
	reads, rate, readErr := 0, 0.0, errors.New("SES unreachable")
	p := NewReadingPacer(store, 1, func(context.Context) (float64, error) { reads++; return rate, readErr })
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	clock := fakeClock(p, start)

	// Ten seconds of sends while the quota cannot be read: one a second
	// (the fallback), never more, and one read a minute at most.
	sent := map[int64]int{}
	for clock.Before(start.Add(10 * time.Second)) {
		n, sec, err := p.Take(context.Background(), 5, start.Add(time.Hour))
		if err != nil || n == 0 {
			t.Fatalf("took %d, %v", n, err)
		}
		sent[sec.Unix()] += n
	}
	for sec, n := range sent {
		if n > 1 {
			t.Errorf("%d sends in second %d before the quota was known, limit 1", n, sec)
		}
	}
	for _, l := range store.limits {
		if l != 1 {
			t.Fatalf("paced to %d before the quota was known: %v", l, store.limits)
		}
	}
	if reads != 1 {
		t.Fatalf("%d reads in ten seconds, want 1 (retried after a minute)", reads)
	}

	// A minute later the read works: the account's rate from then on.
	rate, readErr = 7, nil
	*clock = start.Add(time.Minute + time.Second)
	if n, _, err := p.Take(context.Background(), 10, start.Add(time.Hour)); err != nil || n != 7 {
		t.Fatalf("took %d, %v after the quota was read; want 7", n, err)
	}
	// A failed refresh an hour later keeps the rate that was read.
	rate, readErr = 0, errors.New("throttled")
	*clock = clock.Add(time.Hour + time.Second)
	if n, _, err := p.Take(context.Background(), 10, clock.Add(time.Hour)); err != nil || n != 7 || reads != 3 {
		t.Fatalf("took %d, %v, reads %d; want 7 after a failed refresh, 3 reads", n, err, reads)
	}
}
