package contact

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/leadflow/leadflow/shared/interest"
	"github.com/leadflow/leadflow/shared/routing"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/tracking"
)

// maxRescoreEvents bounds the timeline read when a contact's score was made
// under an older model; the engine's horizon bounds it in time as well.
const maxRescoreEvents = 5000

// batchEnv is what one Process call reads once and every contact shares.
type batchEnv struct {
	rules  interest.Rules
	engine *scoring.Engine
}

// WithScoring sets where the scoring engine comes from (read once per
// batch) and where qualified leads are queued for routing.
func (p *Processor) WithScoring(engine func(context.Context) (*scoring.Engine, error), routes routing.Queue) *Processor {
	p.engine, p.routes = engine, routes
	return p
}

func (p *Processor) env(ctx context.Context) (batchEnv, error) {
	var env batchEnv
	var err error
	if p.interests != nil {
		if env.rules, err = p.interests(ctx); err != nil {
			return env, err
		}
	}
	if p.engine != nil {
		if env.engine, err = p.engine(ctx); err != nil {
			return env, err
		}
	}
	return env, nil
}

// score updates the working profile's score and stage for its fresh
// events, returning the score changes (the explanation of every point) and
// the routing requests its stage moves call for.
func (p *Processor) score(ctx context.Context, e *scoring.Engine, working *Profile, fresh []tracking.Message) ([]scoring.Change, []routing.Request, error) {
	if e == nil {
		return nil, nil, nil
	}
	facts := working.Facts()
	var changes []scoring.Change
	if e.Stale(working.Score) && working.Score.ModelVersion != "" {
		// Scored under another model: start again from the timeline, so no
		// point is counted under two models. Only the fresh events' changes
		// are kept as history; the rest were recorded when they happened.
		past, err := p.store.Timeline(ctx, append([]string{working.ID}, working.MergedIDs...), time.Time{}, maxRescoreEvents)
		if err != nil {
			return nil, nil, fmt.Errorf("read timeline to re-score %s: %w", working.ID, err)
		}
		horizon := p.now().Add(-e.Horizon())
		all := fresh
		for _, m := range past {
			if !m.Timestamp.Before(horizon) {
				all = append(all, m)
			}
		}
		var every []scoring.Change
		working.Score, every = e.Rescore(facts, all, p.now())
		freshIDs := map[string]bool{}
		for _, m := range fresh {
			freshIDs[m.MessageID] = true
		}
		for _, c := range every {
			if freshIDs[c.MessageID] {
				changes = append(changes, c)
			}
		}
	} else {
		working.Score, changes = e.ScoreEvents(working.Score, facts, fresh)
	}

	ordered := append([]tracking.Message(nil), fresh...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].Timestamp.Before(ordered[j].Timestamp) })
	var routes []routing.Request
	route := e.Model().Routing
	for i := range ordered {
		m := ordered[i]
		change, moved := e.NextStage(working.Stage, facts, working.Score, &m, p.now())
		if !moved {
			continue
		}
		working.RecordStage(change)
		if route.Triggers(change.From, change.To) {
			routes = append(routes, routing.Request{
				ID: scoring.QualifiedID(working.ID, change.To, change.At), ContactID: working.ID, Change: change,
			})
		}
	}
	return changes, routes, nil
}

// Rescore recomputes one contact's score under e if it was made under
// another model, from its timeline within the engine's horizon. It is a
// from-scratch computation, so running it twice (a redelivered job, a race
// with the processor) never double counts. It reports whether it wrote.
func (p *Processor) Rescore(ctx context.Context, e *scoring.Engine, cid string) (bool, error) {
	for attempt := 0; attempt <= maxConflictRetries; attempt++ {
		got, err := p.store.GetProfiles(ctx, []string{cid})
		if err != nil {
			return false, fmt.Errorf("read %s to re-score: %w", cid, err)
		}
		prof := got[cid]
		if prof == nil || prof.MergedInto != "" || !e.Stale(prof.Score) {
			return false, nil
		}
		past, err := p.store.Timeline(ctx, append([]string{cid}, prof.MergedIDs...), time.Time{}, maxRescoreEvents)
		if err != nil {
			return false, fmt.Errorf("read timeline to re-score %s: %w", cid, err)
		}
		horizon := p.now().Add(-e.Horizon())
		var recent []tracking.Message
		for _, m := range past {
			if !m.Timestamp.Before(horizon) {
				recent = append(recent, m)
			}
		}
		working := prof.clone()
		working.Score, _ = e.Rescore(working.Facts(), recent, p.now())
		working.UpdatedAt = p.now().UTC()
		var change *Change
		if len(p.reactors) > 0 {
			// A new score can move the contact in or out of segments; the
			// commit id derives from the profile version and the model.
			change = &Change{Before: prof, After: working, Commit: Commit{ID: rescoreCommit(prof, e.Version())}, Now: p.now()}
			if err := p.react(ctx, change); err != nil {
				return false, err
			}
			if len(change.Timeline) > 0 {
				// A chunk of its own with no parent: a re-score applies no
				// events, so the chunk never vouches for any de-duplication.
				if err := p.store.PutEvents(ctx, cid, Commit{ID: change.Commit.ID}, change.Timeline, nil); err != nil {
					return false, fmt.Errorf("store %d reactor events of %s: %w", len(change.Timeline), cid, err)
				}
			}
		}
		err = p.store.SaveProfile(ctx, working)
		if err == nil {
			if change != nil {
				p.committed(ctx, change)
				// One contact per call: what the reactors buffered for it
				// (member counts) is written now.
				if err := p.flush(ctx); err != nil {
					p.log.ErrorContext(ctx, "flush reactors after re-score", "contact_id", cid, "error", err)
				}
			}
			return true, nil
		}
		if !errors.Is(err, ErrConflict) {
			return false, fmt.Errorf("save re-scored %s: %w", cid, err)
		}
	}
	return false, fmt.Errorf("re-score %s: %w", cid, ErrConflict)
}

func rescoreCommit(p *Profile, model string) uint64 {
	if id := Hash(fmt.Sprintf("rescore:%s:%d:%s", p.ID, p.Version, model)); id != 0 {
		return id
	}
	return 1
}
