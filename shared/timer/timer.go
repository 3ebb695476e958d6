// Package timer is Leadflow's timer wheel: things that must happen to a
// contact at a later time (journey waits, scheduled sends) are stored as
// timers keyed by the minute they fall due plus a shard, and a tick every
// minute reads only the buckets that have come due. Nothing scans a table to
// find work, and no bucket is a hot partition because each is split in
// Shards. A fired timer becomes a tracking "track" event for its contact, so
// everything downstream (profile, timeline, journeys) reacts to it exactly as
// it reacts to an event a website sent.
package timer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/leadflow/leadflow/shared/tracking"
)

const (
	// Shards splits every bucket so that a burst of timers due in the same
	// minute (a campaign scheduled for 09:00) spreads over 16 partitions
	// instead of heating one, and so a tick can drain them in parallel.
	Shards = 16
	// LateShards hold the timers due soon after they are written (within
	// LateHorizon of the write): shards Shards..Shards+LateShards-1 of a
	// bucket. The tick reads them like the others but deletes what it
	// fires, since a timer may be written into them behind what a tick
	// already fired (see LateHorizon).
	LateShards = 4
	// WriteAllowance bounds how long a timer write is in flight, from the
	// clock Schedule reads to the item being stored: Schedule gives up on a
	// write after half of it (and reports the failure, so the caller's
	// retry writes the timer again with a new clock), which leaves the
	// other half for a request the store received just before that, and
	// Lambda's clocks agree to far under a second. Settle and LateHorizon
	// rest on it.
	WriteAllowance = time.Minute
	// BucketWidth is the resolution of the wheel: the tick runs once a
	// minute, so finer buckets would only mean more empty reads.
	BucketWidth = time.Minute
	// MaxBucketsPerTick bounds one tick's work after an outage; the backlog
	// is worked off over the following ticks instead of in one invocation
	// that could run past the Lambda timeout and never commit its cursor.
	MaxBucketsPerTick = 120
	// ColdStartLookback is how far back the first tick ever (no cursor yet)
	// starts, so timers written just before the cursor existed still fire
	// without the tick having to look for the oldest bucket.
	ColdStartLookback = time.Hour
	// Settle is how long after a bucket ends before the cursor may pass it.
	// Schedule writes a timer into a bucket no earlier than the scheduler's
	// own clock; a write still in flight when its minute ends would be lost
	// if the cursor passed the bucket at once. Re-reading one settled bucket
	// per tick costs 21 small queries a minute (its shards and marks).
	Settle = WriteAllowance
	// MessageIDPrefix starts the messageId of every fired timer.
	MessageIDPrefix = "timer:"
	// MaxPropertiesBytes keeps a fired timer's message far under the
	// tracking spec's 32 KB per message and the 400 KB DynamoDB item.
	MaxPropertiesBytes = 16 * 1024

	maxIDLen    = 200
	maxEventLen = 200
	// defaultPageSize is how many timers one store read and one dispatch
	// carry. One page becomes one queue message, and the processor updates
	// every contact in a message within one invocation: 100 distinct
	// contacts per message keeps a 10-message SQS batch well inside the
	// processor's timeout.
	defaultPageSize = 100
	// defaultReserve is the time left before the invocation's deadline at
	// which a tick stops starting new work, so it can still save its cursor.
	defaultReserve = 10 * time.Second
)

// ErrInvalid is wrapped by Schedule for a timer that cannot be stored.
var ErrInvalid = errors.New("invalid timer")

// Timer is a track event to emit for a contact at a given time.
type Timer struct {
	// ID identifies the firing. Callers derive it from what is awaited (a
	// journey run and step, a scheduled send), so a retried Schedule writes
	// the same timer again instead of a second one.
	ID         string
	ContactID  string
	Event      string
	Properties map[string]any
	Due        time.Time
	// Route names the dispatcher a fired timer goes to (Wheel.WithRoute):
	// "" is a contact's track event for the event pipeline; a routed timer
	// (a campaign's recipient-time wave) belongs to no contact, and
	// ContactID may be empty.
	Route string
	// Shard is the shard of its bucket the timer is stored in: set by
	// Schedule (its regular shard, or a late one) and by the Store when it
	// reads a timer. Callers leave it zero.
	Shard int
}

// Position is where a timer sorts within its shard: by due time, then id.
// A shard's Mark is a Position.
type Position struct {
	Due time.Time
	ID  string
}

// Position is the timer's place in its shard.
func (t Timer) Position() Position { return Position{Due: t.Due, ID: t.ID} }

// IsZero reports whether p is the start of a shard (no mark yet).
func (p Position) IsZero() bool { return p.Due.IsZero() && p.ID == "" }

// Before reports whether p sorts before q.
func (p Position) Before(q Position) bool {
	if !p.Due.Equal(q.Due) {
		return p.Due.Before(q.Due)
	}
	return p.ID < q.ID
}

// maxRouteLen bounds a route name; routes are a handful of fixed words.
const maxRouteLen = 32

// Validate reports what is wrong with the timer, wrapping ErrInvalid.
func (t Timer) Validate() error {
	var problems []string
	if t.ID == "" {
		problems = append(problems, "id is required")
	} else if len(t.ID) > maxIDLen {
		problems = append(problems, fmt.Sprintf("id is over %d bytes", maxIDLen))
	}
	if len(t.Route) > maxRouteLen {
		problems = append(problems, fmt.Sprintf("route is over %d bytes", maxRouteLen))
	}
	if t.ContactID == "" && t.Route == "" {
		problems = append(problems, "contact id is required")
	} else if len(t.ContactID) > maxIDLen {
		problems = append(problems, fmt.Sprintf("contact id is over %d bytes", maxIDLen))
	}
	if t.Event == "" {
		problems = append(problems, "event is required")
	} else if len(t.Event) > maxEventLen {
		problems = append(problems, fmt.Sprintf("event is over %d bytes", maxEventLen))
	}
	if !utf8.ValidString(t.ID) || !utf8.ValidString(t.ContactID) || !utf8.ValidString(t.Event) || !utf8.ValidString(t.Route) {
		// JSON would turn the bad bytes into U+FFFD on the way to the
		// processor: the event would go to another contact id, under
		// another name.
		problems = append(problems, "id, contact id and event must be valid UTF-8")
	}
	if t.Due.IsZero() {
		problems = append(problems, "due time is required")
	} else if _, err := t.Due.MarshalJSON(); err != nil {
		// The fired event carries the due time as its timestamp: one JSON
		// cannot write (past year 9999) would fail every tick.
		problems = append(problems, "due time must be before the year 10000")
	}
	if len(t.Properties) > 0 {
		// Checked here rather than at fire time: a timer that cannot be
		// encoded would fail every tick and hold its bucket back forever.
		raw, err := json.Marshal(t.Properties)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("properties are not JSON: %v", err))
		case len(raw) > MaxPropertiesBytes:
			problems = append(problems, fmt.Sprintf("properties are %d bytes, over %d", len(raw), MaxPropertiesBytes))
		}
	}
	if len(problems) > 0 {
		id := t.ID
		if id == "" {
			id = "(no id)"
		}
		return fmt.Errorf("%w %s: %s", ErrInvalid, id, strings.Join(problems, "; "))
	}
	return nil
}

// Message is the track event the timer becomes when it fires at firedAt.
// The messageId is derived from the timer id, which is what makes firing
// twice harmless (see Wheel.Tick).
func (t Timer) Message(firedAt time.Time) tracking.Message {
	return tracking.Message{
		Type:       tracking.TypeTrack,
		MessageID:  MessageIDPrefix + t.ID,
		ContactID:  t.ContactID,
		Event:      t.Event,
		Properties: t.Properties,
		Timestamp:  t.Due,
		ReceivedAt: firedAt,
	}
}

// Fired reports whether m is a fired timer's event: a track event
// addressed by contact id (which only Leadflow's own producers set, never a
// website) under the wheel's messageId prefix. Such an event is Leadflow
// acting on the contact (a journey's wait ending, a segment recheck), not
// the contact doing something.
func Fired(m tracking.Message) bool {
	return m.Type == tracking.TypeTrack && m.ContactID != "" && strings.HasPrefix(m.MessageID, MessageIDPrefix)
}

// BucketOf is the minute bucket a due time belongs to.
func BucketOf(due time.Time) time.Time { return due.UTC().Truncate(BucketWidth) }

// ShardOf is the regular shard of a timer id within its bucket.
func ShardOf(id string) int {
	return int(hashOf(id) % Shards)
}

// LateShardOf is the late shard of a timer id within its bucket.
func LateShardOf(id string) int {
	return Shards + int(hashOf(id)%LateShards)
}

// IsLate reports whether shard is one of a bucket's late shards.
func IsLate(shard int) bool { return shard >= Shards }

func hashOf(id string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32()
}

// Store persists timers. Timers live in (BucketOf(Due), Shard)
// partitions, which is the only way they are read.
//
// The wheel never deletes what it fires from a regular shard: it records
// how far it fired (the shard's mark) and reads after it, and the timers
// it fired expire by their TTL, which DynamoDB does not bill. Only the late
// shards are paged by deleting.
type Store interface {
	// PutTimer stores a timer in its t.Shard; writing the same timer
	// again is a no-op.
	PutTimer(ctx context.Context, t Timer) error
	// DueTimers returns up to limit timers of one bucket and shard that
	// sort after after (all of them for the zero Position), in due order,
	// each with its Shard set. Fewer than limit means there are no more;
	// reads must see earlier DeleteTimers and SetMark (a late shard is
	// paged by deleting).
	DueTimers(ctx context.Context, bucket time.Time, shard int, after Position, limit int) ([]Timer, error)
	// DeleteTimers removes timers from their t.Shard; deleting a missing
	// one is no error.
	DeleteTimers(ctx context.Context, timers []Timer) error
	// Marks reads how far each regular shard of a bucket has been fired;
	// a shard without a mark is absent.
	Marks(ctx context.Context, bucket time.Time) (map[int]Position, error)
	// SetMark records that a shard of a bucket is fired up to and
	// including p. It never moves a mark back, so an overlapping slower
	// tick cannot make the next one fire a page again.
	SetMark(ctx context.Context, bucket time.Time, shard int, p Position) error
	// Cursor is the last bucket fully fired; false when there is none yet.
	Cursor(ctx context.Context) (time.Time, bool, error)
	// SetCursor records the last bucket fully fired. It never moves the
	// cursor back, so an overlapping slower tick cannot undo a faster one.
	SetCursor(ctx context.Context, bucket time.Time) error
}

// Dispatcher hands fired timers' messages to the event pipeline. It must be
// safe for concurrent use: a tick drains the shards of a bucket in parallel.
type Dispatcher interface {
	Dispatch(ctx context.Context, msgs []tracking.Message) error
}

// DelayDispatcher is a Dispatcher that can also hand messages over to be
// delivered after a delay (an SQS message's DelaySeconds), which is what
// lets a tick fire timers due before the next tick on time (WithLookahead).
type DelayDispatcher interface {
	Dispatcher
	DispatchDelayed(ctx context.Context, msgs []tracking.Message, delay time.Duration) error
}

// DelayStep is the granularity of a looked-ahead timer's delay: timers of
// a shard page due within the same DelayStep share one delayed message, so
// a minute of spread-out timers costs at most 60s/DelayStep messages per
// shard, and a timer runs at most DelayStep after it is due (plus the
// pipeline's own latency).
const DelayStep = 5 * time.Second

// MaxLookahead bounds WithLookahead. It is part of LateHorizon: a tick
// fires timers up to its lookahead ahead of its clock, so a timer that may
// be written after such a tick must not land in a marked shard.
const MaxLookahead = 2 * time.Minute

// LateHorizon decides where Schedule stores a timer: one due within it of
// the scheduler's clock goes to a late shard, any other to its regular
// shard. A regular timer is then due more than MaxLookahead after any tick
// that ran before its write was stored (the write takes under
// WriteAllowance), so no tick can have fired past it: its shard's mark
// never skips it.
const LateHorizon = MaxLookahead + WriteAllowance

// Wheel schedules and fires timers.
type Wheel struct {
	store    Store
	dispatch Dispatcher
	// routes are the dispatchers of routed timers, by Timer.Route.
	routes   map[string]Dispatcher
	now      func() time.Time
	pageSize int
	reserve  time.Duration
	// lookahead is how far past the tick's clock timers are fired, with
	// the delay that makes them arrive when due (WithLookahead).
	lookahead time.Duration
}

// NewWheel builds a Wheel. now may be nil (time.Now); it is Schedule's
// clock, while Tick takes the time it runs at as an argument.
func NewWheel(store Store, d Dispatcher, now func() time.Time) *Wheel {
	if now == nil {
		now = time.Now
	}
	return &Wheel{store: store, dispatch: d, now: now, pageSize: defaultPageSize, reserve: defaultReserve}
}

// WithRoute sends fired timers of a route to d instead of the event
// pipeline (a campaign's wave goes to the campaigns queue). A fired timer
// of a route nobody added fails its shard, so a wiring mistake shows in
// the tick's errors instead of losing the timer.
func (w *Wheel) WithRoute(route string, d Dispatcher) *Wheel {
	if w.routes == nil {
		w.routes = map[string]Dispatcher{}
	}
	w.routes[route] = d
	return w
}

// WithLookahead makes each tick also fire the timers due within d after
// its clock (d is capped at MaxLookahead), through their dispatcher's
// DispatchDelayed so that each arrives when it is due, rounded up to
// DelayStep. Without it a timer fires at the first tick after it is due:
// with a tick a minute, up to a minute late, 30 s on average. With
// d = BucketWidth, the tick before a timer's due time hands it over, and
// it runs within DelayStep of its due time.
//
// A route whose dispatcher cannot delay keeps the old behaviour: its
// timers wait for the tick after they are due (and, since a shard is fired
// in due order, up to its first timer not fired, so do the timers after
// them in that shard and bucket).
func (w *Wheel) WithLookahead(d time.Duration) *Wheel {
	w.lookahead = min(max(d, 0), MaxLookahead)
	return w
}

// Schedule stores a timer. A timer due in the past is due now instead: its
// own bucket may already be behind the cursor, where no tick would read it.
// One due within LateHorizon goes to its late shard, any other to its
// regular shard (see LateHorizon).
func (w *Wheel) Schedule(ctx context.Context, t Timer) error {
	if err := t.Validate(); err != nil {
		return err
	}
	t.Due = t.Due.UTC()
	now := w.now().UTC()
	if t.Due.Before(now) {
		t.Due = now
	}
	t.Shard = ShardOf(t.ID)
	if t.Due.Before(now.Add(LateHorizon)) {
		t.Shard = LateShardOf(t.ID)
	}
	ctx, cancel := context.WithTimeout(ctx, WriteAllowance/2)
	defer cancel()
	if err := w.store.PutTimer(ctx, t); err != nil {
		return fmt.Errorf("schedule timer %s for contact %s: %w", t.ID, t.ContactID, err)
	}
	return nil
}

// Cancel removes timers that are no longer wanted before they fire (a
// journey wait left early). Each is found by its id and due time as
// scheduled; one already fired, cancelled or never stored is no error.
// Cancelling is an optimisation, never needed for correctness: whatever
// fires is checked by its receiver against the contact's current state.
//
// A timer is looked for in its regular shard, and also in its late shard
// when it is due within LateHorizon of now: only then can Schedule have
// put it there.
func (w *Wheel) Cancel(ctx context.Context, ts []Timer) error {
	if len(ts) == 0 {
		return nil
	}
	horizon := w.now().Add(LateHorizon)
	del := make([]Timer, 0, len(ts))
	for _, t := range ts {
		t.Due = t.Due.UTC()
		t.Shard = ShardOf(t.ID)
		del = append(del, t)
		if t.Due.Before(horizon) {
			t.Shard = LateShardOf(t.ID)
			del = append(del, t)
		}
	}
	if err := w.store.DeleteTimers(ctx, del); err != nil {
		return fmt.Errorf("cancel %d timers: %w", len(ts), err)
	}
	return nil
}

// TickResult says what one tick did; the handler logs it as one line.
type TickResult struct {
	// From and To are the first and last bucket read (zero if none was).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Buckets is how many buckets were read, each in all its shards.
	Buckets int `json:"buckets"`
	// Fired is how many timers were dispatched (and marked or deleted).
	Fired int `json:"fired"`
	// NotYetDue counts timers of the current minute seen but left for a
	// later tick (a lower bound: reading a shard stops at the first one).
	NotYetDue int `json:"notYetDue"`
	// Cursor is the last bucket fully fired, after the tick.
	Cursor time.Time `json:"cursor"`
	// Behind is set when due buckets were left for the next tick (the
	// per-tick bound or the invocation's deadline stopped this one).
	Behind bool `json:"behind"`
}

// Tick fires every timer due at now that an earlier tick has not fired: it
// reads the buckets after the cursor up to now's, in all shards, dispatches
// the due timers' messages, moves each regular shard's mark past them (or
// deletes them, in a late shard), and then advances the cursor past the
// buckets that can get no more timers.
//
// Timers are dispatched first and marked or deleted after, so a crash or a
// failed write in between fires them again on the next tick; so does an
// overlapping tick (EventBridge Scheduler delivers at least once). That is
// safe because a fired timer's messageId is "timer:"+ID: the processor skips
// a message whose id is already in the contact's de-duplication window
// (contact.Profile.Apply, the last 48 message ids of the contact), so the
// event is applied once. A re-fire comes a tick or two later; only a contact
// sending dozens of events in that minute could push the first firing out
// of the window, and then the event would be applied twice, not lost. The
// other order, delete then dispatch, would lose timers on a crash, which
// nothing repairs.
func (w *Wheel) Tick(ctx context.Context, now time.Time) (TickResult, error) {
	now = now.UTC()
	var res TickResult
	cursor, ok, err := w.store.Cursor(ctx)
	if err != nil {
		return res, fmt.Errorf("read timer cursor: %w", err)
	}
	if !ok {
		cursor = BucketOf(now.Add(-ColdStartLookback)).Add(-BucketWidth)
	}
	cursor = cursor.UTC()
	res.Cursor = cursor
	// horizon is the last bucket this tick reads: the current one, or the
	// one its lookahead reaches. Buckets past the current one are read but
	// never settled (below): timers may still be written into them.
	first, horizon := cursor.Add(BucketWidth), BucketOf(now.Add(w.lookahead))
	if first.After(horizon) {
		// The cursor is ahead of this clock (a tick with a later clock ran):
		// everything up to now has been fired.
		return res, nil
	}
	last := horizon
	if bound := first.Add((MaxBucketsPerTick - 1) * BucketWidth); last.After(bound) {
		last, res.Behind = bound, true
	}
	settled := cursor
	var tickErr error
	for b := first; !b.After(last); b = b.Add(BucketWidth) {
		if w.outOfTime(ctx) {
			res.Behind = true
			break
		}
		out, err := w.fireBucket(ctx, b, now)
		if res.Buckets == 0 {
			res.From = b
		}
		res.Buckets++
		res.To = b
		res.Fired += out.fired
		res.NotYetDue += out.notYetDue
		if err != nil {
			tickErr = fmt.Errorf("fire bucket %s: %w", b.Format(time.RFC3339), err)
			break
		}
		if !out.drained {
			res.Behind = true
			break
		}
		// Buckets are settled in order, so the cursor never skips one that
		// still holds timers.
		if settled.Equal(b.Add(-BucketWidth)) && !now.Before(b.Add(BucketWidth+Settle)) {
			settled = b
		}
	}
	// Progress made before a failure is kept, so a failing bucket does not
	// make the buckets before it be read again.
	if settled.After(cursor) {
		if err := w.store.SetCursor(ctx, settled); err != nil {
			return res, errors.Join(tickErr, fmt.Errorf("advance timer cursor to %s: %w", settled.Format(time.RFC3339), err))
		}
		res.Cursor = settled
	}
	return res, tickErr
}

// outOfTime reports whether the invocation is too close to its deadline to
// start more work and still save the cursor.
func (w *Wheel) outOfTime(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	return ok && time.Until(deadline) < w.reserve
}

type bucketOutcome struct {
	fired, notYetDue int
	// drained is false when a shard stopped early for lack of time.
	drained bool
}

// fireBucket drains the shards of one bucket in parallel; the shards are
// separate partitions, so this is where sharding pays off for a big minute.
func (w *Wheel) fireBucket(ctx context.Context, bucket, now time.Time) (bucketOutcome, error) {
	marks, err := w.store.Marks(ctx, bucket)
	if err != nil {
		return bucketOutcome{}, fmt.Errorf("read marks: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		out      = bucketOutcome{drained: true}
		firstErr error
	)
	for shard := range Shards + LateShards {
		wg.Go(func() {
			o, err := w.fireShard(ctx, bucket, shard, marks[shard], now)
			mu.Lock()
			defer mu.Unlock()
			out.fired += o.fired
			out.notYetDue += o.notYetDue
			out.drained = out.drained && o.drained
			if err != nil && firstErr == nil {
				// The other shards stop too: the bucket is retried as a
				// whole next tick, and their errors would only be the
				// cancellation this causes.
				firstErr = err
				cancel()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		out.drained = false
	}
	return out, firstErr
}

// fireShard fires one shard of a bucket a page at a time, from after its
// mark; each page is dispatched, then the mark moves past it (a late
// shard's page is deleted instead) before the next is read.
func (w *Wheel) fireShard(ctx context.Context, bucket time.Time, shard int, mark Position, now time.Time) (bucketOutcome, error) {
	out := bucketOutcome{drained: true}
	late := IsLate(shard)
	if late {
		mark = Position{}
	}
	fired := map[string]bool{}
	for {
		if w.outOfTime(ctx) {
			out.drained = false
			return out, nil
		}
		page, err := w.store.DueTimers(ctx, bucket, shard, mark, w.pageSize)
		if err != nil {
			return out, fmt.Errorf("read shard %d: %w", shard, err)
		}
		due := make([]Timer, 0, len(page))
		msgs := make([]tracking.Message, 0, len(page))
		// early are the timers due after now that the lookahead fires
		// now, in due order, each with the delay it is handed over with.
		var early []Timer
		var delays []time.Duration
		for _, t := range page {
			var delay time.Duration
			if t.Due.After(now) {
				delay = w.delayFor(t, now)
				if delay == 0 {
					// Pages come in due order: the rest of the shard is later.
					out.notYetDue = len(page) - len(due) - len(early)
					break
				}
			}
			k := t.ID + "\x00" + t.Due.Format(time.RFC3339Nano)
			if fired[k] {
				// Paging relies on fired timers disappearing (deleted, or
				// behind the mark); reading one again would loop for ever.
				return out, fmt.Errorf("shard %d: timer %s read again after it was fired", shard, t.ID)
			}
			fired[k] = true
			if delay > 0 {
				early, delays = append(early, t), append(delays, delay)
				continue
			}
			due = append(due, t)
			msgs = append(msgs, t.Message(now))
		}
		if len(due) > 0 {
			if err := w.dispatchRoutes(ctx, due, msgs); err != nil {
				return out, fmt.Errorf("dispatch %d timers of shard %d: %w", len(due), shard, err)
			}
		}
		if len(early) > 0 {
			if err := w.dispatchEarly(ctx, early, delays, now); err != nil {
				return out, fmt.Errorf("dispatch %d timers of shard %d ahead of time: %w", len(early), shard, err)
			}
			due = append(due, early...)
		}
		if len(due) > 0 {
			if late {
				if err := w.store.DeleteTimers(ctx, due); err != nil {
					return out, fmt.Errorf("delete %d fired timers of shard %d: %w", len(due), shard, err)
				}
			} else {
				// What fired is the start of the page, in order (the due
				// timers, then the early ones), so its last is the furthest.
				mark = due[len(due)-1].Position()
				if err := w.store.SetMark(ctx, bucket, shard, mark); err != nil {
					return out, fmt.Errorf("mark %d fired timers of shard %d: %w", len(due), shard, err)
				}
			}
			out.fired += len(due)
		}
		if out.notYetDue > 0 || len(page) < w.pageSize {
			return out, nil
		}
	}
}

// delayFor is the delay a timer due after now is fired with under the
// lookahead: its time to due rounded up to DelayStep, or 0 when it is
// beyond the lookahead or its route's dispatcher cannot delay (it waits
// for a later tick).
func (w *Wheel) delayFor(t Timer, now time.Time) time.Duration {
	if w.lookahead <= 0 || t.Due.After(now.Add(w.lookahead)) {
		return 0
	}
	if _, ok := w.dispatcherFor(t.Route).(DelayDispatcher); !ok {
		return 0
	}
	step := (t.Due.Sub(now) + DelayStep - 1) / DelayStep
	return step * DelayStep
}

// dispatchEarly hands timers due after now to their dispatchers with their
// delays, one call per run of timers with the same route and delay (pages
// are in due order, so a run is a DelayStep of due times). Each message
// is received when it is due: its ReceivedAt is its due time, which the
// event pipeline takes as when it arrived.
func (w *Wheel) dispatchEarly(ctx context.Context, early []Timer, delays []time.Duration, now time.Time) error {
	for i := 0; i < len(early); {
		j := i
		var msgs []tracking.Message
		for ; j < len(early) && delays[j] == delays[i] && early[j].Route == early[i].Route; j++ {
			msgs = append(msgs, early[j].Message(now.Add(delays[j])))
		}
		d, _ := w.dispatcherFor(early[i].Route).(DelayDispatcher)
		if err := d.DispatchDelayed(ctx, msgs, delays[i]); err != nil {
			return fmt.Errorf("route %q, %s ahead: %w", early[i].Route, delays[i], err)
		}
		i = j
	}
	return nil
}

// dispatcherFor is the dispatcher of a route ("" the event pipeline's);
// nil for a route nobody added.
func (w *Wheel) dispatcherFor(route string) Dispatcher {
	if route == "" {
		return w.dispatch
	}
	return w.routes[route]
}

// dispatchRoutes hands each route's messages to its dispatcher, the
// contacts' events to the pipeline's.
func (w *Wheel) dispatchRoutes(ctx context.Context, due []Timer, msgs []tracking.Message) error {
	byRoute := map[string][]tracking.Message{}
	var order []string
	for i, t := range due {
		if _, ok := byRoute[t.Route]; !ok {
			order = append(order, t.Route)
		}
		byRoute[t.Route] = append(byRoute[t.Route], msgs[i])
	}
	for _, r := range order {
		d := w.dispatcherFor(r)
		if d == nil {
			return fmt.Errorf("no dispatcher for timer route %q", r)
		}
		if err := d.Dispatch(ctx, byRoute[r]); err != nil {
			return fmt.Errorf("route %q: %w", r, err)
		}
	}
	return nil
}
