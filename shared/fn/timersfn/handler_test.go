package timersfn

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

func TestConfigFromEnv(t *testing.T) {
	queueVar, campVar := catalog.QueueURLEnv(catalog.EventsQueue), catalog.QueueURLEnv(catalog.CampaignsQueue)
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr bool
	}{
		{name: "all set", env: map[string]string{catalog.EnvTableName: "leadflow", queueVar: "https://sqs/q", campVar: "https://sqs/c"},
			want: Config{Table: "leadflow", QueueURL: "https://sqs/q", CampaignsQueueURL: "https://sqs/c"}},
		{name: "no campaigns queue", env: map[string]string{catalog.EnvTableName: "leadflow", queueVar: "https://sqs/q"}, wantErr: true},
		{name: "no table", env: map[string]string{queueVar: "https://sqs/q", campVar: "https://sqs/c"}, wantErr: true},
		{name: "no queue", env: map[string]string{catalog.EnvTableName: "leadflow"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %v", err, tc.wantErr)
			}
			if !tc.wantErr && got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// memStore is the smallest timer.Store that keeps due order and the
// shards' marks; the wheel's own tests cover buckets, shards and paging.
// Timers written straight to it (not through Schedule) are in shard 0.
type memStore struct {
	mu     sync.Mutex
	timers []timer.Timer
	marks  map[string]timer.Position // bucket|shard -> mark
	cursor *time.Time
}

func markKey(bucket time.Time, shard int) string { return fmt.Sprintf("%s|%d", bucket.UTC(), shard) }

func (m *memStore) PutTimer(_ context.Context, t timer.Timer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.timers = append(m.timers, t)
	sort.SliceStable(m.timers, func(i, j int) bool { return m.timers[i].Position().Before(m.timers[j].Position()) })
	return nil
}

func (m *memStore) DueTimers(_ context.Context, bucket time.Time, shard int, after timer.Position, limit int) ([]timer.Timer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []timer.Timer
	for _, t := range m.timers {
		if timer.BucketOf(t.Due).Equal(bucket) && t.Shard == shard && after.Before(t.Position()) && len(out) < limit {
			out = append(out, t)
		}
	}
	return out, nil
}

func (m *memStore) DeleteTimers(_ context.Context, ts []timer.Timer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range ts {
		m.timers = slices.DeleteFunc(m.timers, func(t timer.Timer) bool { return t.ID == d.ID && t.Due.Equal(d.Due) && t.Shard == d.Shard })
	}
	return nil
}

func (m *memStore) Marks(_ context.Context, bucket time.Time) (map[int]timer.Position, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[int]timer.Position{}
	for s := range timer.Shards + timer.LateShards {
		if p, ok := m.marks[markKey(bucket, s)]; ok {
			out[s] = p
		}
	}
	return out, nil
}

func (m *memStore) SetMark(_ context.Context, bucket time.Time, shard int, p timer.Position) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.marks == nil {
		m.marks = map[string]timer.Position{}
	}
	if old, ok := m.marks[markKey(bucket, shard)]; !ok || old.Before(p) {
		m.marks[markKey(bucket, shard)] = p
	}
	return nil
}

// pending is the timers not fired yet: stored and after their shard's mark.
func (m *memStore) pending() []timer.Timer {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []timer.Timer
	for _, t := range m.timers {
		if mark, ok := m.marks[markKey(timer.BucketOf(t.Due), t.Shard)]; !ok || mark.Before(t.Position()) {
			out = append(out, t)
		}
	}
	return out
}

func (m *memStore) Cursor(context.Context) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cursor == nil {
		return time.Time{}, false, nil
	}
	return *m.cursor, true, nil
}

func (m *memStore) SetCursor(_ context.Context, b time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cursor == nil || b.After(*m.cursor) {
		m.cursor = &b
	}
	return nil
}

type fakeQueue struct {
	mu     sync.Mutex
	bodies []string
	err    error
}

func (q *fakeQueue) Enqueue(_ context.Context, body string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.bodies = append(q.bodies, body)
	return nil
}

// decoded reads every queued body back the way the processor does.
func (q *fakeQueue) decoded(t *testing.T) []tracking.Batch {
	t.Helper()
	var out []tracking.Batch
	for _, body := range q.bodies {
		b, err := tracking.DecodeBatch(body)
		if err != nil {
			t.Fatalf("queued body does not decode: %v", err)
		}
		out = append(out, b)
	}
	return out
}

var base = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

func fixture(t *testing.T, name string) events.EventBridgeEvent {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

// newHandler wires the real handler and dispatcher around fakes; logs go
// to the returned buffer as JSON, as in Lambda.
func newHandler(st timer.Store, q Enqueuer, now time.Time) (*Handler, *bytes.Buffer) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	clock := func() time.Time { return now }
	wheel := timer.NewWheel(st, NewQueueDispatcher(q, clock), clock)
	return NewWith(wheel, log, clock), &logs
}

func TestHandleFiresTimersToTheQueue(t *testing.T) {
	for _, fx := range []string{"scheduled-event.json", "scheduler-no-input.json"} {
		t.Run(fx, func(t *testing.T) {
			st := &memStore{cursor: ptr(base)}
			var want []string
			for i := range 40 {
				id := fmt.Sprintf("run%d:wait", i)
				st.PutTimer(context.Background(), timer.Timer{
					ID: id, ContactID: fmt.Sprintf("contact-%d", i), Event: "Wait Finished",
					Properties: map[string]any{"journey": "welcome"}, Due: base.Add(time.Minute + time.Duration(i)*time.Second),
				})
				want = append(want, id)
			}
			// A timer not yet due stays for a later tick.
			st.PutTimer(context.Background(), timer.Timer{ID: "later", ContactID: "c", Event: "Wait Finished", Due: base.Add(5*time.Minute + 30*time.Second)})
			q := &fakeQueue{}
			now := base.Add(5*time.Minute + 2*time.Second)
			h, logs := newHandler(st, q, now)
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-123"})

			res, err := h.Handle(ctx, fixture(t, fx))
			if err != nil {
				t.Fatal(err)
			}
			if res.Fired != 40 || res.NotYetDue != 1 {
				t.Errorf("result %+v, want 40 fired and 1 not yet due", res)
			}
			var got []string
			for _, b := range q.decoded(t) {
				if b.SiteKey != InternalSiteKey || b.RequestID != "req-123" || !b.ReceivedAt.Equal(now) {
					t.Errorf("batch envelope site=%q request=%q received=%s", b.SiteKey, b.RequestID, b.ReceivedAt)
				}
				for _, m := range b.Messages {
					id, ok := strings.CutPrefix(m.MessageID, "timer:")
					if !ok {
						t.Errorf("messageId %q does not start with timer:", m.MessageID)
					}
					var n int
					fmt.Sscanf(id, "run%d:wait", &n)
					if m.Type != tracking.TypeTrack || m.ContactID != fmt.Sprintf("contact-%d", n) || m.Event != "Wait Finished" ||
						m.Properties["journey"] != "welcome" || !m.Timestamp.Equal(base.Add(time.Minute+time.Duration(n)*time.Second)) {
						t.Errorf("message %+v", m)
					}
					got = append(got, id)
				}
			}
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("queued %d timers, want %d", len(got), len(want))
			}
			// One queue message per shard page, not one per timer.
			if len(q.bodies) > timer.Shards {
				t.Errorf("%d queue messages for 40 timers", len(q.bodies))
			}
			if lines := strings.Count(strings.TrimSpace(logs.String()), "\n") + 1; lines != 1 {
				t.Errorf("%d log lines for one tick, want 1:\n%s", lines, logs)
			}
			var line map[string]any
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil || line["fired"] != float64(40) || line["msg"] != "timer tick" {
				t.Errorf("log line %s (%v)", logs.String(), err)
			}
		})
	}
}

func TestHandleQueueFailure(t *testing.T) {
	st := &memStore{cursor: ptr(base)}
	st.PutTimer(context.Background(), timer.Timer{ID: "a", ContactID: "c", Event: "e", Due: base.Add(time.Minute)})
	q := &fakeQueue{err: errors.New("AWS.SimpleQueueService.NonExistentQueue")}
	h, logs := newHandler(st, q, base.Add(5*time.Minute))
	_, err := h.Handle(context.Background(), fixture(t, "scheduled-event.json"))
	if err == nil || !strings.Contains(err.Error(), "NonExistentQueue") {
		t.Fatalf("error %v, want the queue failure", err)
	}
	if len(st.pending()) != 1 || !st.cursor.Equal(base) {
		t.Errorf("after a failed dispatch: %d timers left, cursor %s; want the timer kept and the cursor unmoved", len(st.pending()), st.cursor)
	}
	if !strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("no error logged: %s", logs)
	}
}

func TestDispatchSplitsLargeBatches(t *testing.T) {
	q := &fakeQueue{}
	d := NewQueueDispatcher(q, func() time.Time { return base })
	// Random-looking properties barely compress, so the batch must split.
	rnd := rand.New(rand.NewPCG(1, 2))
	var msgs []tracking.Message
	for i := range 60 {
		raw := make([]byte, 6000)
		for j := range raw {
			raw[j] = byte(rnd.Uint32())
		}
		big := hex.EncodeToString(raw)
		msgs = append(msgs, timer.Timer{ID: fmt.Sprint(i), ContactID: "c", Event: "e", Properties: map[string]any{"p": big}, Due: base}.Message(base))
	}
	if err := d.Dispatch(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	if len(q.bodies) < 2 {
		t.Fatalf("%d queue messages, want the batch split", len(q.bodies))
	}
	n := 0
	for _, b := range q.decoded(t) {
		n += len(b.Messages)
		if b.RequestID != "timer:0" {
			t.Errorf("outside Lambda the request id is %q, want the first timer's message id", b.RequestID)
		}
	}
	for _, body := range q.bodies {
		if len(body) > tracking.MaxQueueBody {
			t.Errorf("queue body of %d bytes", len(body))
		}
	}
	if n != 60 {
		t.Errorf("%d messages across the split batches, want 60", n)
	}
}

func ptr[T any](v T) *T { return &v }

// NewMemTimers is a memStore for the fixture tests (package
// timersfn_test), so both test files drive the handler with one in-memory
// wheel store; cursor is the last bucket fully fired.
func NewMemTimers(cursor time.Time) *memStore { return &memStore{cursor: &cursor} }

// Pending is pending, for the fixture tests.
func (m *memStore) Pending() []timer.Timer { return m.pending() }
