package jobsfn

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/leadflow/leadflow/shared/job"
	"github.com/leadflow/leadflow/shared/membership"
	"github.com/leadflow/leadflow/shared/segment"
)

// Segments is what a segment rebuild needs.
type Segments struct {
	Reactor  *membership.Reactor
	Index    membership.Store
	Profiles membership.Profiles
	// Set reads the live segments now (no cache: a page must evaluate the
	// definitions in force).
	Set    func(ctx context.Context) (*segment.Set, error)
	Shards int
	// Arrivals, when set, are visited after the contacts index: the
	// contacts first seen anonymous (the index holds only identified ones).
	Arrivals membership.Arrivals
}

// arrivalsCursor marks a rebuild cursor in a shard's arrivals log, the
// chain's second part (the first pages through the contacts index).
const arrivalsCursor = "arrivals:"

// WithSegments enables segment rebuild jobs.
func (h *Handler) WithSegments(s Segments) *Handler {
	h.segments = &s
	return h
}

// rebuild runs one page of a segment rebuild. A page of a build that a
// newer save replaced stops; the last page of a shard reports the shard
// done, and the segment is ready once all are. Re-running a page (a
// redelivery) writes nothing twice: index writes are conditional.
func (h *Handler) rebuild(ctx context.Context, j job.Job) error {
	s := h.segments
	if s == nil {
		return fmt.Errorf("segment rebuild %s: segments not configured", j.Segment)
	}
	ref := membership.Ref{Kind: membership.Segment, ID: j.Segment}
	status, err := s.Index.Status(ctx, ref)
	if err != nil {
		return err
	}
	if status.Build != j.Build {
		h.log.InfoContext(ctx, "segment rebuild superseded", "segment_id", j.Segment, "build", j.Build, "current", status.Build, "shard", j.Shard)
		return nil
	}
	set, err := s.Set(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	var ids []string
	var next string
	if after, ok := strings.CutPrefix(j.Cursor, arrivalsCursor); ok {
		if s.Arrivals == nil {
			return fmt.Errorf("segment rebuild %s: arrivals page without an arrivals log", j.Segment)
		}
		ids, next, err = s.Arrivals.ArrivalsPage(ctx, j.Shard, after, h.PageSize)
		if next != "" {
			next = arrivalsCursor + next
		}
	} else {
		ids, next, err = h.pages.ContactsPage(ctx, j.Shard, j.Cursor, h.PageSize)
		if next == "" && s.Arrivals != nil {
			// The index is done: the shard's anonymous arrivals next. (An
			// identified contact also logged there is evaluated again, and
			// finds nothing to change.)
			next = arrivalsCursor
		}
	}
	if err != nil {
		return err
	}
	changed, err := s.Reactor.Rebuild(ctx, s.Profiles, set, ids, time.Now())
	if err != nil {
		return err
	}
	j.Pages++
	h.log.InfoContext(ctx, "segment rebuild page", "segment_id", j.Segment, "build", j.Build, "shard", j.Shard, "page", j.Pages,
		"contacts", len(ids), "changed", changed, "ms", time.Since(start).Milliseconds(), "done", next == "")
	if next == "" {
		st, err := s.Index.ShardBuilt(ctx, ref, j.Build, j.Shard, s.Shards)
		if err != nil {
			return err
		}
		if st.State == membership.StateReady {
			h.log.InfoContext(ctx, "segment ready", "segment_id", j.Segment, "build", j.Build, "count", st.Count)
		}
		return nil
	}
	j.Cursor = next
	return job.Send(ctx, h.queue, j)
}
