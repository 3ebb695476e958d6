package membership

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/segment"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

// memIndex is the member index in memory, recording every write the
// reactor makes. Methods the reactor does not call are not implemented.
type memIndex struct {
	Store
	mu        sync.Mutex
	members   map[Ref]map[string]bool
	counts    map[Ref]int64
	marks     int
	adds      []string // one per call: "ref:delta ref:delta"
	txs       int
	failAdds  error
	failRef   Ref // AddCounts fails on this one alone
	addShards map[int]bool
}

func newMemIndex() *memIndex {
	return &memIndex{members: map[Ref]map[string]bool{}, counts: map[Ref]int64{}, addShards: map[int]bool{}}
}

func (m *memIndex) MarkMember(_ context.Context, r Ref, id string, in bool, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.marks++
	if m.members[r] == nil {
		m.members[r] = map[string]bool{}
	}
	if in {
		m.members[r][id] = true
	} else {
		delete(m.members[r], id)
	}
	return nil
}

func (m *memIndex) AddCounts(_ context.Context, shard int, deltas map[Ref]int64, _ time.Time) (map[Ref]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failAdds != nil {
		return maps.Clone(deltas), m.failAdds
	}
	var parts []string
	var failed map[Ref]int64
	for r, d := range deltas {
		if r == m.failRef {
			failed = map[Ref]int64{r: d}
			continue
		}
		m.counts[r] += d
		parts = append(parts, fmt.Sprintf("%s:%d", r, d))
	}
	slices.Sort(parts)
	m.adds = append(m.adds, strings.Join(parts, " "))
	m.addShards[shard] = true
	if failed != nil {
		return failed, errors.New("throttled")
	}
	return nil, nil
}

func (m *memIndex) SetMember(_ context.Context, r Ref, id string, in bool, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.txs++
	if m.members[r] == nil {
		m.members[r] = map[string]bool{}
	}
	if m.members[r][id] == in {
		return false, nil
	}
	if in {
		m.members[r][id] = true
		m.counts[r]++
	} else {
		delete(m.members[r], id)
		m.counts[r]--
	}
	return true, nil
}

func (m *memIndex) ids(r Ref) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for id := range m.members[r] {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

type sideEffects struct {
	mu        sync.Mutex
	announced []Transition
	chunks    int
	timers    []timer.Timer
}

func (s *sideEffects) Announce(_ context.Context, ts []Transition) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.announced = append(s.announced, ts...)
	return nil
}

func (s *sideEffects) PutEvents(context.Context, string, contact.Commit, []tracking.Message, []scoring.Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chunks++
	return nil
}

func (s *sideEffects) Schedule(_ context.Context, t timer.Timer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timers = append(s.timers, t)
	return nil
}

var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func testReactor(t *testing.T, ix *memIndex, fx *sideEffects) *Reactor {
	t.Helper()
	var segs []segment.Segment
	for id, js := range map[string]string{
		"pricing": `{"event":{"path_prefix":"/pricing","within_days":7,"min":2}}`,
		"vip":     `{"tag":"vip"}`,
	} {
		var f segment.Filter
		if err := jsonDecode(js, &f); err != nil {
			t.Fatal(err)
		}
		segs = append(segs, segment.Segment{ID: id, Name: id, Filter: f})
	}
	set, err := segment.NewSet(segs)
	if err != nil {
		t.Fatal(err)
	}
	return NewReactor(fixedSet{set}, nil, ix, fx, fx, fx, slog.New(slog.NewJSONHandler(io.Discard, nil)))
}

func pricingView(id string, at time.Time) tracking.Message {
	return tracking.Message{Type: tracking.TypePage, MessageID: id, Timestamp: at, Context: tracking.Context{Page: &tracking.Page{Path: "/pricing"}}}
}

// The processor path: a member item per transition at once, the count only
// once the profile write committed, summed over the invocation into one
// write per segment, the timeline entry in the commit's chunk.
func TestReactCountsCommittedTransitionsOnceInOneWritePerSegment(t *testing.T) {
	ix, fx := newMemIndex(), &sideEffects{}
	r := testReactor(t, ix, fx)
	ctx := context.Background()
	var changes []*contact.Change
	for i, id := range []string{"c1", "c2", "c3"} {
		before := &contact.Profile{ID: id, Version: 1}
		after := before.Clone()
		c := &contact.Change{Before: before, After: after, Now: t0, Commit: contact.Commit{ID: uint64(i + 1)},
			Events: []tracking.Message{pricingView(id+"a", t0.Add(-time.Hour)), pricingView(id+"b", t0.Add(-time.Minute))}}
		if err := r.React(ctx, c); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(after.Segments, []string{"pricing"}) {
			t.Fatalf("%s segments %v", id, after.Segments)
		}
		if len(c.Timeline) != 1 || c.Timeline[0].Event != EventEntered || !c.Timeline[0].Timestamp.Equal(t0.Add(-time.Minute)) {
			t.Fatalf("%s timeline entries %+v, want one Segment Entered at the newest event's time", id, c.Timeline)
		}
		changes = append(changes, c)
	}
	if fx.chunks != 0 || ix.txs != 0 {
		t.Errorf("%d chunks of its own and %d transactions, want none", fx.chunks, ix.txs)
	}
	if got := ix.ids(Ref{Segment, "pricing"}); !slices.Equal(got, []string{"c1", "c2", "c3"}) {
		t.Errorf("members %v", got)
	}
	if len(fx.announced) != 3 {
		t.Errorf("announced %d, want 3", len(fx.announced))
	}
	// c3's profile write failed: its retry (a later batch) counts it.
	r.Committed(ctx, changes[0])
	r.Committed(ctx, changes[1])
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ix.adds, []string{"segment/pricing:2"}) {
		t.Errorf("count writes %v, want one of +2", ix.adds)
	}
	// A redelivered duplicate is not reacted to again; a second flush
	// writes nothing.
	if err := r.Flush(ctx); err != nil || len(ix.adds) != 1 {
		t.Errorf("second flush: %v, writes %v", err, ix.adds)
	}
	if len(fx.timers) != 3 {
		t.Errorf("%d recheck timers, want one per member", len(fx.timers))
	}
}

// A conflict retry that ends with a different result sets the member item
// the first attempt wrote back, and only the committed attempt counts.
func TestRetryThatEndsElsewhereSetsTheMemberItemBack(t *testing.T) {
	ix, fx := newMemIndex(), &sideEffects{}
	r := testReactor(t, ix, fx)
	ctx := context.Background()
	before := &contact.Profile{ID: "c1", Version: 1}
	first := &contact.Change{Before: before, After: before.Clone(), Now: t0, Commit: contact.Commit{ID: 7},
		Events: []tracking.Message{pricingView("a", t0), pricingView("b", t0)}}
	if err := r.React(ctx, first); err != nil {
		t.Fatal(err)
	}
	if got := ix.ids(Ref{Segment, "pricing"}); !slices.Equal(got, []string{"c1"}) {
		t.Fatalf("members after the first attempt %v", got)
	}
	// The profile write conflicted: someone else had already applied the
	// two views and another version's counters were pruned; this attempt
	// applies one other event and the contact is not in the segment.
	reread := &contact.Profile{ID: "c1", Version: 2, Tags: []string{"vip"}, Segments: []string{"vip"}}
	second := &contact.Change{Before: reread, After: reread.Clone(), Now: t0, Commit: contact.Commit{ID: 8},
		Events: []tracking.Message{{Type: tracking.TypeTrack, MessageID: "c", Event: "Other", Timestamp: t0}}}
	if err := r.React(ctx, second); err != nil {
		t.Fatal(err)
	}
	if got := ix.ids(Ref{Segment, "pricing"}); len(got) != 0 {
		t.Errorf("members after the retry %v, want none", got)
	}
	r.Committed(ctx, second)
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(ix.adds) != 0 {
		t.Errorf("count writes %v for a retry that moved nobody", ix.adds)
	}
}

// A count write that fails is kept and written at the next flush.
func TestFailedCountWriteIsKeptForTheNextFlush(t *testing.T) {
	ix, fx := newMemIndex(), &sideEffects{}
	r := testReactor(t, ix, fx)
	ctx := context.Background()
	before := &contact.Profile{ID: "c1", Version: 1}
	c := &contact.Change{Before: before, After: before.Clone(), Now: t0, Commit: contact.Commit{ID: 1},
		Events: []tracking.Message{pricingView("a", t0), pricingView("b", t0)}}
	if err := r.React(ctx, c); err != nil {
		t.Fatal(err)
	}
	r.Committed(ctx, c)
	ix.failAdds = errors.New("throttled")
	if err := r.Flush(ctx); err == nil {
		t.Fatal("flush reported no error")
	}
	ix.failAdds = nil
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if ix.counts[Ref{Segment, "pricing"}] != 1 {
		t.Errorf("count %d, want 1", ix.counts[Ref{Segment, "pricing"}])
	}
}

// Every segment that moved in an invocation is counted in one AddCounts
// call (the store writes it as one item when it can), and a delta the
// store could not add is kept for the next flush while the others are not
// added again.
func TestFlushAddsEverySegmentsCountInOneCall(t *testing.T) {
	ix, fx := newMemIndex(), &sideEffects{}
	r := testReactor(t, ix, fx)
	ctx := context.Background()
	for i, id := range []string{"c1", "c2"} {
		before := &contact.Profile{ID: id, Version: 1, Tags: []string{"vip"}}
		c := &contact.Change{Before: before, After: before.Clone(), Now: t0, Commit: contact.Commit{ID: uint64(i + 1)},
			Events: []tracking.Message{pricingView(id+"a", t0), pricingView(id+"b", t0)}}
		if err := r.React(ctx, c); err != nil {
			t.Fatal(err)
		}
		r.Committed(ctx, c)
	}
	ix.failRef = Ref{Segment, "vip"}
	if err := r.Flush(ctx); err == nil {
		t.Fatal("flush reported no error for the count it could not add")
	}
	if !slices.Equal(ix.adds, []string{"segment/pricing:2"}) {
		t.Fatalf("count calls %q, want one call adding pricing's +2 (vip failed)", ix.adds)
	}
	ix.failRef = Ref{}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ix.adds, []string{"segment/pricing:2", "segment/vip:2"}) {
		t.Errorf("count calls %q, want vip's +2 alone in the second", ix.adds)
	}
	if p, v := ix.counts[Ref{Segment, "pricing"}], ix.counts[Ref{Segment, "vip"}]; p != 2 || v != 2 {
		t.Errorf("counts pricing %d vip %d, want 2 and 2", p, v)
	}
}

// A contact in several segments whose windows can expire gets one timer,
// at the earliest time, and none when nothing can change by time alone.
func TestOneRecheckTimerPerContactOnlyWhenTimeCanChangeMembership(t *testing.T) {
	ix, fx := newMemIndex(), &sideEffects{}
	r := testReactor(t, ix, fx)
	ctx := context.Background()
	// One pricing view: not a member, and time cannot make it one.
	p := &contact.Profile{ID: "c1", Version: 1, Tags: []string{"vip"}}
	c := &contact.Change{Before: p, After: p.Clone(), Now: t0, Commit: contact.Commit{ID: 1}, Events: []tracking.Message{pricingView("a", t0)}}
	if err := r.React(ctx, c); err != nil {
		t.Fatal(err)
	}
	if len(fx.timers) != 0 || !c.After.SegmentCheck.IsZero() {
		t.Fatalf("timers %v for a contact time cannot move", fx.timers)
	}
	// A second view a day later: a member until the first view ages out.
	next := &contact.Change{Before: c.After, After: c.After.Clone(), Now: t0.Add(24 * time.Hour), Commit: contact.Commit{ID: 2},
		Events: []tracking.Message{pricingView("b", t0.Add(24*time.Hour))}}
	if err := r.React(ctx, next); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC)
	if len(fx.timers) != 1 || !fx.timers[0].Due.Equal(want) {
		t.Fatalf("timers %v, want one due %v", fx.timers, want)
	}
	// A third view keeps the earlier timer: it fires, re-evaluates, and
	// schedules the next one then.
	third := &contact.Change{Before: next.After, After: next.After.Clone(), Now: t0.Add(48 * time.Hour), Commit: contact.Commit{ID: 3},
		Events: []tracking.Message{pricingView("c", t0.Add(48*time.Hour))}}
	if err := r.React(ctx, third); err != nil {
		t.Fatal(err)
	}
	if len(fx.timers) != 1 {
		t.Errorf("timers %v, want still one", fx.timers)
	}
}

// Outside the processor (an admin edit) nothing is buffered: index and
// count move at once and the entry gets a chunk of its own.
func TestReevaluateWritesAtOnce(t *testing.T) {
	ix, fx := newMemIndex(), &sideEffects{}
	r := testReactor(t, ix, fx)
	before := &contact.Profile{ID: "c1", Version: 3}
	after := before.Clone()
	after.Tags = []string{"vip"}
	if err := r.Reevaluate(context.Background(), before, after, t0); err != nil {
		t.Fatal(err)
	}
	if ix.counts[Ref{Segment, "vip"}] != 1 || fx.chunks != 1 || len(fx.announced) != 1 {
		t.Errorf("count %d, chunks %d, announced %d; want 1 each", ix.counts[Ref{Segment, "vip"}], fx.chunks, len(fx.announced))
	}
}
