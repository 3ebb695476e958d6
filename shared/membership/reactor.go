package membership

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
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
//
// In the processor (React, then Committed and Flush) a change costs one
// member item write per transition, its timeline entry rides in the
// commit's own chunk (contact.Change.Timeline), and counts are summed over
// the invocation and added in one call in Flush, counted only for
// changes whose profile write committed: a retried or conflicting write
// counts nothing twice. Reevaluate (an admin edit, outside the processor)
// writes everything at once, with SetMember's transactions.
type Reactor struct {
	sets      Sets
	score     Scorer
	store     Store
	announce  Announcer
	timeline  Timeline
	scheduler Scheduler
	log       *slog.Logger

	mu sync.Mutex
	// pending holds, by contact, the changes reacted to and not yet
	// committed: a conflict retry reacts again and replaces them.
	pending map[string]pendingChange
	// counts are committed transitions not yet added to the counts.
	counts map[Ref]int64
	// next rotates the count shard Flush adds to, so the instances of the
	// processor spread over the shards.
	next uint32
	// arrivals, when set, logs the anonymous contacts this instance
	// created (Committed collects them in newcomers, Flush writes them).
	arrivals  Arrivals
	newcomers []string
}

// pendingChange is what one reaction did that its commit makes count.
type pendingChange struct {
	deltas map[Ref]int64
	// marked are the member items this contact's uncommitted attempts
	// wrote: a retry that ends elsewhere sets them back.
	marked map[Ref]bool
}

var (
	_ contact.Flusher   = (*Reactor)(nil)
	_ contact.Committer = (*Reactor)(nil)
)

// maxPending bounds the changes held for commit: entries left by failed
// writes are dropped past it (their retry reacts afresh).
const maxPending = 10000

// NewReactor wires a reactor; announce, timeline and scheduler may be nil
// (then that side effect is skipped: tests, the rebuild job).
func NewReactor(sets Sets, score Scorer, store Store, announce Announcer, tl Timeline, sch Scheduler, log *slog.Logger) *Reactor {
	return &Reactor{sets: sets, score: score, store: store, announce: announce, timeline: tl, scheduler: sch, log: log,
		pending: map[string]pendingChange{}, counts: map[Ref]int64{}, next: rand.Uint32()}
}

// WithArrivals makes the reactor log the anonymous contacts the processor
// creates, so rebuilds visit them (see Arrivals).
func (r *Reactor) WithArrivals(a Arrivals) *Reactor {
	r.arrivals = a
	return r
}

// React implements contact.Reactor for the processor: see Reactor.
func (r *Reactor) React(ctx context.Context, c *contact.Change) error {
	p := c.After
	ev, err := r.evaluate(ctx, c)
	if err != nil {
		return err
	}
	ts := transitions(p.ID, ev.before, p.Segments, c.Commit.ID, c.Now)
	if len(ts) == 0 && slices.Equal(ev.lists, p.Lists) {
		r.mu.Lock()
		_, retried := r.pending[p.ID]
		r.mu.Unlock()
		if !retried {
			// The common pass: nobody moved, nothing to write or count.
			return r.schedule(ctx, p, ev.next, c.Now)
		}
	}
	// The member items follow now (idempotent writes, before the commit
	// like every side effect); the counts only once the profile write
	// committed (Committed, Flush).
	want := map[Ref]bool{}
	deltas := map[Ref]int64{}
	for _, t := range ts {
		want[Ref{Kind: Segment, ID: t.Segment}] = t.Entered
	}
	added, removed := segment.Diff(ev.lists, p.Lists)
	for _, id := range added {
		want[Ref{Kind: List, ID: id}] = true
	}
	for _, id := range removed {
		want[Ref{Kind: List, ID: id}] = false
	}
	for ref, in := range want {
		deltas[ref] = delta(in)
	}
	r.mu.Lock()
	for ref := range r.pending[p.ID].marked {
		if _, ok := want[ref]; !ok {
			// An earlier attempt of this contact wrote it and this one
			// ends differently: set it to what this commit says.
			want[ref] = isIn(ref, p)
		}
	}
	r.mu.Unlock()
	refs := slices.SortedFunc(maps.Keys(want), func(a, b Ref) int { return strings.Compare(a.String(), b.String()) })
	for _, ref := range refs {
		if err := r.store.MarkMember(ctx, ref, p.ID, want[ref], c.Now); err != nil {
			return err
		}
	}
	r.mu.Lock()
	if len(r.pending) >= maxPending {
		clear(r.pending)
	}
	r.pending[p.ID] = pendingChange{deltas: deltas, marked: want}
	r.mu.Unlock()
	if len(ts) > 0 {
		for _, t := range ts {
			c.Timeline = append(c.Timeline, t.timelineMessage(c.Events))
		}
		if err := r.publish(ctx, p.ID, ts); err != nil {
			return err
		}
	}
	return r.schedule(ctx, p, ev.next, c.Now)
}

// Committed implements contact.Committer: the change's transitions count.
func (r *Reactor) Committed(_ context.Context, c *contact.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.arrivals != nil && c.Before == nil && !c.After.Known() && c.After.MergedInto == "" && len(r.newcomers) < maxPending {
		// A contact created anonymous: only the write that created it gets
		// here (a racing creator's write failed its condition), so each is
		// logged once.
		r.newcomers = append(r.newcomers, c.After.ID)
	}
	pc, ok := r.pending[c.After.ID]
	delete(r.pending, c.After.ID)
	if !ok {
		return
	}
	for ref, d := range pc.deltas {
		r.counts[ref] += d
	}
}

// Flush implements contact.Flusher: the counts of every segment and list
// that moved in the invocation in one AddCounts (one write when the store
// can), on the next shard of its rotation, and one
// arrivals item per ArrivalsPerItem anonymous contacts the invocation created. A write
// that failed is kept for the next flush of this instance.
func (r *Reactor) Flush(ctx context.Context) error {
	r.mu.Lock()
	counts := r.counts
	r.counts = map[Ref]int64{}
	newcomers := r.newcomers
	r.newcomers = nil
	shard := int(r.next % Shards)
	r.next++
	r.mu.Unlock()
	now := time.Now()
	var errs []error
	for start := 0; start < len(newcomers); start += ArrivalsPerItem {
		part := newcomers[start:min(len(newcomers), start+ArrivalsPerItem)]
		if err := r.arrivals.LogArrivals(ctx, shard, part, now); err != nil {
			errs = append(errs, err)
			r.mu.Lock()
			r.newcomers = append(r.newcomers, part...)
			r.mu.Unlock()
		}
	}
	maps.DeleteFunc(counts, func(_ Ref, d int64) bool { return d == 0 })
	if len(counts) == 0 {
		return errors.Join(errs...)
	}
	if failed, err := r.store.AddCounts(ctx, shard, counts, now); err != nil {
		errs = append(errs, err)
		r.mu.Lock()
		for ref, d := range failed {
			r.counts[ref] += d
		}
		r.mu.Unlock()
	}
	return errors.Join(errs...)
}

func delta(in bool) int64 {
	if in {
		return 1
	}
	return -1
}

func isIn(ref Ref, p *contact.Profile) bool {
	if ref.Kind == List {
		return slices.Contains(p.Lists, ref.ID)
	}
	return slices.Contains(p.Segments, ref.ID)
}

// evaluation is what evaluate found.
type evaluation struct {
	before, lists []string // segments and lists before the change
	next          time.Time
}

// evaluate updates the working profile's counters and segments.
func (r *Reactor) evaluate(ctx context.Context, c *contact.Change) (evaluation, error) {
	set, err := r.sets.Set(ctx)
	if err != nil {
		return evaluation{}, fmt.Errorf("segments: %w", err)
	}
	p := c.After
	today := segment.Day(c.Now)
	for _, m := range c.Events {
		p.SegmentCounters.Record(m, set.Needs(), today)
	}
	p.SegmentCounters.Prune(set.Needs(), today)
	var ev evaluation
	if c.Before != nil {
		ev.before, ev.lists = c.Before.Segments, c.Before.Lists
	}
	view, err := r.View(ctx, p, c.Now)
	if err != nil {
		return ev, err
	}
	p.Segments = set.Eval(view, c.Now)
	ev.next = set.NextChange(view, c.Now)
	return ev, nil
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
// with SetMember (index and count at once, exact whatever else runs) and
// returns the transitions, their ids derived from commit.
func (r *Reactor) Apply(ctx context.Context, contactID string, before, after []string, commit uint64, now time.Time) ([]Transition, error) {
	ts := transitions(contactID, before, after, commit, now)
	for _, t := range ts {
		if _, err := r.store.SetMember(ctx, Ref{Kind: Segment, ID: t.Segment}, contactID, t.Entered, now); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// transitions are the entries, then the exits, between two lists.
func transitions(contactID string, before, after []string, commit uint64, now time.Time) []Transition {
	entered, exited := segment.Diff(before, after)
	var ts []Transition
	for _, id := range entered {
		ts = append(ts, NewTransition(contactID, id, true, commit, now))
	}
	for _, id := range exited {
		ts = append(ts, NewTransition(contactID, id, false, commit, now))
	}
	return ts
}

// timelineMessage is the transition on the timeline of the commit that
// made it. Its time is the newest event's that caused it (now when none):
// a conflict retry of the same events rewrites the same chunk, whose key
// derives from its newest time and its ids.
func (t Transition) timelineMessage(events []tracking.Message) tracking.Message {
	m := t.Message()
	var newest time.Time
	for _, e := range events {
		if e.Timestamp.After(newest) {
			newest = e.Timestamp
		}
	}
	if !newest.IsZero() && newest.Before(t.At) {
		m.Timestamp = newest.UTC()
	}
	return m
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
// whose key derives from their ids) and announces them: outside the
// processor, which has no chunk to carry them.
func (r *Reactor) record(ctx context.Context, contactID string, commit contact.Commit, ts []Transition) error {
	if len(ts) == 0 {
		return nil
	}
	if err := r.recordTimeline(ctx, contactID, commit, ts); err != nil {
		return err
	}
	return r.publish(ctx, contactID, ts)
}

// recordTimeline puts transitions on the contact's timeline in a chunk of
// their own.
func (r *Reactor) recordTimeline(ctx context.Context, contactID string, commit contact.Commit, ts []Transition) error {
	if len(ts) == 0 || r.timeline == nil {
		return nil
	}
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
	return nil
}

// publishAll announces many contacts' transitions, ten to a call (the
// bus's PutEvents limit), the calls in parallel.
func (r *Reactor) publishAll(ctx context.Context, ts []Transition) error {
	if r.announce == nil || len(ts) == 0 {
		return nil
	}
	const perCall = 10
	return parallel(ctx, (len(ts)+perCall-1)/perCall, func(i int) error {
		part := ts[i*perCall : min(len(ts), (i+1)*perCall)]
		if err := r.announce.Announce(ctx, part); err != nil {
			return fmt.Errorf("announce %d segment changes: %w", len(part), err)
		}
		return nil
	})
}

// publish announces transitions on the bus. It runs before the commit:
// a retry publishes again with the same transition ids, which subscribers
// de-duplicate by; publishing after it could lose one.
func (r *Reactor) publish(ctx context.Context, contactID string, ts []Transition) error {
	if r.announce != nil {
		if err := r.announce.Announce(ctx, ts); err != nil {
			return fmt.Errorf("announce %d segment changes of %s: %w", len(ts), contactID, err)
		}
	}
	// Debug: each transition is on the bus and on the timeline already; an
	// info line per entry was half of the processor's log bytes.
	for _, t := range ts {
		r.log.DebugContext(ctx, t.Type, "contact_id", contactID, "segment_id", t.Segment, "transition_id", t.ID)
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
