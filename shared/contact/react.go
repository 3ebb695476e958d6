package contact

import (
	"context"
	"fmt"
	"time"

	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Change is one contact's update in one processor pass, shown to reactors
// before it commits.
type Change struct {
	// Before is the profile as read (nil for a new contact); reactors must
	// not modify it.
	Before *Profile
	// After is the working profile about to be saved. A reactor may set the
	// fields it owns (segment memberships, active journey runs, windowed
	// counters): they are saved in the same profile write, at no extra cost.
	After *Profile
	// Events are the messages applied in this pass (duplicates removed).
	Events []tracking.Message
	// Scores are the score changes the events caused.
	Scores []scoring.Change
	// Commit names this write; side effects keyed by it stay idempotent when
	// a failed profile write runs the reactors again.
	Commit Commit
	Now    time.Time
	// Timeline holds events a reactor records on the contact's timeline
	// (segment entries and exits). The processor writes them in this
	// commit's own timeline chunk with Events, before the profile write, so
	// they cost no write of their own and a re-run rewrites the same chunk.
	Timeline []tracking.Message
}

// A Reactor reacts to contact changes in the pass that made them (segment
// membership, journey triggers and goals, report counters), so nothing has to
// scan contacts later. React runs before the profile write, which is the
// commit point: a reactor's side effects must be idempotent by Change.Commit
// (or by ids derived from the change), because a conflict or a crash runs it
// again with the same change. An error fails the contact's inputs, which are
// retried.
type Reactor interface {
	React(ctx context.Context, c *Change) error
}

// ReactorFunc adapts a function to Reactor.
type ReactorFunc func(ctx context.Context, c *Change) error

// React calls f.
func (f ReactorFunc) React(ctx context.Context, c *Change) error { return f(ctx, c) }

// A Flusher is a Reactor that buffers per invocation (report counters
// summed over a whole batch, so many events cost one write) and writes once
// after every contact of the batch was processed. Flush runs after the
// profiles committed, so what it writes is at most once: a failed flush is
// logged, not retried (a redelivered batch holds only duplicates).
type Flusher interface {
	Reactor
	Flush(ctx context.Context) error
}

// A Committer is told when a change it reacted to was saved. A reactor
// that buffers per batch (report counters) keeps a change's effect until
// then, so a change whose profile write failed, and that a later batch
// applies again, is not counted twice.
type Committer interface {
	Committed(ctx context.Context, c *Change)
}

// A Merger is a Reactor that keeps state of its own on the profile (active
// journey runs) that must follow a contact merged into another. Merged runs
// inside the fold, after Fold and before the survivor's profile write (the
// commit point): it may set its fields on Into, and what it does elsewhere
// must be idempotent, since a conflict or a crash runs it again with the
// same From (a tombstone, frozen).
type Merger interface {
	Merged(ctx context.Context, m *MergeChange) error
}

// MergeChange is one fold of a merged-away contact into its survivor.
type MergeChange struct {
	// From is the merged-away contact's tombstone; read only.
	From *Profile
	// Into is the survivor about to be saved, with From folded in.
	Into *Profile
	// Verified: the call that asked for the merge proved who sent it.
	Verified bool
	// Guarded: an unverified fold into a contact that was already known
	// (Profile.Fold's attacker's case). Whoever sent it may have prepared
	// From, so state that would steer the known contact (journey runs, the
	// entry rules' memory) must not come over.
	Guarded bool
	Now     time.Time
}

// WithReactors adds reactors, called in order for every contact change.
func (p *Processor) WithReactors(rs ...Reactor) *Processor {
	p.reactors = append(p.reactors, rs...)
	return p
}

func (p *Processor) react(ctx context.Context, c *Change) error {
	for _, r := range p.reactors {
		if err := r.React(ctx, c); err != nil {
			return fmt.Errorf("react to %s: %w", c.After.ID, err)
		}
	}
	return nil
}

func (p *Processor) merged(ctx context.Context, m *MergeChange) error {
	for _, r := range p.reactors {
		if mg, ok := r.(Merger); ok {
			if err := mg.Merged(ctx, m); err != nil {
				return fmt.Errorf("merge %s into %s: %w", m.From.ID, m.Into.ID, err)
			}
		}
	}
	return nil
}

func (p *Processor) committed(ctx context.Context, c *Change) {
	for _, r := range p.reactors {
		if cm, ok := r.(Committer); ok {
			cm.Committed(ctx, c)
		}
	}
}

func (p *Processor) flush(ctx context.Context) error {
	for _, r := range p.reactors {
		if f, ok := r.(Flusher); ok {
			if err := f.Flush(ctx); err != nil {
				return fmt.Errorf("flush: %w", err)
			}
		}
	}
	return nil
}
