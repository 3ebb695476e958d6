// Package journeyrun runs journeys for real: a contact.Reactor that lets
// the journey engine see every contact change in the processor pass that
// made it (so event triggers, awaited events and goals react within
// seconds, from the profile and the contact's active runs, without a read
// per journey), and carries out what the engine decides: mail through the
// sends queue, waits as timers on the timer wheel, notifications, contact
// updates in the same profile write. Run history and step counts are
// written once per batch, after the profiles committed.
package journeyrun

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/journey"
)

// Kind is the registry's kind of journeys.
const Kind definition.Kind = "journeys"

// Definitions is the part of the definition registry the library reads.
type Definitions interface {
	List(ctx context.Context, k definition.Kind) ([]definition.Definition, error)
	Version(ctx context.Context, k definition.Kind, id string, n int64) (definition.Definition, definition.VersionInfo, error)
}

// Library reads journeys from the registry: the versions in effect are
// re-listed after definition.CacheTTL; past versions are immutable and kept.
type Library struct {
	defs Definitions
	repo func() map[string]json.RawMessage // the repo's journeys (version 0), read when first needed
	ttl  time.Duration
	now  func() time.Time

	mu      sync.Mutex
	current []*journey.Compiled
	listed  time.Time // when current was read; zero: never
	past    map[string]*journey.Compiled
}

// NewLibrary builds a library; repo gives the compiled-in journeys by id,
// called only when a contact is on a journey's version 0 that the registry
// no longer has (not at the cold start).
func NewLibrary(defs Definitions, repo func() map[string]json.RawMessage) *Library {
	return &Library{defs: defs, repo: repo, ttl: definition.CacheTTL, now: time.Now, past: map[string]*journey.Compiled{}}
}

// WithTTL sets how long the list is kept (0: re-read every time).
func (l *Library) WithTTL(ttl time.Duration) *Library {
	l.ttl = ttl
	return l
}

// WithClock sets the clock the list's age is measured by (tests).
func (l *Library) WithClock(now func() time.Time) *Library {
	l.now = now
	return l
}

// Snapshot returns the journeys in effect now, as the engine's Library.
func (l *Library) Snapshot(ctx context.Context) (journey.Library, error) {
	return l.SnapshotWithin(ctx, l.ttl)
}

// SnapshotWithin is Snapshot from a list read at most maxAge ago (0: read
// now). Timed steps ask for a fresher list than entries do, so a pause
// holds the runs whose waits end seconds after it (see FreshForTimed).
func (l *Library) SnapshotWithin(ctx context.Context, maxAge time.Duration) (journey.Library, error) {
	now := l.now()
	l.mu.Lock()
	cur, fresh := l.current, !l.listed.IsZero() && now.Sub(l.listed) < maxAge
	l.mu.Unlock()
	if !fresh {
		defs, err := l.defs.List(ctx, Kind)
		if err != nil {
			return nil, fmt.Errorf("list journeys: %w", err)
		}
		cur = cur[:0:0]
		for _, d := range defs {
			c, err := l.compile(d.Body, d.Version)
			if err != nil {
				// A stored journey today's validator refuses is left out,
				// not allowed to stop every contact's processing.
				continue
			}
			cur = append(cur, c)
		}
		l.mu.Lock()
		l.current, l.listed = cur, now
		l.mu.Unlock()
	}
	return &snapshot{l: l, ctx: ctx, current: cur}, nil
}

func (l *Library) compile(body json.RawMessage, version int64) (*journey.Compiled, error) {
	j, err := definition.DecodeAs[journey.Journey](body)
	if err != nil {
		return nil, err
	}
	return journey.Compile(j, version)
}

type snapshot struct {
	l       *Library
	ctx     context.Context
	current []*journey.Compiled
}

func (s *snapshot) Current() []*journey.Compiled { return s.current }

func (s *snapshot) At(id string, v int64) (*journey.Compiled, error) {
	for _, c := range s.current {
		if c.ID == id && c.Version == v {
			return c, nil
		}
	}
	key := fmt.Sprintf("%s@%d", id, v)
	s.l.mu.Lock()
	c, ok := s.l.past[key]
	s.l.mu.Unlock()
	if ok {
		return c, nil
	}
	var body json.RawMessage
	if v == 0 {
		if body = s.l.repo()[id]; body == nil {
			return nil, fmt.Errorf("journey %s: no repo version", id)
		}
	} else {
		d, _, err := s.l.defs.Version(s.ctx, Kind, id, v)
		if err != nil {
			return nil, err
		}
		body = d.Body
	}
	c, err := s.l.compile(body, v)
	if err != nil {
		return nil, fmt.Errorf("journey %s version %d: %w", id, v, err)
	}
	s.l.mu.Lock()
	s.l.past[key] = c
	s.l.mu.Unlock()
	return c, nil
}
