package timer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/tracking"
)

// memStore is an in-memory Store that keeps timers in the same (bucket,
// shard) partitions as the DynamoDB adapter and records every read, so tests
// can check that a tick reads only the buckets it should.
type memStore struct {
	mu        sync.Mutex
	parts     map[string][]Timer  // bucket|shard -> timers
	marks     map[string]Position // bucket|shard -> mark
	cursor    time.Time
	hasCursor bool
	reads     []string // bucket|shard of every DueTimers call
	deleteErr error
	markErr   error
	cursorErr error
}

func newMemStore() *memStore {
	return &memStore{parts: map[string][]Timer{}, marks: map[string]Position{}}
}

func partKey(bucket time.Time, shard int) string {
	return fmt.Sprintf("%s|%d", bucket.UTC().Format(time.RFC3339), shard)
}

func (m *memStore) PutTimer(_ context.Context, t Timer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := partKey(BucketOf(t.Due), t.Shard)
	for i, x := range m.parts[k] {
		if x.ID == t.ID && x.Due.Equal(t.Due) {
			m.parts[k][i] = t
			return nil
		}
	}
	m.parts[k] = append(m.parts[k], t)
	sort.SliceStable(m.parts[k], func(i, j int) bool {
		a, b := m.parts[k][i], m.parts[k][j]
		if !a.Due.Equal(b.Due) {
			return a.Due.Before(b.Due)
		}
		return a.ID < b.ID
	})
	return nil
}

func (m *memStore) DueTimers(_ context.Context, bucket time.Time, shard int, after Position, limit int) ([]Timer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := partKey(bucket, shard)
	m.reads = append(m.reads, k)
	var out []Timer
	for _, t := range m.parts[k] {
		if len(out) == limit {
			break
		}
		if after.IsZero() || after.Before(t.Position()) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (m *memStore) Marks(_ context.Context, bucket time.Time) (map[int]Position, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[int]Position{}
	for s := range Shards + LateShards {
		if p, ok := m.marks[partKey(bucket, s)]; ok {
			out[s] = p
		}
	}
	return out, nil
}

func (m *memStore) SetMark(_ context.Context, bucket time.Time, shard int, p Position) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.markErr != nil {
		return m.markErr
	}
	k := partKey(bucket, shard)
	if old, ok := m.marks[k]; !ok || old.Before(p) {
		m.marks[k] = p
	}
	return nil
}

func (m *memStore) DeleteTimers(_ context.Context, ts []Timer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.deleteErr != nil {
		return m.deleteErr
	}
	for _, t := range ts {
		k := partKey(BucketOf(t.Due), t.Shard)
		m.parts[k] = slices.DeleteFunc(m.parts[k], func(x Timer) bool { return x.ID == t.ID && x.Due.Equal(t.Due) })
	}
	return nil
}

func (m *memStore) Cursor(context.Context) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cursor, m.hasCursor, nil
}

func (m *memStore) SetCursor(_ context.Context, b time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cursorErr != nil {
		return m.cursorErr
	}
	if !m.hasCursor || b.After(m.cursor) {
		m.cursor, m.hasCursor = b, true
	}
	return nil
}

func (m *memStore) setCursor(b time.Time) { m.cursor, m.hasCursor = b, true }

// pending lists the timers not fired yet: stored, and after their
// shard's mark.
func (m *memStore) pending() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for k, p := range m.parts {
		mark, marked := m.marks[k]
		for _, t := range p {
			if !marked || mark.Before(t.Position()) {
				ids = append(ids, t.ID)
			}
		}
	}
	sort.Strings(ids)
	return ids
}

// readBuckets lists the distinct buckets read, in order, and checks each
// was read in all shards.
func (m *memStore) readBuckets(t *testing.T) []time.Time {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	shards := map[string]map[string]bool{}
	var order []string
	for _, r := range m.reads {
		b, s, _ := strings.Cut(r, "|")
		if shards[b] == nil {
			shards[b] = map[string]bool{}
			order = append(order, b)
		}
		shards[b][s] = true
	}
	sort.Strings(order)
	out := make([]time.Time, 0, len(order))
	for _, b := range order {
		if len(shards[b]) != Shards+LateShards {
			t.Errorf("bucket %s read in %d shards, want all %d", b, len(shards[b]), Shards+LateShards)
		}
		tb, _ := time.Parse(time.RFC3339, b)
		out = append(out, tb)
	}
	return out
}

type memDispatcher struct {
	mu    sync.Mutex
	msgs  []tracking.Message
	calls int
	err   error
	// failOn makes a dispatch fail when it carries this message id.
	failOn string
}

func (d *memDispatcher) Dispatch(_ context.Context, msgs []tracking.Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	if d.err != nil {
		return d.err
	}
	for _, m := range msgs {
		if d.failOn != "" && m.MessageID == d.failOn {
			return errors.New("queue unavailable")
		}
	}
	d.msgs = append(d.msgs, msgs...)
	return nil
}

func (d *memDispatcher) ids() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []string
	for _, m := range d.msgs {
		ids = append(ids, strings.TrimPrefix(m.MessageID, MessageIDPrefix))
	}
	sort.Strings(ids)
	return ids
}

var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

func tm(id string, due time.Time) Timer {
	return Timer{ID: id, ContactID: "c-" + id, Event: "Wait Finished", Due: due}
}

// lateTm is a timer stored in its late shard, as Schedule stores one due
// soon after it is written.
func lateTm(id string, due time.Time) Timer {
	t := tm(id, due)
	t.Shard = LateShardOf(id)
	return t
}

// put stores timers directly, bypassing Schedule's clamp to now, in their
// regular shard unless they name a late one (late).
func put(t *testing.T, st *memStore, ts ...Timer) {
	t.Helper()
	for _, x := range ts {
		if !IsLate(x.Shard) {
			x.Shard = ShardOf(x.ID)
		}
		if err := st.PutTimer(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTick(t *testing.T) {
	sec := time.Second
	tests := []struct {
		name   string
		cursor *time.Time // nil: no cursor yet
		timers []Timer
		now    time.Time
		// want
		fired     []string
		left      []string
		buckets   []time.Time // read, first and last
		nBuckets  int
		cursorTo  time.Time
		notYetDue int
		behind    bool
	}{
		{
			name:     "reads only the buckets after the cursor, in every shard",
			cursor:   ptr(at(0)),
			now:      at(3).Add(30 * sec),
			buckets:  []time.Time{at(1), at(3)},
			nBuckets: 3,
			// 09:01 ended at 09:02 and has settled a minute later; 09:02
			// has not settled yet and is read again next tick.
			cursorTo: at(1),
		},
		{
			name:   "fires due timers across buckets and shards, keeps later ones",
			cursor: ptr(at(0)),
			timers: []Timer{
				tm("a", at(1).Add(5*sec)),
				tm("b", at(2).Add(59*sec)),
				tm("c", at(3).Add(10*sec)),
				tm("d", at(3).Add(40*sec)), // current bucket, after now
				tm("e", at(4)),             // next bucket: not read
				tm("old", at(0)),           // behind the cursor: not read
			},
			now:       at(3).Add(30 * sec),
			fired:     []string{"a", "b", "c"},
			left:      []string{"d", "e", "old"},
			buckets:   []time.Time{at(1), at(3)},
			nBuckets:  3,
			cursorTo:  at(1),
			notYetDue: 1,
		},
		{
			name:     "a timer due exactly now fires",
			cursor:   ptr(at(0)),
			timers:   []Timer{tm("now", at(1).Add(20*sec))},
			now:      at(1).Add(20 * sec),
			fired:    []string{"now"},
			buckets:  []time.Time{at(1), at(1)},
			nBuckets: 1,
			cursorTo: at(0),
		},
		{
			name:     "cold start begins an hour back",
			timers:   []Timer{tm("early", at(-60)), tm("too-early", at(-61))},
			now:      at(0).Add(10 * sec),
			fired:    []string{"early"},
			left:     []string{"too-early"},
			buckets:  []time.Time{at(-60), at(0)},
			nBuckets: 61,
			cursorTo: at(-2),
		},
		{
			name:     "after an outage one tick catches up at most 120 buckets",
			cursor:   ptr(at(-300)),
			timers:   []Timer{tm("in-range", at(-181)), tm("beyond", at(-179))},
			now:      at(0),
			fired:    []string{"in-range"},
			left:     []string{"beyond"},
			buckets:  []time.Time{at(-299), at(-180)},
			nBuckets: MaxBucketsPerTick,
			cursorTo: at(-180),
			behind:   true,
		},
		{
			name:     "cursor ahead of the clock reads nothing",
			cursor:   ptr(at(5)),
			timers:   []Timer{tm("a", at(3))},
			now:      at(3).Add(30 * sec),
			left:     []string{"a"},
			cursorTo: at(5),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, d := newMemStore(), &memDispatcher{}
			if tc.cursor != nil {
				st.setCursor(*tc.cursor)
			}
			put(t, st, tc.timers...)
			w := NewWheel(st, d, nil)
			res, err := w.Tick(context.Background(), tc.now)
			if err != nil {
				t.Fatalf("Tick: %v", err)
			}
			if got := d.ids(); !slices.Equal(got, tc.fired) {
				t.Errorf("fired %v, want %v", got, tc.fired)
			}
			if got := st.pending(); !slices.Equal(got, tc.left) {
				t.Errorf("left %v, want %v", got, tc.left)
			}
			read := st.readBuckets(t)
			if len(read) != tc.nBuckets || res.Buckets != tc.nBuckets {
				t.Fatalf("read %d buckets (result says %d), want %d", len(read), res.Buckets, tc.nBuckets)
			}
			if tc.nBuckets > 0 {
				if !read[0].Equal(tc.buckets[0]) || !read[len(read)-1].Equal(tc.buckets[1]) {
					t.Errorf("read %s..%s, want %s..%s", read[0], read[len(read)-1], tc.buckets[0], tc.buckets[1])
				}
				if !res.From.Equal(tc.buckets[0]) || !res.To.Equal(tc.buckets[1]) {
					t.Errorf("result range %s..%s, want %s..%s", res.From, res.To, tc.buckets[0], tc.buckets[1])
				}
			}
			if cur, _, _ := st.Cursor(context.Background()); !cur.Equal(tc.cursorTo) || !res.Cursor.Equal(tc.cursorTo) {
				t.Errorf("cursor %s (result %s), want %s", cur, res.Cursor, tc.cursorTo)
			}
			if res.Fired != len(tc.fired) || res.NotYetDue != tc.notYetDue || res.Behind != tc.behind {
				t.Errorf("result fired=%d notYetDue=%d behind=%v, want %d %d %v", res.Fired, res.NotYetDue, res.Behind, len(tc.fired), tc.notYetDue, tc.behind)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestTickMessages(t *testing.T) {
	st, d := newMemStore(), &memDispatcher{}
	st.setCursor(at(0))
	due := at(1).Add(7 * time.Second)
	put(t, st, Timer{ID: "run1:step2", ContactID: "c1", Event: "Wait Finished", Properties: map[string]any{"journey": "j1"}, Due: due})
	now := at(2).Add(3 * time.Second)
	if _, err := NewWheel(st, d, nil).Tick(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	if len(d.msgs) != 1 {
		t.Fatalf("dispatched %d messages, want 1", len(d.msgs))
	}
	m := d.msgs[0]
	if m.Type != tracking.TypeTrack || m.MessageID != "timer:run1:step2" || m.ContactID != "c1" || m.Event != "Wait Finished" ||
		m.Properties["journey"] != "j1" || !m.Timestamp.Equal(due) || !m.ReceivedAt.Equal(now) {
		t.Errorf("message %+v", m)
	}
}

func TestTickShardsAndPaging(t *testing.T) {
	st, d := newMemStore(), &memDispatcher{}
	st.setCursor(at(0))
	var want []string
	shards := map[int]int{}
	for i := range 500 {
		id := fmt.Sprintf("t%03d", i)
		put(t, st, tm(id, at(1).Add(time.Duration(i)*time.Millisecond)))
		want = append(want, id)
		shards[ShardOf(id)]++
	}
	if len(shards) != Shards {
		t.Fatalf("500 ids fell in %d shards, want all %d", len(shards), Shards)
	}
	for s, n := range shards {
		if n > 60 {
			t.Errorf("shard %d holds %d of 500 timers: the hash does not spread", s, n)
		}
	}
	w := NewWheel(st, d, nil)
	w.pageSize = 7 // every shard needs several pages
	res, err := w.Tick(context.Background(), at(5))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.ids(); !slices.Equal(got, want) {
		t.Errorf("fired %d timers, want %d", len(got), len(want))
	}
	if res.Fired != 500 || len(st.pending()) != 0 {
		t.Errorf("fired %d, %d left", res.Fired, len(st.pending()))
	}
	// Each page is one dispatch: never more timers than a page.
	if d.calls < 500/7 {
		t.Errorf("%d dispatches for 500 timers in pages of 7", d.calls)
	}
}

func TestTickFailures(t *testing.T) {
	tests := []struct {
		name       string
		cursor     time.Time
		timers     []Timer
		now        time.Time
		setup      func(*memStore, *memDispatcher)
		wantErr    string
		wantLeft   []string
		wantCursor time.Time
	}{
		{
			name:       "dispatch failure leaves timers and cursor untouched",
			cursor:     at(0),
			timers:     []Timer{tm("a", at(1)), tm("b", at(2))},
			now:        at(5),
			setup:      func(_ *memStore, d *memDispatcher) { d.err = errors.New("queue unavailable") },
			wantErr:    "queue unavailable",
			wantLeft:   []string{"a", "b"},
			wantCursor: at(0),
		},
		{
			name:       "mark failure keeps the cursor so the timers fire again",
			cursor:     at(0),
			timers:     []Timer{tm("a", at(1))},
			now:        at(5),
			setup:      func(s *memStore, _ *memDispatcher) { s.markErr = errors.New("throttled") },
			wantErr:    "throttled",
			wantLeft:   []string{"a"},
			wantCursor: at(0),
		},
		{
			name:       "late shard: delete failure keeps the cursor so the timers fire again",
			cursor:     at(0),
			timers:     []Timer{lateTm("a", at(1))},
			now:        at(5),
			setup:      func(s *memStore, _ *memDispatcher) { s.deleteErr = errors.New("throttled") },
			wantErr:    "throttled",
			wantLeft:   []string{"a"},
			wantCursor: at(0),
		},
		{
			name:   "failure in a later bucket keeps the progress before it",
			cursor: at(0),
			timers: []Timer{tm("a", at(1)), tm("b", at(3)), tm("c", at(4))},
			now:    at(10),
			setup:  func(_ *memStore, d *memDispatcher) { d.failOn = "timer:b" },
			// a fired; 09:02 was empty; 09:03 failed and stops the tick.
			wantErr:    "queue unavailable",
			wantLeft:   []string{"b", "c"},
			wantCursor: at(2),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, d := newMemStore(), &memDispatcher{}
			st.setCursor(tc.cursor)
			put(t, st, tc.timers...)
			tc.setup(st, d)
			res, err := NewWheel(st, d, nil).Tick(context.Background(), tc.now)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Tick error %v, want one containing %q", err, tc.wantErr)
			}
			if got := st.pending(); !slices.Equal(got, tc.wantLeft) {
				t.Errorf("left %v, want %v", got, tc.wantLeft)
			}
			if cur, _, _ := st.Cursor(context.Background()); !cur.Equal(tc.wantCursor) || !res.Cursor.Equal(tc.wantCursor) {
				t.Errorf("cursor %s (result %s), want %s", cur, res.Cursor, tc.wantCursor)
			}
		})
	}
}

// A crash between dispatch and mark fires a timer again; both messages
// carry the same messageId, which is what the processor de-duplicates by.
func TestRefireKeepsMessageID(t *testing.T) {
	st, d := newMemStore(), &memDispatcher{}
	st.setCursor(at(0))
	put(t, st, tm("a", at(1)))
	st.markErr = errors.New("crash")
	w := NewWheel(st, d, nil)
	if _, err := w.Tick(context.Background(), at(5)); err == nil {
		t.Fatal("want the mark failure")
	}
	st.markErr = nil
	if _, err := w.Tick(context.Background(), at(6)); err != nil {
		t.Fatal(err)
	}
	if len(d.msgs) != 2 || d.msgs[0].MessageID != d.msgs[1].MessageID || d.msgs[0].MessageID != "timer:a" {
		t.Fatalf("dispatched %+v, want the same timer:a twice", d.msgs)
	}
	if len(st.pending()) != 0 {
		t.Errorf("left %v", st.pending())
	}
}

func TestTickStopsBeforeDeadline(t *testing.T) {
	st, d := newMemStore(), &memDispatcher{}
	st.setCursor(at(0))
	put(t, st, tm("a", at(1)))
	ctx, cancel := context.WithTimeout(context.Background(), defaultReserve/2)
	defer cancel()
	res, err := NewWheel(st, d, nil).Tick(ctx, at(5))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Behind || res.Buckets != 0 || len(st.pending()) != 1 || !res.Cursor.Equal(at(0)) {
		t.Errorf("result %+v, left %v: want nothing done and behind", res, st.pending())
	}
}

func TestTickCursorWriteFailure(t *testing.T) {
	st, d := newMemStore(), &memDispatcher{}
	st.setCursor(at(0))
	st.cursorErr = errors.New("throttled")
	_, err := NewWheel(st, d, nil).Tick(context.Background(), at(5))
	if err == nil || !strings.Contains(err.Error(), "advance timer cursor") {
		t.Fatalf("error %v, want the cursor write failure", err)
	}
}

func TestSchedule(t *testing.T) {
	now := at(10).Add(15 * time.Second)
	valid := tm("x", at(20))
	tests := []struct {
		name    string
		timer   Timer
		wantErr string // "" for success
		wantDue time.Time
		// wantLate: stored in its late shard, not its regular one.
		wantLate bool
	}{
		{name: "stored at its due time", timer: valid, wantDue: at(20)},
		{name: "past due is due now", timer: tm("x", at(3)), wantDue: now, wantLate: true},
		{name: "due converted to UTC", timer: tm("x", at(20).In(time.FixedZone("CET", 3600))), wantDue: at(20)},
		{name: "due just inside the late horizon", timer: tm("x", now.Add(LateHorizon-time.Nanosecond)), wantDue: now.Add(LateHorizon - time.Nanosecond), wantLate: true},
		{name: "due at the late horizon", timer: tm("x", now.Add(LateHorizon)), wantDue: now.Add(LateHorizon)},
		{name: "missing id", timer: Timer{ContactID: "c", Event: "e", Due: now}, wantErr: "id is required"},
		{name: "missing contact", timer: Timer{ID: "x", Event: "e", Due: now}, wantErr: "contact id is required"},
		{name: "missing event", timer: Timer{ID: "x", ContactID: "c", Due: now}, wantErr: "event is required"},
		{name: "zero due", timer: Timer{ID: "x", ContactID: "c", Event: "e"}, wantErr: "due time is required"},
		{name: "all missing at once", timer: Timer{}, wantErr: "id is required; contact id is required; event is required; due time is required"},
		{name: "long id", timer: tm(strings.Repeat("x", 201), now), wantErr: "id is over 200 bytes"},
		{name: "contact id not UTF-8", timer: Timer{ID: "x", ContactID: "c\x9d", Event: "e", Due: now}, wantErr: "must be valid UTF-8"},
		{name: "due past what JSON can write", timer: tm("x", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)), wantErr: "due time must be before the year 10000"},
		{name: "properties not JSON", timer: withProps(valid, map[string]any{"f": func() {}}), wantErr: "properties are not JSON"},
		{name: "properties too large", timer: withProps(valid, map[string]any{"big": strings.Repeat("x", MaxPropertiesBytes)}), wantErr: "properties are"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newMemStore()
			w := NewWheel(st, &memDispatcher{}, func() time.Time { return now })
			err := w.Schedule(context.Background(), tc.timer)
			if tc.wantErr != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want ErrInvalid with %q", err, tc.wantErr)
				}
				if len(st.pending()) != 0 {
					t.Error("an invalid timer was stored")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			shard := ShardOf(tc.timer.ID)
			if tc.wantLate {
				shard = LateShardOf(tc.timer.ID)
			}
			got, _ := st.DueTimers(context.Background(), BucketOf(tc.wantDue), shard, Position{}, 10)
			if len(got) != 1 || !got[0].Due.Equal(tc.wantDue) || got[0].Due.Location() != time.UTC {
				t.Fatalf("stored %+v in shard %d, want one timer due %s UTC", got, shard, tc.wantDue)
			}
		})
	}
}

func withProps(t Timer, p map[string]any) Timer { t.Properties = p; return t }

// Scheduling the same timer twice stores it once. A timer written into a
// minute that a tick has already read (the write was in flight as the
// minute ended) still fires: the cursor waits for the bucket to settle.
func TestScheduleRacingTick(t *testing.T) {
	st, d := newMemStore(), &memDispatcher{}
	st.setCursor(at(0))
	ctx := context.Background()
	// The scheduler read its clock just before 09:03...
	w := NewWheel(st, d, func() time.Time { return at(3).Add(-100 * time.Millisecond) })
	// ...but a tick just after 09:03 reads 09:02 before the write lands.
	res, err := w.Tick(ctx, at(3).Add(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Cursor.Before(at(2)) {
		t.Fatalf("cursor passed 09:02 (%s) as soon as it ended", res.Cursor)
	}
	for range 2 {
		if err := w.Schedule(ctx, tm("late", at(2).Add(59*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	if got := st.pending(); !slices.Equal(got, []string{"late"}) {
		t.Fatalf("stored %v, want one timer", got)
	}
	if _, err := w.Tick(ctx, at(4).Add(500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if got := d.ids(); !slices.Equal(got, []string{"late"}) {
		t.Errorf("fired %v, want the late write", got)
	}
}

// TestTickRoutes: a routed timer (no contact) goes to its route's
// dispatcher, the contacts' timers to the pipeline's; a route nobody
// wired fails the tick and keeps the timer for the next one.
func TestTickRoutes(t *testing.T) {
	st, events, waves := newMemStore(), &memDispatcher{}, &memDispatcher{}
	st.setCursor(at(0))
	wave := Timer{ID: "cwave:launch", Route: "campaigns", Event: "campaign-wave", Properties: map[string]any{"zone": "Asia/Tokyo"}, Due: at(1)}
	if err := wave.Validate(); err != nil {
		t.Fatalf("a routed timer needs no contact: %v", err)
	}
	if err := (Timer{ID: "x", Event: "e", Due: at(1)}).Validate(); err == nil {
		t.Error("an unrouted timer without a contact validated")
	}
	put(t, st, wave, tm("run1", at(1)))
	w := NewWheel(st, events, nil).WithRoute("campaigns", waves)
	if _, err := w.Tick(context.Background(), at(3)); err != nil {
		t.Fatal(err)
	}
	if got := events.ids(); !slices.Equal(got, []string{"run1"}) {
		t.Errorf("pipeline got %v", got)
	}
	if got := waves.ids(); !slices.Equal(got, []string{"cwave:launch"}) || waves.msgs[0].Properties["zone"] != "Asia/Tokyo" {
		t.Errorf("route got %v", waves.msgs)
	}
	// Not wired: the tick fails and the timer waits.
	st2 := newMemStore()
	st2.setCursor(at(0))
	put(t, st2, wave)
	if _, err := NewWheel(st2, events, nil).Tick(context.Background(), at(3)); err == nil {
		t.Error("a timer of an unwired route fired without error")
	}
	if got := st2.pending(); !slices.Equal(got, []string{"cwave:launch"}) {
		t.Errorf("pending after the failed tick %v", got)
	}
}

// delayDispatcher records each delayed hand-over with its delay.
type delayDispatcher struct {
	memDispatcher
	delayed map[string]time.Duration // timer id -> delay
	// received is each delayed message's ReceivedAt.
	received map[string]time.Time
}

func (d *delayDispatcher) DispatchDelayed(_ context.Context, msgs []tracking.Message, delay time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	if d.delayed == nil {
		d.delayed, d.received = map[string]time.Duration{}, map[string]time.Time{}
	}
	for _, m := range msgs {
		id := strings.TrimPrefix(m.MessageID, MessageIDPrefix)
		d.delayed[id], d.received[id] = delay, m.ReceivedAt
	}
	return nil
}

func TestLookaheadFiresTimersDueBeforeTheNextTickOnADelay(t *testing.T) {
	sec := time.Second
	now := at(3).Add(20 * sec) // 09:03:20
	tests := []struct {
		name  string
		due   time.Time
		delay time.Duration // 0: dispatched at once; -1: left for a later tick
	}{
		{"due already", at(3).Add(10 * sec), 0},
		{"due now", now, 0},
		{"due a second later: one step", now.Add(sec), DelayStep},
		{"due on a step: exactly it", now.Add(2 * DelayStep), 2 * DelayStep},
		{"later this minute", at(3).Add(59 * sec), 40 * sec},
		{"next minute, within the lookahead", at(4).Add(15 * sec), 55 * sec},
		{"next minute, at the lookahead's edge", now.Add(BucketWidth), BucketWidth},
		{"next minute, past the lookahead", at(4).Add(21 * sec), -1},
		{"two minutes on: a bucket not read", at(5), -1},
	}
	st := newMemStore()
	st.setCursor(at(2))
	for i, tc := range tests {
		put(t, st, tm(fmt.Sprintf("t%d", i), tc.due))
	}
	d := &delayDispatcher{}
	w := NewWheel(st, d, nil).WithLookahead(BucketWidth)
	res, err := w.Tick(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		id := fmt.Sprintf("t%d", i)
		delay, delayed := d.delayed[id]
		atOnce := slices.Contains(d.ids(), id)
		switch {
		case tc.delay == 0 && (!atOnce || delayed):
			t.Errorf("%s: want dispatched at once, got at once=%v delayed=%v", tc.name, atOnce, delayed)
		case tc.delay > 0 && (!delayed || delay != tc.delay):
			t.Errorf("%s: want a %s delay, got delayed=%v %s", tc.name, tc.delay, delayed, delay)
		case tc.delay > 0 && !d.received[id].Equal(now.Add(delay)):
			t.Errorf("%s: received at %s, want the tick's time plus the delay", tc.name, d.received[id])
		case tc.delay < 0 && (atOnce || delayed):
			t.Errorf("%s: want left on the wheel, got at once=%v delayed=%v", tc.name, atOnce, delayed)
		}
	}
	if got := st.pending(); !slices.Equal(got, []string{"t7", "t8"}) {
		t.Errorf("left on the wheel %v, want [t7 t8]: every fired timer is deleted", got)
	}
	// The next minute's bucket was read but is not settled: the cursor
	// stays where the buckets still open to new timers begin.
	if res.Cursor.After(at(2)) {
		t.Errorf("cursor moved to %s past a bucket still open", res.Cursor)
	}
	if got := st.readBuckets(t); !slices.Equal(got, []time.Time{at(3), at(4)}) {
		t.Errorf("read buckets %v, want 09:03 and 09:04", got)
	}

	// The next tick fires what was left in the next minute, on time.
	d2 := &delayDispatcher{}
	w2 := NewWheel(st, d2, nil).WithLookahead(BucketWidth)
	if _, err := w2.Tick(context.Background(), at(4).Add(20*sec)); err != nil {
		t.Fatal(err)
	}
	if d2.delayed["t7"] != DelayStep || len(d2.ids()) != 0 {
		t.Errorf("next tick: t7 delayed %s (want %s), at once %v", d2.delayed["t7"], DelayStep, d2.ids())
	}
}

// A route whose dispatcher cannot delay (campaign waves) waits for the
// tick after its time, and so does whatever follows it in the shard.
func TestLookaheadLeavesRoutesThatCannotDelay(t *testing.T) {
	now := at(3)
	st := newMemStore()
	st.setCursor(at(2))
	wave := Timer{ID: "wave", Event: "Wave", Route: "waves", Due: now.Add(10 * time.Second)}
	put(t, st, wave, tm("due", now))
	d, waves := &delayDispatcher{}, &memDispatcher{}
	w := NewWheel(st, d, nil).WithRoute("waves", waves).WithLookahead(BucketWidth)
	if _, err := w.Tick(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	if len(waves.ids()) != 0 || !slices.Contains(st.pending(), "wave") {
		t.Fatalf("a wave was fired ahead of time: dispatched %v, pending %v", waves.ids(), st.pending())
	}
	if !slices.Equal(d.ids(), []string{"due"}) {
		t.Fatalf("due timer: dispatched %v", d.ids())
	}
	if _, err := w.Tick(context.Background(), now.Add(15*time.Second)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(waves.ids(), []string{"wave"}) {
		t.Fatalf("the wave did not fire once due: %v", waves.ids())
	}
}

// TestEveryTimerFiresWhateverItsWriteDelay simulates an hour of a wheel
// ticking every minute (with the longest lookahead, ticks up to half a
// minute late) while schedulers write timers due from now to 20 minutes
// on, each write landing up to WriteAllowance after the scheduler read its
// clock (Schedule gives up at half of it). Every timer must fire, none before it is due: the regular shards
// are read only after their marks, and nothing is ever written behind a
// mark because a timer due within LateHorizon goes to a late shard.
func TestEveryTimerFiresWhateverItsWriteDelay(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	st := newMemStore()
	st.setCursor(at(-1)) // nothing of 09:00 on fired yet
	d := &delayDispatcher{}
	due := map[string]time.Time{}
	type write struct {
		t      Timer
		commit time.Time
	}
	var inflight []write
	late := 0
	ctx := context.Background()
	commit := func(before time.Time) {
		var still []write
		for _, w := range inflight {
			if !w.commit.Before(before) {
				still = append(still, w)
				continue
			}
			if err := st.PutTimer(ctx, w.t); err != nil {
				t.Fatal(err)
			}
		}
		inflight = still
	}
	for m := range 85 {
		// Schedulers write during the first hour...
		for i := range 40 {
			if m >= 60 {
				break
			}
			clock := at(m).Add(time.Duration(rng.Int64N(int64(time.Minute))))
			id := fmt.Sprintf("m%02d-%02d", m, i)
			offset := time.Duration(rng.Int64N(int64(20 * time.Minute)))
			if i%4 == 0 {
				// A quarter just past the late horizon: regular timers
				// due as soon as a regular timer can be.
				offset = LateHorizon + time.Duration(rng.Int64N(int64(5*time.Second)))
			}
			rec := &recordingStore{}
			if err := NewWheel(rec, d, func() time.Time { return clock }).Schedule(ctx, tm(id, clock.Add(offset))); err != nil {
				t.Fatal(err)
			}
			stored := rec.put[0]
			if IsLate(stored.Shard) {
				late++
			}
			due[id] = stored.Due
			inflight = append(inflight, write{stored, clock.Add(time.Duration(rng.Int64N(int64(WriteAllowance))))})
		}
		// ...and the tick after each minute runs with the writes that
		// have landed by then stored.
		tick := at(m + 1).Add(time.Duration(rng.Int64N(int64(30 * time.Second))))
		commit(tick)
		if _, err := NewWheel(st, d, nil).WithLookahead(MaxLookahead).Tick(ctx, tick); err != nil {
			t.Fatal(err)
		}
	}
	if len(inflight) > 0 || len(due) != 2400 {
		t.Fatalf("%d writes never landed, %d timers scheduled", len(inflight), len(due))
	}
	if late == 0 || late == len(due) {
		t.Fatalf("%d of %d timers in late shards: the simulation tests both kinds of shard only with some of each", late, len(due))
	}
	firedAt := map[string]time.Time{}
	for _, m := range d.msgs {
		firedAt[strings.TrimPrefix(m.MessageID, MessageIDPrefix)] = m.ReceivedAt
	}
	for id, r := range d.received {
		firedAt[id] = r
	}
	var missed []string
	for id, dueAt := range due {
		at, ok := firedAt[id]
		switch {
		case !ok:
			missed = append(missed, id)
		case at.Before(dueAt):
			t.Errorf("%s arrives at %s, before it is due at %s", id, at, dueAt)
		}
	}
	sort.Strings(missed)
	if len(missed) > 0 {
		t.Fatalf("%d of %d timers never fired: %v", len(missed), len(due), missed)
	}
}

// recordingStore keeps what Schedule writes, for a test to store later.
type recordingStore struct {
	memStore
	put []Timer
}

func (s *recordingStore) PutTimer(_ context.Context, t Timer) error {
	s.put = append(s.put, t)
	return nil
}

// TestRegularShardsAreMarkedNotDeleted: a fired timer of a regular shard
// stays stored (its TTL removes it, unbilled) behind the shard's mark and
// never fires again; one of a late shard is deleted.
func TestRegularShardsAreMarkedNotDeleted(t *testing.T) {
	st, d := newMemStore(), &memDispatcher{}
	st.setCursor(at(0))
	reg, lt := tm("regular", at(1)), lateTm("late", at(1).Add(time.Second))
	put(t, st, reg, lt)
	w := NewWheel(st, d, nil)
	for _, now := range []time.Time{at(1).Add(30 * time.Second), at(2), at(5)} {
		if _, err := w.Tick(context.Background(), now); err != nil {
			t.Fatal(err)
		}
	}
	if got := d.ids(); !slices.Equal(got, []string{"late", "regular"}) {
		t.Fatalf("fired %v over three ticks, want each once", got)
	}
	stored := func(shard int) []Timer { return st.parts[partKey(at(1), shard)] }
	if got := stored(ShardOf("regular")); len(got) != 1 || got[0].ID != "regular" {
		t.Errorf("regular shard holds %v, want the fired timer kept for its TTL", got)
	}
	if mark := st.marks[partKey(at(1), ShardOf("regular"))]; mark != reg.Position() {
		t.Errorf("mark %+v, want the fired timer's position", mark)
	}
	if got := stored(LateShardOf("late")); len(got) != 0 {
		t.Errorf("late shard holds %v, want it deleted", got)
	}
	if _, marked := st.marks[partKey(at(1), LateShardOf("late"))]; marked {
		t.Error("a late shard got a mark")
	}
}
