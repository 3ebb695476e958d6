package mail

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
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
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	// read, when set, tells the rate; it is called on the first Take, not
	// when the pacer is built, so a cold start waits for no quota read.
	read RateReader

	mu     sync.Mutex
	limit  int
	known  bool      // limit came from read (or NewPacer), not the fallback
	readAt time.Time // last call of read; zero: never
}

// RateReader reads the rate to pace to, messages per second (the account's
// SES MaxSendRate, lowered by any configured cap). An error leaves the
// pacer on its fallback rate.
type RateReader func(ctx context.Context) (float64, error)

// Intervals between calls of a RateReader: after a failure the pacer stays
// on its fallback and asks again a minute later; a rate read is asked again
// an hour later (SES raises quotas while a container lives), and kept if
// that read fails.
const (
	rateRetryAfter   = time.Minute
	rateRefreshAfter = time.Hour
)

// edge is how close to the end of a second a token is no longer taken for
// it: a send started in the last moments could reach SES in the next
// second and push that one over the limit.
const edge = 100 * time.Millisecond

// NewPacer paces to rate messages per second (SES's MaxSendRate; fractions
// are rounded down, never below 1).
func NewPacer(store RateStore, rate float64) *Pacer {
	return &Pacer{store: store, limit: perSecond(rate), known: true, now: time.Now, sleep: sleepCtx}
}

// NewReadingPacer paces to the rate read returns, read on the first Take
// and refreshed hourly. Until a read succeeds it paces to fallback, which
// must be a rate the account is known to allow (SES's sandbox minimum of
// 1/s, or a cap the operator set for exactly this case): no send is ever
// paced to a rate nobody has read.
func NewReadingPacer(store RateStore, fallback float64, read RateReader) *Pacer {
	return &Pacer{store: store, limit: perSecond(fallback), read: read, now: time.Now, sleep: sleepCtx}
}

func perSecond(rate float64) int { return max(1, int(math.Floor(rate))) }

// Limit is the paced rate, messages per second, as the last Take used it.
func (p *Pacer) Limit() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.limit
}

// currentLimit is the rate to pace this Take to, calling read when it is
// due. Concurrent Takes wait for one read rather than each reading.
func (p *Pacer) currentLimit(ctx context.Context) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.read == nil {
		return p.limit
	}
	now := p.now()
	due := p.readAt.IsZero() ||
		(!p.known && now.Sub(p.readAt) >= rateRetryAfter) ||
		(p.known && now.Sub(p.readAt) >= rateRefreshAfter)
	if !due {
		return p.limit
	}
	p.readAt = now
	if rate, err := p.read(ctx); err == nil && rate > 0 {
		p.limit, p.known = perSecond(rate), true
	}
	return p.limit
}

// Take waits until it holds at least one token, and at most want, and
// returns how many and the second they are for; when the sends would have
// to start after deadline it returns 0. The caller starts that many sends
// at once, and checks with InTime just before each SES call.
func (p *Pacer) Take(ctx context.Context, want int, deadline time.Time) (int, time.Time, error) {
	if want <= 0 {
		return 0, time.Time{}, nil
	}
	limit := p.currentLimit(ctx)
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
		got, err := p.store.TakeRate(ctx, sec, want, limit)
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
