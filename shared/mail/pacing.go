package mail

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// RateStore counts the messages sent in each second, shared by every
// sender (dynamo.Store.TakeRate: one small item per second).
type RateStore interface {
	// TakeRate adds up to want to second sec's count without passing limit
	// and returns how many it added (0: the second is full).
	TakeRate(ctx context.Context, sec int64, want, limit int) (int, error)
}

// Pacer keeps every sender together at or under the account's maximum send
// rate: a send needs a token of the second it starts in, and a second has
// only limit tokens, whichever Lambda takes them. A full second makes the
// caller wait for the next one.
type Pacer struct {
	store RateStore
	limit int
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

// edge is how close to the end of a second a token is no longer taken for
// it: a send started in the last moments could reach SES in the next
// second and push that one over the limit.
const edge = 100 * time.Millisecond

// NewPacer paces to rate messages per second (SES's MaxSendRate; fractions
// are rounded down, never below 1).
func NewPacer(store RateStore, rate float64) *Pacer {
	return &Pacer{store: store, limit: max(1, int(math.Floor(rate))), now: time.Now, sleep: sleepCtx}
}

// Limit is the paced rate, messages per second.
func (p *Pacer) Limit() int { return p.limit }

// Take waits until it holds at least one token, and at most want, and
// returns how many and the second they are for; when the sends would have
// to start after deadline it returns 0. The caller starts that many sends
// at once, and checks with InTime just before each SES call.
func (p *Pacer) Take(ctx context.Context, want int, deadline time.Time) (int, time.Time, error) {
	if want <= 0 {
		return 0, time.Time{}, nil
	}
	for {
		now := p.now()
		sec := now.Unix()
		if now.Sub(time.Unix(sec, 0)) > time.Second-edge {
			sec++
		}
		start := time.Unix(sec, 0)
		if start.After(deadline) {
			return 0, time.Time{}, nil
		}
		if start.After(now) {
			if err := p.sleep(ctx, start.Sub(now)); err != nil {
				return 0, time.Time{}, err
			}
		}
		got, err := p.store.TakeRate(ctx, sec, want, p.limit)
		if err != nil {
			return 0, time.Time{}, fmt.Errorf("pace sends: %w", err)
		}
		if got > 0 {
			return got, start, nil
		}
		// The second is full. Wake a little after the next one starts, at a
		// random point so waiting senders do not all write at once.
		next := time.Unix(sec+1, 0).Add(rand.N(20 * time.Millisecond))
		if next.After(deadline) {
			return 0, time.Time{}, nil
		}
		if err := p.sleep(ctx, next.Sub(p.now())); err != nil {
			return 0, time.Time{}, err
		}
	}
}

// InTime reports whether a send holding a token of the second starting at
// sec may still start: a claim that took long (a slow write) must not
// carry its token into the next second, where it would push that second
// over the limit.
func (p *Pacer) InTime(sec time.Time) bool {
	return p.now().Before(sec.Add(time.Second - edge))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
