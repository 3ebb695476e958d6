package timersfn_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/fn/timersfn"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

type fixtureQueue struct {
	mu     sync.Mutex
	bodies []string
}

func (q *fixtureQueue) Enqueue(_ context.Context, body string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.bodies = append(q.bodies, body)
	return nil
}

// TestSchedulerFixtureRunsATick feeds the event EventBridge Scheduler
// delivers (whose detail is the string "{}") to the real handler, decoded
// the way the Lambda runtime decodes it, and checks the due timers reach
// the events queue as tracking batches.
func TestSchedulerFixtureRunsATick(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "events", "scheduled", "timers-tick.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("the runtime could not decode the scheduler's event: %v", err)
	}

	// The invocation runs a moment after the schedule's time.
	now := ev.Time.Add(1500 * time.Millisecond)
	cursor := timer.BucketOf(ev.Time).Add(-3 * time.Minute)
	store := timersfn.NewMemTimers(cursor)
	due := []timer.Timer{
		{ID: "run-7:wait-2d", ContactID: "c_01jnw8q5r3d9k2m4v6x8z0b2c4", Event: "Wait Finished", Properties: map[string]any{"journey": "welcome"}, Due: ev.Time.Add(-2 * time.Minute)},
		{ID: "send-41:scheduled", ContactID: "c_01jnw9a3c5e7g9j1k3m5p7r9t1", Event: "Send Due", Due: ev.Time.Add(-30 * time.Second)},
	}
	later := timer.Timer{ID: "run-8:wait-1h", ContactID: "c_01jnw9b4d6f8h0k2m4p6s8v0x2", Event: "Wait Finished", Due: ev.Time.Add(40 * time.Second)}
	for _, tm := range append(slices.Clone(due), later) {
		if err := store.PutTimer(context.Background(), tm); err != nil {
			t.Fatal(err)
		}
	}
	q := &fixtureQueue{}
	clock := func() time.Time { return now }
	h := timersfn.NewWith(timer.NewWheel(store, timersfn.NewQueueDispatcher(q, clock), clock), slog.New(slog.DiscardHandler), clock)

	res, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if res.Fired != len(due) || res.NotYetDue != 1 {
		t.Errorf("tick %+v, want %d fired and 1 not yet due", res, len(due))
	}
	var fired []string
	for _, body := range q.bodies {
		b, err := tracking.DecodeBatch(body)
		if err != nil {
			t.Fatalf("queued body does not decode: %v", err)
		}
		if b.SiteKey != timersfn.InternalSiteKey || !b.ReceivedAt.Equal(now) {
			t.Errorf("batch site %q received %s", b.SiteKey, b.ReceivedAt)
		}
		for _, m := range b.Messages {
			if m.Type != tracking.TypeTrack || m.ContactID == "" {
				t.Errorf("fired message %+v", m)
			}
			fired = append(fired, m.MessageID)
		}
	}
	sort.Strings(fired)
	want := []string{timer.MessageIDPrefix + due[0].ID, timer.MessageIDPrefix + due[1].ID}
	sort.Strings(want)
	if !slices.Equal(fired, want) {
		t.Errorf("fired %v, want %v", fired, want)
	}
	if left := store.Pending(); len(left) != 1 || left[0].ID != later.ID {
		t.Errorf("timers left %v, want only %s", left, later.ID)
	}
}

// TestWaveTimersGoToTheCampaignsQueue: a fired campaign wave reaches the
// campaigns queue as the wave's first message, and the contacts' timers
// of the same tick still reach the events queue.
func TestWaveTimersGoToTheCampaignsQueue(t *testing.T) {
	now := time.Date(2027, 1, 15, 0, 0, 30, 0, time.UTC)
	cursor := timer.BucketOf(now).Add(-2 * time.Minute)
	store := timersfn.NewMemTimers(cursor)
	clock := func() time.Time { return now }
	ctx := context.Background()
	wheel := timer.NewWheel(store, nil, clock)
	if err := (campaign.WheelWaves{Wheel: wheel}).ArmWave(ctx, "launch", "20270114T1000Z", campaign.PhaseAll, "Asia/Tokyo", now.Add(-30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := store.PutTimer(ctx, timer.Timer{ID: "run-1:w", ContactID: "c_1", Event: "Wait Finished", Due: now.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	evq, camps := &fixtureQueue{}, &fixtureQueue{}
	w := timer.NewWheel(store, timersfn.NewQueueDispatcher(evq, clock), clock).
		WithRoute(campaign.WaveRoute, timersfn.WaveDispatcher{Queue: camps, Log: slog.New(slog.DiscardHandler)})
	res, err := timersfn.NewWith(w, slog.New(slog.DiscardHandler), clock).Handle(ctx, events.EventBridgeEvent{})
	if err != nil || res.Fired != 2 {
		t.Fatalf("tick %+v, %v", res, err)
	}
	want := campaign.Chunk{Kind: campaign.ChunkWave, Campaign: "launch", Occurrence: "20270114T1000Z", Phase: campaign.PhaseAll, Zone: "Asia/Tokyo"}
	if len(camps.bodies) != 1 {
		t.Fatalf("campaigns queue %v", camps.bodies)
	}
	if got, err := campaign.DecodeChunk(camps.bodies[0]); err != nil || got != want {
		t.Errorf("wave message %+v, %v; want %+v", got, err, want)
	}
	if len(evq.bodies) != 1 || !strings.Contains(evq.bodies[0], "timer:run-1:w") || strings.Contains(evq.bodies[0], "launch") {
		t.Errorf("events queue %v", evq.bodies)
	}
}

// delayQueue is a fixtureQueue that also delays, recording each delay.
type delayQueue struct {
	fixtureQueue
	delays []time.Duration
}

func (q *delayQueue) EnqueueDelayed(ctx context.Context, body string, delay time.Duration) error {
	q.mu.Lock()
	q.delays = append(q.delays, delay)
	q.mu.Unlock()
	return q.Enqueue(ctx, body)
}

// TestWaveDueBeforeTheNextTickGoesOutOnADelay: with the handler's
// lookahead, a campaign wave due 40 s after the tick is handed to the
// campaigns queue at this tick with a delay that makes it arrive when
// due (rounded up to timer.DelayStep), instead of at the next tick, up to
// a minute late.
func TestWaveDueBeforeTheNextTickGoesOutOnADelay(t *testing.T) {
	now := time.Date(2027, 1, 15, 0, 0, 30, 0, time.UTC)
	cursor := timer.BucketOf(now).Add(-time.Minute)
	store := timersfn.NewMemTimers(cursor)
	clock := func() time.Time { return now }
	ctx := context.Background()
	at := now.Add(40 * time.Second)
	if err := (campaign.WheelWaves{Wheel: timer.NewWheel(store, nil, clock)}).ArmWave(ctx, "launch", "20270115T0100Z", campaign.PhaseAll, "Asia/Tokyo", at); err != nil {
		t.Fatal(err)
	}
	evq, camps := &delayQueue{}, &delayQueue{}
	w := timer.NewWheel(store, timersfn.NewQueueDispatcher(evq, clock), clock).
		WithRoute(campaign.WaveRoute, timersfn.WaveDispatcher{Queue: camps, Log: slog.New(slog.DiscardHandler)}).
		WithLookahead(timer.BucketWidth)
	res, err := timersfn.NewWith(w, slog.New(slog.DiscardHandler), clock).Handle(ctx, events.EventBridgeEvent{})
	if err != nil || res.Fired != 1 {
		t.Fatalf("tick %+v, %v; want the wave fired ahead", res, err)
	}
	if len(camps.bodies) != 1 || len(camps.delays) != 1 || camps.delays[0] != 40*time.Second {
		t.Fatalf("campaigns queue %v with delays %v, want the wave once, 40s ahead", camps.bodies, camps.delays)
	}
	want := campaign.Chunk{Kind: campaign.ChunkWave, Campaign: "launch", Occurrence: "20270115T0100Z", Phase: campaign.PhaseAll, Zone: "Asia/Tokyo"}
	if got, err := campaign.DecodeChunk(camps.bodies[0]); err != nil || got != want {
		t.Errorf("wave message %+v, %v; want %+v", got, err, want)
	}
	if len(evq.bodies) != 0 {
		t.Errorf("events queue %v: a wave belongs to the campaigns queue", evq.bodies)
	}
}
