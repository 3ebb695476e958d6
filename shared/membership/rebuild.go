package membership

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/segment"
)

// Profiles is what a rebuild reads and writes of contacts.
type Profiles interface {
	GetProfiles(ctx context.Context, ids []string) (map[string]*contact.Profile, error)
	SaveProfile(ctx context.Context, p *contact.Profile) error
}

// Rebuild evaluates the live segments over one page of contacts as the
// live path does: the member index follows (conditional writes: each
// contact counted once, whatever else ran), each entry and exit is
// recorded on the contact's timeline and published (segment.entered /
// exited), a recheck timer is set for the next time-based change, and the
// profile is saved when its Segments or timer changed. Transition ids
// derive from the profile version read, so a re-run of a page interrupted
// before its save records and publishes the same ids again (the timeline
// keeps one, subscribers de-duplicate), and a re-run after the save finds
// nothing to change and publishes nothing. It returns how many contacts
// changed.
func (r *Reactor) Rebuild(ctx context.Context, profiles Profiles, set *segment.Set, ids []string, now time.Time) (int, error) {
	ps, err := profiles.GetProfiles(ctx, ids)
	if err != nil {
		return 0, fmt.Errorf("rebuild: read %d profiles: %w", len(ids), err)
	}
	changed := 0
	for _, id := range ids {
		p := ps[id]
		for attempt := 0; p != nil && p.MergedInto == ""; attempt++ {
			view, err := r.View(ctx, p, now)
			if err != nil {
				return changed, err
			}
			after := set.Eval(view, now)
			check := p.SegmentCheck
			if err := r.schedule(ctx, p, set.NextChange(view, now), now); err != nil {
				return changed, err
			}
			if slices.Equal(after, p.Segments) && p.SegmentCheck.Equal(check) {
				break
			}
			commit := rebuildCommit(p)
			ts, err := r.Apply(ctx, p.ID, p.Segments, after, commit, now)
			if err != nil {
				return changed, err
			}
			if err := r.record(ctx, p.ID, contact.Commit{ID: commit}, ts); err != nil {
				return changed, err
			}
			p.Segments = after
			err = profiles.SaveProfile(ctx, p)
			if err == nil {
				changed++
				break
			}
			if !errors.Is(err, contact.ErrConflict) || attempt >= 3 {
				return changed, fmt.Errorf("rebuild: save %s: %w", p.ID, err)
			}
			// The processor wrote it meanwhile (and evaluated it): read
			// again and reconcile with what it saved.
			again, err := profiles.GetProfiles(ctx, []string{p.ID})
			if err != nil {
				return changed, fmt.Errorf("rebuild: re-read %s: %w", p.ID, err)
			}
			p = again[p.ID]
		}
	}
	return changed, nil
}

func rebuildCommit(p *contact.Profile) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "rebuild:%s:%d", p.ID, p.Version)
	return h.Sum64()
}

// Reevaluate runs the reactor for a change made outside the processor
// (an admin edits tags or the stage): before is the profile as read,
// after the one about to be saved. Ids derive from the profile version.
// Outside the processor there is no commit hook, timeline chunk or flush:
// the index and counts move at once (SetMember), the transitions get a
// timeline chunk of their own.
func (r *Reactor) Reevaluate(ctx context.Context, before, after *contact.Profile, now time.Time) error {
	c := &contact.Change{Before: before, After: after, Commit: contact.Commit{ID: rebuildCommit(before)}, Now: now}
	ev, err := r.evaluate(ctx, c)
	if err != nil {
		return err
	}
	if err := r.syncLists(ctx, after.ID, ev.lists, after.Lists, now); err != nil {
		return err
	}
	ts, err := r.Apply(ctx, after.ID, ev.before, after.Segments, c.Commit.ID, now)
	if err != nil {
		return err
	}
	if err := r.record(ctx, after.ID, c.Commit, ts); err != nil {
		return err
	}
	return r.schedule(ctx, after, ev.next, now)
}
