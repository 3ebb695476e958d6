package membership

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/segment"
)

// Profiles is what a rebuild reads and writes of contacts.
type Profiles interface {
	GetProfiles(ctx context.Context, ids []string) (map[string]*contact.Profile, error)
	SaveProfile(ctx context.Context, p *contact.Profile) error
}

// RebuildWorkers bounds how many contacts of a page a rebuild writes at
// once: a page's contacts are independent items (their profiles, timeline
// chunks and timers), so the page takes a few round trips instead of one
// chain of calls per contact.
const RebuildWorkers = 10

// rebuilt is one contact a rebuild page changes.
type rebuilt struct {
	p     *contact.Profile
	after []string
	ts    []Transition
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
//
// The page works in steps, each over all its contacts at once: evaluate
// (and set timers), write the member index (SetMembers: a few
// transactions for the page), record the timeline chunks, publish (ten
// events per PutEvents), save the profiles. Every side effect still
// happens before the save that commits it. A contact the processor saved
// meanwhile (a conflict) is re-read and done again on its own.
func (r *Reactor) Rebuild(ctx context.Context, profiles Profiles, set *segment.Set, ids []string, now time.Time) (int, error) {
	ps, err := profiles.GetProfiles(ctx, ids)
	if err != nil {
		return 0, fmt.Errorf("rebuild: read %d profiles: %w", len(ids), err)
	}
	var todo []*contact.Profile
	for _, id := range ids {
		if p := ps[id]; p != nil && p.MergedInto == "" {
			todo = append(todo, p)
		}
	}
	evaluated := make([]*rebuilt, len(todo))
	err = parallel(ctx, len(todo), func(i int) error {
		c, err := r.evaluateForRebuild(ctx, set, todo[i], now)
		evaluated[i] = c
		return err
	})
	if err != nil {
		return 0, err
	}
	var page []*rebuilt
	var changes []MemberChange
	var all []Transition
	for _, c := range evaluated {
		if c == nil {
			continue
		}
		page = append(page, c)
		for _, t := range c.ts {
			changes = append(changes, MemberChange{Ref: Ref{Kind: Segment, ID: t.Segment}, ContactID: c.p.ID, In: t.Entered})
		}
		all = append(all, c.ts...)
	}
	if len(changes) > 0 {
		if _, err := r.store.SetMembers(ctx, changes, now); err != nil {
			return 0, err
		}
	}
	err = parallel(ctx, len(page), func(i int) error {
		return r.recordTimeline(ctx, page[i].p.ID, contact.Commit{ID: rebuildCommit(page[i].p)}, page[i].ts)
	})
	if err != nil {
		return 0, err
	}
	if err := r.publishAll(ctx, all); err != nil {
		return 0, err
	}
	var mu sync.Mutex
	changed := 0
	var conflicted []*rebuilt
	err = parallel(ctx, len(page), func(i int) error {
		c := page[i]
		c.p.Segments = c.after
		err := profiles.SaveProfile(ctx, c.p)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			changed++
		case errors.Is(err, contact.ErrConflict):
			conflicted = append(conflicted, c)
		default:
			return fmt.Errorf("rebuild: save %s: %w", c.p.ID, err)
		}
		return nil
	})
	if err != nil {
		return changed, err
	}
	// The processor wrote these meanwhile (and evaluated them): read again
	// and reconcile with what it saved, one by one.
	for _, c := range conflicted {
		again, err := profiles.GetProfiles(ctx, []string{c.p.ID})
		if err != nil {
			return changed, fmt.Errorf("rebuild: re-read %s: %w", c.p.ID, err)
		}
		ok, err := r.rebuildOne(ctx, profiles, set, again[c.p.ID], c.ts, now)
		if err != nil {
			return changed, err
		}
		if ok {
			changed++
		}
	}
	return changed, nil
}

// evaluateForRebuild evaluates one contact, sets its recheck timer, and
// says what would change (nil: nothing).
func (r *Reactor) evaluateForRebuild(ctx context.Context, set *segment.Set, p *contact.Profile, now time.Time) (*rebuilt, error) {
	view, err := r.View(ctx, p, now)
	if err != nil {
		return nil, err
	}
	after := set.Eval(view, now)
	check := p.SegmentCheck
	if err := r.schedule(ctx, p, set.NextChange(view, now), now); err != nil {
		return nil, err
	}
	if slices.Equal(after, p.Segments) && p.SegmentCheck.Equal(check) {
		return nil, nil
	}
	return &rebuilt{p: p, after: after, ts: transitions(p.ID, p.Segments, after, rebuildCommit(p), now)}, nil
}

// rebuildOne is Rebuild for one contact, with its own conflict retries.
// written are the transitions an earlier attempt put in the index (and
// published) before its save lost to the processor: where the contact's
// final membership disagrees with one, the index is set back and the
// reverse move recorded and published, so the index, the count and the
// bus agree with the profile.
func (r *Reactor) rebuildOne(ctx context.Context, profiles Profiles, set *segment.Set, p *contact.Profile, written []Transition, now time.Time) (bool, error) {
	for attempt := 0; p != nil && p.MergedInto == ""; attempt++ {
		c, err := r.evaluateForRebuild(ctx, set, p, now)
		if err != nil {
			return false, err
		}
		final := p.Segments
		if c != nil {
			final = c.after
		}
		var undo []Transition
		for _, t := range written {
			if in := slices.Contains(final, t.Segment); in != t.Entered {
				undo = append(undo, NewTransition(p.ID, t.Segment, in, rebuildCommit(p)^1, now))
			}
		}
		written = nil
		for _, t := range undo {
			if _, err := r.store.SetMember(ctx, Ref{Kind: Segment, ID: t.Segment}, p.ID, t.Entered, now); err != nil {
				return false, err
			}
		}
		if err := r.record(ctx, p.ID, contact.Commit{ID: rebuildCommit(p) ^ 1}, undo); err != nil {
			return false, err
		}
		if c == nil {
			return false, nil
		}
		ts, err := r.Apply(ctx, p.ID, p.Segments, c.after, rebuildCommit(p), now)
		if err != nil {
			return false, err
		}
		if err := r.record(ctx, p.ID, contact.Commit{ID: rebuildCommit(p)}, ts); err != nil {
			return false, err
		}
		p.Segments = c.after
		err = profiles.SaveProfile(ctx, p)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, contact.ErrConflict) || attempt >= 3 {
			return false, fmt.Errorf("rebuild: save %s: %w", p.ID, err)
		}
		written = ts
		again, err := profiles.GetProfiles(ctx, []string{p.ID})
		if err != nil {
			return false, fmt.Errorf("rebuild: re-read %s: %w", p.ID, err)
		}
		p = again[p.ID]
	}
	return false, nil
}

// parallel runs f(0..n-1), RebuildWorkers at a time, and joins their errors.
func parallel(ctx context.Context, n int, f func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, RebuildWorkers)
	var wg sync.WaitGroup
	for i := range n {
		if ctx.Err() != nil {
			errs[i] = ctx.Err()
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = f(i)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
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
