package dynamo_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb/types"
	"github.com/leadflow/leadflow/shared/fn/timersfn"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

// TestTimerStoreDynamoDB runs the timer adapter against DynamoDB Local, one
// server for all subtests and a fresh table for each. A missing install
// fails the test: skipping would let the adapter go untested unnoticed.
func TestTimerStoreDynamoDB(t *testing.T) {
	db := localDB
	tables := 0
	newStore := func(t *testing.T) (*dynamo.Store, string) {
		t.Helper()
		tables++
		name := fmt.Sprintf("timers-%d", tables)
		if err := dynamo.CreateTable(t.Context(), db, name); err != nil {
			t.Fatal(err)
		}
		return dynamo.New(db, name), name
	}

	t.Run("due order, ids with '#', properties and idempotent puts", func(t *testing.T) {
		st, _ := newStore(t)
		ctx := t.Context()
		bucket := time.Date(2025, 3, 10, 9, 1, 0, 0, time.UTC)
		ids := idsInShard(0, 4)
		// Go's RFC3339Nano would write "…:01.5Z" and "…:01Z", which sort
		// the wrong way round; the store must keep due order.
		put := []timer.Timer{
			{ID: ids[0], ContactID: "c0", Event: "e", Due: bucket.Add(1500 * time.Millisecond)},
			{ID: ids[1], ContactID: "c1", Event: "e", Due: bucket.Add(time.Second)},
			{ID: ids[2], ContactID: "c2", Event: "e", Due: bucket.Add(59*time.Second + 999999999), Properties: map[string]any{"journey": "welcome", "step": float64(3), "tags": []any{"a", "b"}}},
			{ID: ids[3], ContactID: "c3", Event: "Wait Finished", Due: bucket},
		}
		for _, x := range append(put, put[1]) { // put[1] twice: one item
			if err := st.PutTimer(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.DueTimers(ctx, bucket, 0, timer.Position{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []timer.Timer{put[3], put[1], put[0], put[2]}
		if len(got) != len(want) {
			t.Fatalf("read %d timers, want %d: %+v", len(got), len(want), got)
		}
		for i := range want {
			if got[i].ID != want[i].ID || got[i].ContactID != want[i].ContactID || got[i].Event != want[i].Event ||
				!got[i].Due.Equal(want[i].Due) || fmt.Sprint(got[i].Properties) != fmt.Sprint(want[i].Properties) || got[i].Shard != 0 {
				t.Errorf("timer %d: got %+v, want %+v", i, got[i], want[i])
			}
		}
		// After a position (a shard's mark): only what sorts after it.
		after, err := st.DueTimers(ctx, bucket, 0, put[1].Position(), 10)
		if err != nil || len(after) != 2 || after[0].ID != put[0].ID || after[1].ID != put[2].ID {
			t.Errorf("after %s read %d timers starting %q (%v), want the last two", put[1].ID, len(after), firstID(after), err)
		}
		if other, err := st.DueTimers(ctx, bucket, 1, timer.Position{}, 10); err != nil || len(other) != 0 {
			t.Errorf("shard 1 holds %d timers (%v), want none", len(other), err)
		}
		if next, err := st.DueTimers(ctx, bucket.Add(time.Minute), 0, timer.Position{}, 10); err != nil || len(next) != 0 {
			t.Errorf("next bucket holds %d timers (%v), want none", len(next), err)
		}
	})

	t.Run("item keys and ttl as KEYS.md documents them", func(t *testing.T) {
		st, table := newStore(t)
		due := time.Date(2025, 3, 10, 9, 1, 2, 500000000, time.UTC)
		x := timer.Timer{ID: "run-7:step#2", ContactID: "c", Event: "e", Due: due, Shard: timer.LateShardOf("run-7:step#2")}
		if err := st.PutTimer(t.Context(), x); err != nil {
			t.Fatal(err)
		}
		get := func(pk, sk string) map[string]types.AttributeValue {
			t.Helper()
			res, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{
				TableName: aws.String(table),
				Key:       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk}},
			})
			if err != nil || res.Item == nil {
				t.Fatalf("no item at its documented key %s / %s (%v)", pk, sk, err)
			}
			return res.Item
		}
		item := get("T#2025-03-10T09:01:00Z#"+strconv.Itoa(x.Shard), "2025-03-10T09:01:02.500000000Z#run-7:step#2")
		if x.Shard < timer.Shards {
			t.Fatalf("late shard %d is a regular one", x.Shard)
		}
		ttl, _ := item["ttl"].(*types.AttributeValueMemberN)
		if ttl == nil || ttl.Value != strconv.FormatInt(due.Add(7*24*time.Hour).Unix(), 10) {
			t.Errorf("ttl %+v, want due + 7 days", item["ttl"])
		}
		if _, ok := item["gsi1pk"]; ok {
			t.Error("timer items must stay out of gsi1")
		}
		bucket := timer.BucketOf(due)
		if err := st.SetMark(t.Context(), bucket, 4, x.Position()); err != nil {
			t.Fatal(err)
		}
		mark := get("TM#2025-03-10T09:01:00Z", "4")
		if m, _ := mark["m"].(*types.AttributeValueMemberS); m == nil || m.Value != "2025-03-10T09:01:02.500000000Z#run-7:step#2" {
			t.Errorf("mark %+v, want the timer's sort key", mark["m"])
		}
		if ttl, _ := mark["ttl"].(*types.AttributeValueMemberN); ttl == nil || ttl.Value != strconv.FormatInt(bucket.Add(7*24*time.Hour).Unix(), 10) {
			t.Errorf("mark ttl %+v, want the bucket + 7 days", mark["ttl"])
		}
	})

	t.Run("limit, paging past 1 MB and batched deletes", func(t *testing.T) {
		st, _ := newStore(t)
		ctx := t.Context()
		bucket := time.Date(2025, 3, 10, 9, 2, 0, 0, time.UTC)
		ids := idsInShard(3, 110)
		// 110 items of ~12 KB: a query of 100 crosses DynamoDB's 1 MB page.
		big := strings.Repeat("x", 12*1024)
		var all []timer.Timer
		for i, id := range ids {
			x := timer.Timer{ID: id, ContactID: "c", Event: "e", Due: bucket.Add(time.Duration(i) * time.Millisecond), Properties: map[string]any{"p": big}, Shard: 3}
			if err := st.PutTimer(ctx, x); err != nil {
				t.Fatal(err)
			}
			all = append(all, x)
		}
		page, err := st.DueTimers(ctx, bucket, 3, timer.Position{}, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 100 || page[0].ID != ids[0] || page[99].ID != ids[99] {
			t.Fatalf("first page has %d timers, want the first 100 in due order", len(page))
		}
		// 100 deletes is four BatchWriteItem calls; a missing timer is no error.
		gone := append(slices.Clone(page), timer.Timer{ID: "never-stored", Due: bucket, Shard: 3})
		if err := st.DeleteTimers(ctx, gone); err != nil {
			t.Fatal(err)
		}
		rest, err := st.DueTimers(ctx, bucket, 3, timer.Position{}, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(rest) != 10 || rest[0].ID != ids[100] {
			t.Fatalf("after deleting 100, read %d timers starting %q; want the last 10", len(rest), firstID(rest))
		}
		if err := st.DeleteTimers(ctx, rest); err != nil {
			t.Fatal(err)
		}
		if left, _ := st.DueTimers(ctx, bucket, 3, timer.Position{}, 100); len(left) != 0 {
			t.Errorf("%d timers left", len(left))
		}
	})

	t.Run("cursor only moves forward", func(t *testing.T) {
		st, _ := newStore(t)
		ctx := t.Context()
		if _, ok, err := st.Cursor(ctx); err != nil || ok {
			t.Fatalf("fresh table has a cursor (%v, %v)", ok, err)
		}
		b := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
		steps := []struct {
			set, want time.Time
		}{
			{b, b},
			{b.Add(5 * time.Minute), b.Add(5 * time.Minute)},
			{b.Add(2 * time.Minute), b.Add(5 * time.Minute)}, // a slower, overlapping tick
			{b.Add(5 * time.Minute), b.Add(5 * time.Minute)},
			{b.Add(24 * time.Hour), b.Add(24 * time.Hour)},
		}
		for _, s := range steps {
			if err := st.SetCursor(ctx, s.set); err != nil {
				t.Fatalf("set %s: %v", s.set, err)
			}
			got, ok, err := st.Cursor(ctx)
			if err != nil || !ok || !got.Equal(s.want) {
				t.Errorf("after setting %s: cursor %s (%v, %v), want %s", s.set, got, ok, err, s.want)
			}
		}
	})

	t.Run("marks only move forward, per bucket and shard", func(t *testing.T) {
		st, _ := newStore(t)
		ctx := t.Context()
		b := time.Date(2025, 3, 10, 9, 3, 0, 0, time.UTC)
		if got, err := st.Marks(ctx, b); err != nil || len(got) != 0 {
			t.Fatalf("fresh bucket has marks %v (%v)", got, err)
		}
		p := func(sec int, id string) timer.Position {
			return timer.Position{Due: b.Add(time.Duration(sec) * time.Second), ID: id}
		}
		for _, m := range []struct {
			shard int
			p     timer.Position
		}{
			{2, p(10, "b")},
			{2, p(10, "a")}, // a slower, overlapping tick: same time, earlier id
			{2, p(5, "z")},  // earlier time
			{15, p(59, "x")},
			{15, p(59, "y")},
		} {
			if err := st.SetMark(ctx, b, m.shard, m.p); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.Marks(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[2] != p(10, "b") || got[15] != p(59, "y") {
			t.Errorf("marks %+v, want shard 2 at 10s/b and 15 at 59s/y", got)
		}
		if other, err := st.Marks(ctx, b.Add(time.Minute)); err != nil || len(other) != 0 {
			t.Errorf("the next bucket has marks %v (%v)", other, err)
		}
	})

	t.Run("wheel on DynamoDB fires decodable track events", func(t *testing.T) {
		st, _ := newStore(t)
		ctx := t.Context()
		start := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
		if err := st.SetCursor(ctx, start); err != nil {
			t.Fatal(err)
		}
		q := &bodyQueue{}
		clock := start
		now := func() time.Time { return clock }
		wheel := timer.NewWheel(st, timersfn.NewQueueDispatcher(q, now), now)
		due := map[string]time.Time{}
		for i := range 120 {
			id := fmt.Sprintf("journey-1:run-%d:wait", i)
			d := start.Add(time.Minute + time.Duration(i)*2*time.Second) // 09:01:00 .. 09:04:58
			if err := wheel.Schedule(ctx, timer.Timer{ID: id, ContactID: fmt.Sprintf("contact-%d", i), Event: "Wait Finished", Due: d}); err != nil {
				t.Fatal(err)
			}
			due[id] = d
		}
		clock = start.Add(4*time.Minute + 30*time.Second) // 09:04:30: the last 14 are not due
		res, err := wheel.Tick(ctx, clock)
		if err != nil {
			t.Fatal(err)
		}
		if res.Fired != 106 || res.Buckets != 4 || !res.Cursor.Equal(start.Add(2*time.Minute)) {
			t.Errorf("first tick %+v, want 106 fired over 4 buckets and the cursor at 09:02", res)
		}
		clock = start.Add(6 * time.Minute)
		if res, err = wheel.Tick(ctx, clock); err != nil || res.Fired != 14 {
			t.Fatalf("second tick %+v (%v), want the remaining 14", res, err)
		}

		fired := map[string]bool{}
		for _, body := range q.bodies {
			b, err := tracking.DecodeBatch(body)
			if err != nil {
				t.Fatalf("queued body does not decode: %v", err)
			}
			for _, m := range b.Messages {
				id, ok := strings.CutPrefix(m.MessageID, "timer:")
				if !ok || due[id].IsZero() {
					t.Fatalf("message id %q names no scheduled timer", m.MessageID)
				}
				var n int
				fmt.Sscanf(id, "journey-1:run-%d:wait", &n)
				if m.Type != "track" || m.ContactID != fmt.Sprintf("contact-%d", n) || m.Event != "Wait Finished" || !m.Timestamp.Equal(due[id]) {
					t.Errorf("message %+v", m)
				}
				if fired[id] {
					t.Errorf("timer %s fired twice", id)
				}
				fired[id] = true
			}
		}
		if len(fired) != len(due) {
			t.Errorf("fired %d of %d timers", len(fired), len(due))
		}
		// Nothing is left to fire: late shards are empty, regular ones hold
		// their fired timers (for the TTL) behind their marks.
		kept := 0
		for m := range 8 {
			bucket := start.Add(time.Duration(m) * time.Minute)
			marks, err := st.Marks(ctx, bucket)
			if err != nil {
				t.Fatal(err)
			}
			for shard := range timer.Shards + timer.LateShards {
				if left, err := st.DueTimers(ctx, bucket, shard, marks[shard], 10); err != nil || len(left) != 0 {
					t.Errorf("bucket %d shard %d still holds %d timers to fire (%v)", m, shard, len(left), err)
				}
				all, _ := st.DueTimers(ctx, bucket, shard, timer.Position{}, 200)
				if timer.IsLate(shard) && len(all) > 0 {
					t.Errorf("late shard %d of bucket %d holds %d fired timers", shard, m, len(all))
				}
				if !timer.IsLate(shard) {
					kept += len(all)
				}
			}
		}
		// The clock scheduled them at 09:00: those due from 09:03 (the late
		// horizon) on went to regular shards, the earlier ones to late ones.
		if kept != 60 {
			t.Errorf("%d fired timers kept in regular shards, want the 60 due from 09:03", kept)
		}
	})
}

// idsInShard returns n timer ids that fall in the given shard, so a test can
// fill one partition.
func idsInShard(shard, n int) []string {
	var ids []string
	for i := 0; len(ids) < n; i++ {
		id := fmt.Sprintf("timer-%05d#x", i)
		if timer.ShardOf(id) == shard {
			ids = append(ids, id)
		}
	}
	return ids
}

func firstID(ts []timer.Timer) string {
	if len(ts) == 0 {
		return ""
	}
	return ts[0].ID
}

type bodyQueue struct {
	mu     sync.Mutex
	bodies []string
}

func (q *bodyQueue) Enqueue(_ context.Context, body string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.bodies = append(q.bodies, body)
	return nil
}
