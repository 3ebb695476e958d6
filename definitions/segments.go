package definitions

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/leadflow/leadflow/shared/definition"
	"github.com/leadflow/leadflow/shared/segment"
)

// Segments decodes every segment in effect.
func Segments(ctx context.Context, reg *definition.Registry) ([]segment.Segment, error) {
	defs, err := reg.List(ctx, KindSegments)
	if err != nil {
		return nil, fmt.Errorf("list segments: %w", err)
	}
	out := make([]segment.Segment, 0, len(defs))
	for _, d := range defs {
		s, err := definition.DecodeAs[segment.Segment](d.Body)
		if err != nil {
			return nil, fmt.Errorf("segment %s: %w", d.ID, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// CheckSegmentRefs is the admin path's check of a segment against the
// others (references exist, no cycle), with the saved body in place of
// the stored one: the registry's Write.Check.
func CheckSegmentRefs(reg *definition.Registry) func(ctx context.Context, body json.RawMessage) error {
	return func(ctx context.Context, body json.RawMessage) error {
		next, err := definition.DecodeAs[segment.Segment](body)
		if err != nil {
			return err
		}
		all, err := Segments(ctx, reg)
		if err != nil {
			return err
		}
		set := []segment.Segment{next}
		for _, s := range all {
			if s.ID != next.ID {
				set = append(set, s)
			}
		}
		return segment.CheckRefs(set)
	}
}

// SegmentSet gives the live segments compiled, read again every
// definition.CacheTTL (membership.Sets). A segment that no longer compiles
// with the others (it names a segment deleted since) is left out and
// logged, so one broken definition does not stop the rest.
type SegmentSet struct {
	reg *definition.Registry
	log *slog.Logger
	now func() time.Time

	mu  sync.Mutex
	set *segment.Set
	at  time.Time
}

// NewSegmentSet reads segments through reg.
func NewSegmentSet(reg *definition.Registry, log *slog.Logger) *SegmentSet {
	return &SegmentSet{reg: reg, log: log, now: time.Now}
}

// Set returns the compiled set, refreshed at most every CacheTTL.
func (c *SegmentSet) Set(ctx context.Context) (*segment.Set, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.set != nil && c.now().Sub(c.at) < definition.CacheTTL {
		return c.set, nil
	}
	segs, err := Segments(ctx, c.reg)
	if err != nil {
		if c.set != nil {
			c.log.WarnContext(ctx, "segments: keeping the previous set", "error", err)
			return c.set, nil
		}
		return nil, err
	}
	set, err := CompileSegments(segs, c.log)
	if err != nil {
		return nil, err
	}
	c.set, c.at = set, c.now()
	return set, nil
}

// Refresh forgets the cached set (tests, the admin function after a save).
func (c *SegmentSet) Refresh() {
	c.mu.Lock()
	c.set = nil
	c.mu.Unlock()
}

// CompileSegments builds a set, leaving out segments whose references
// are broken (logged).
func CompileSegments(segs []segment.Segment, log *slog.Logger) (*segment.Set, error) {
	for range len(segs) + 1 {
		set, err := segment.NewSet(segs)
		if err == nil {
			return set, nil
		}
		known := map[string]bool{}
		for _, s := range segs {
			known[s.ID] = true
		}
		var keep []segment.Segment
		for _, s := range segs {
			ok := true
			for _, r := range s.Filter.SegmentRefs() {
				if !known[r] {
					ok = false
				}
			}
			if ok {
				keep = append(keep, s)
			} else if log != nil {
				log.Warn("segment left out: it names a segment that does not exist", "segment_id", s.ID)
			}
		}
		if len(keep) == len(segs) {
			return nil, err // a cycle: the validator refuses those
		}
		segs = keep
	}
	return segment.NewSet(nil)
}
