package campaign

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/mail"
)

// Gate answers the mail pipeline's question for campaign sends: a paused
// campaign's queued sends wait, a cancelled one's are dropped. States are
// cached for TTL so a batch of 10 sends reads a campaign once; with the
// pipeline's 30-second wait, a pause or resume takes effect within a
// minute.
type Gate struct {
	States interface {
		CampaignState(ctx context.Context, id string) (State, error)
	}
	TTL time.Duration
	Now func() time.Time

	mu    sync.Mutex
	cache map[string]gateEntry
}

type gateEntry struct {
	status Status
	at     time.Time
}

var _ mail.Holds = (*Gate)(nil)

// Hold implements mail.Holds.
func (g *Gate) Hold(ctx context.Context, src mail.Source) (mail.Hold, error) {
	if src.Campaign == "" {
		return mail.HoldNone, nil
	}
	now := time.Now()
	if g.Now != nil {
		now = g.Now()
	}
	ttl := g.TTL
	if ttl <= 0 {
		ttl = 10 * time.Second
	}
	g.mu.Lock()
	e, ok := g.cache[src.Campaign]
	g.mu.Unlock()
	if !ok || now.Sub(e.at) >= ttl {
		st, err := g.States.CampaignState(ctx, src.Campaign)
		switch {
		case errors.Is(err, ErrNotFound):
			// A send whose campaign has no state (sent before campaigns
			// had one) is not held.
			st.Status = Sending
		case err != nil:
			return mail.HoldNone, err
		}
		e = gateEntry{status: st.Status, at: now}
		g.mu.Lock()
		if g.cache == nil {
			g.cache = map[string]gateEntry{}
		}
		g.cache[src.Campaign] = e
		g.mu.Unlock()
	}
	switch e.status {
	case Paused:
		return mail.HoldWait, nil
	case Cancelled:
		return mail.HoldDrop, nil
	}
	return mail.HoldNone, nil
}
