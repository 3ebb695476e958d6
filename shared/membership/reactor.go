package membership

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/segment"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Event names: on the bus (detail types) and on the timeline.
const (
	DetailEntered = "segment.entered"
	DetailExited  = "segment.exited"
	EventEntered  = "Segment Entered"
	EventExited   = "Segment Exited"
)

// Transition is a contact entering or leaving a segment.
type Transition struct {
	// ID is derived from the commit that caused it, the segment and the
	// direction: a re-run of the same commit gives the same id, which
	// subscribers de-duplicate by.
	ID        string    `json:"id"`
	Segment   string    `json:"segment_id"`
	ContactID string    `json:"contact_id"`
	Entered   bool      `json:"-"`
	Type      string    `json:"type"` // segment.entered or segment.exited
	At        time.Time `json:"at"`
}

// Message is the transition as a timeline event.
func (t Transition) Message() tracking.Message {
	name := EventExited
	if t.Entered {
		name = EventEntered
	}
	return tracking.Message{Type: tracking.TypeTrack, MessageID: "seg-" + t.ID, Event: name, ContactID: t.ContactID,
		Timestamp: t.At, ReceivedAt: t.At, Properties: map[string]any{"segment_id": t.Segment}}
}

// Announcer publishes transitions (on the EventBridge bus: segment.entered
// and segment.exited, Detail = the Transition).
type Announcer interface {
	Announce(ctx context.Context, ts []Transition) error
}

// Timeline records events on a contact's timeline (contact.Store does).
type Timeline interface {
	PutEvents(ctx context.Context, contactID string, commit contact.Commit, msgs []tracking.Message, changes []scoring.Change) error
}

// Scheduler puts timers on the timer wheel.
type Scheduler interface {
	Schedule(ctx context.Context, t timer.Timer) error
}

// Sets gives the live segments, compiled (SetCache).
type Sets interface {
	Set(ctx context.Context) (*segment.Set, error)
}

// Scorer reads a score state at a time (the scoring engine in force).
type Scorer func(ctx context.Context, s scoring.State, at time.Time) (scoring.Score, error)

// Reactor keeps segment and list membership current in the processor pass
// that changed a contact (contact.Reactor): it updates the contact's
// windowed counters, evaluates every live segment on the working profile,
// and for each change writes the member index (exact counts), records it
// on the timeline, announces it, and schedules a timer for the next
// time-based change. Every side effect is keyed by the commit, so a re-run
// of the same change repeats nothing.
type Reactor struct {
	sets      Sets
	score     Scorer
	store     Store
	announce  Announcer
	timeline  Timeline
	scheduler Scheduler
	log       *slog.Logger
}

// NewReactor wires a reactor; announce, timeline and scheduler may be nil
// (then that side effect is skipped: tests, the rebuild job).
func NewReactor(sets Sets, score Scorer, store Store, announce Announcer, tl Timeline, sch Scheduler, log *slog.Logger) *Reactor {
	return &Reactor{sets: sets, score: score, store: store, announce: announce, timeline: tl, scheduler: sch, log: log}
}

var _ contact.Reactor = (*Reactor)(nil)

// React implements contact.Reactor.
func (r *Reactor) React(ctx context.Context, c *contact.Change) error {
	set, err := r.sets.Set(ctx)
	if err != nil {
		return fmt.Errorf("segments: %w", err)
	}
	p := c.After
	today := segment.Day(c.Now)
	for _, m := range c.Events {
		p.SegmentCounters.Record(m, set.Needs(), today)
	}
	p.SegmentCounters.Prune(set.Needs(), today)
	var before []string
	if c.Before != nil {
		before = c.Before.Segments
		if err := r.syncLists(ctx, p.ID, c.Before.Lists, p.Lists, c.Now); err != nil {
			return err
		}
	} else if err := r.syncLists(ctx, p.ID, nil, p.Lists, c.Now); err != nil {
		return err
	}
	view, err := r.View(ctx, p, c.Now)
	if err != nil {
		return err
	}
	after := set.Eval(view, c.Now)
	ts, err := r.Apply(ctx, p.ID, before, after, c.Commit.ID, c.Now)
	if err != nil {
		return err
	}
	p.Segments = after
	if err := r.record(ctx, p.ID, c.Commit, ts); err != nil {
		return err
	}
	return r.schedule(ctx, p, set.NextChange(view, c.Now), c.Now)
}

// View builds what a filter sees of a profile at now.
func (r *Reactor) View(ctx context.Context, p *contact.Profile, now time.Time) (*segment.View, error) {
	v := ViewOf(p)
	if r.score != nil {
		s, err := r.score(ctx, p.Score, now)
		if err != nil {
			return nil, fmt.Errorf("score of %s: %w", p.ID, err)
		}
		v.Fit, v.Engagement, v.Total = float64(s.Fit), float64(s.Engagement), float64(s.Total)
	}
	return v, nil
}

// ViewOf is a profile's view without its scores read (Fit from the state).
func ViewOf(p *contact.Profile) *segment.View {
	v := &segment.View{
		Traits: p.Traits, Tags: p.Tags, Stage: string(p.Stage), Owner: p.Owner, Team: p.Team,
		Status: p.Status, UnsubscribedTopics: p.UnsubscribedTopics, Interests: p.Interests,
		Created: p.CreatedAt, LastSeen: p.LastSeen, Counters: p.SegmentCounters,
		Segments: slices.Clone(p.Segments), Lists: p.Lists, Fit: float64(p.Score.Fit),
		Suppressed: p.Suppressed != "",
	}
	if v.Created.IsZero() {
		v.Created = p.FirstSeen
	}
	for _, c := range p.Consents {
		if !slices.Contains(v.ConsentPurposes, c.Purpose) {
			v.ConsentPurposes = append(v.ConsentPurposes, c.Purpose)
		}
	}
	return v
}

// Apply writes the index for the difference between two membership lists
// and returns the transitions, their ids derived from commit.
func (r *Reactor) Apply(ctx context.Context, contactID string, before, after []string, commit uint64, now time.Time) ([]Transition, error) {
	entered, exited := segment.Diff(before, after)
	var ts []Transition
	for _, step := range []struct {
		ids []string
		in  bool
	}{{entered, true}, {exited, false}} {
		for _, id := range step.ids {
			if _, err := r.store.SetMember(ctx, Ref{Kind: Segment, ID: id}, contactID, step.in, now); err != nil {
				return nil, err
			}
			ts = append(ts, NewTransition(contactID, id, step.in, commit, now))
		}
	}
	return ts, nil
}

// NewTransition derives a transition's id from what caused it.
func NewTransition(contactID, segmentID string, entered bool, commit uint64, at time.Time) Transition {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], commit)
	h.Write(b[:])
	fmt.Fprintf(h, "%d:%s;%d:%s;%v", len(contactID), contactID, len(segmentID), segmentID, entered)
	typ := DetailExited
	if entered {
		typ = DetailEntered
	}
	return Transition{ID: hex.EncodeToString(h.Sum(nil)[:12]), Segment: segmentID, ContactID: contactID, Entered: entered, Type: typ, At: at.UTC()}
}

func (r *Reactor) syncLists(ctx context.Context, contactID string, before, after []string, now time.Time) error {
	added, removed := segment.Diff(before, after)
	for _, id := range added {
		if _, err := r.store.SetMember(ctx, Ref{Kind: List, ID: id}, contactID, true, now); err != nil {
			return err
		}
	}
	for _, id := range removed {
		if _, err := r.store.SetMember(ctx, Ref{Kind: List, ID: id}, contactID, false, now); err != nil {
			return err
		}
	}
	return nil
}

// record puts the transitions on the timeline (a chunk of their own,
// whose key derives from their ids) and announces them.
func (r *Reactor) record(ctx context.Context, contactID string, commit contact.Commit, ts []Transition) error {
	if len(ts) == 0 {
		return nil
	}
	if r.timeline != nil {
		msgs := make([]tracking.Message, len(ts))
		for i, t := range ts {
			msgs[i] = t.Message()
		}
		// Its own commit id with no parent: the chunk never vouches for the
		// events chunk of a profile write that might not commit.
		own := contact.Commit{ID: commit.ID ^ 0x9e3779b97f4a7c15}
		if err := r.timeline.PutEvents(ctx, contactID, own, msgs, nil); err != nil {
			return fmt.Errorf("timeline of %s: %w", contactID, err)
		}
	}
	if r.announce != nil {
		if err := r.announce.Announce(ctx, ts); err != nil {
			return fmt.Errorf("announce %d segment changes of %s: %w", len(ts), contactID, err)
		}
	}
	for _, t := range ts {
		r.log.InfoContext(ctx, t.Type, "contact_id", contactID, "segment_id", t.Segment, "transition_id", t.ID)
	}
	return nil
}

// schedule puts a recheck timer on the wheel for the next time-based
// change, unless one is already set for that time or earlier.
func (r *Reactor) schedule(ctx context.Context, p *contact.Profile, next, now time.Time) error {
	if next.IsZero() {
		p.SegmentCheck = time.Time{}
		return nil
	}
	if r.scheduler == nil || (!p.SegmentCheck.IsZero() && p.SegmentCheck.After(now) && !next.Before(p.SegmentCheck)) {
		return nil
	}
	t := timer.Timer{ID: "seg:" + p.ID + ":" + strconv.FormatInt(next.Unix(), 10), ContactID: p.ID, Event: segment.RecheckEvent, Due: next}
	if err := r.scheduler.Schedule(ctx, t); err != nil {
		return fmt.Errorf("schedule segment recheck of %s: %w", p.ID, err)
	}
	p.SegmentCheck = next.UTC()
	return nil
}
