package membership

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/tracking"
)

// memArrivals is the arrivals log in memory.
type memArrivals struct {
	mu     sync.Mutex
	items  [][]string
	shards []int
	fail   error
}

func (m *memArrivals) LogArrivals(_ context.Context, shard int, ids []string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.items = append(m.items, slices.Clone(ids))
	m.shards = append(m.shards, shard)
	return nil
}

func (m *memArrivals) ArrivalsPage(context.Context, int, string, int) ([]string, string, error) {
	return nil, "", errors.New("not used")
}

func (m *memArrivals) all() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, it := range m.items {
		out = append(out, it...)
	}
	slices.Sort(out)
	return out
}

func TestPackIDsRoundTrips(t *testing.T) {
	ids := []string{contact.NewID(), contact.AnonymousContactID("anon-1"), "c_bench0000001", "x", contact.NewID(),
		"c_" + "zzzzzzzzzzzzzzzzzzzzzzzzzz", "C_0123456789abcdefghjkmnpqrs"}
	b := PackIDs(ids)
	got, err := UnpackIDs(b)
	if err != nil || !slices.Equal(got, ids) {
		t.Fatalf("round trip: %v, %v; want %v", got, err, ids)
	}
	// Generated ids take 17 bytes each.
	if n := len(PackIDs([]string{contact.NewID(), contact.NewID()})); n != 34 {
		t.Errorf("two generated ids packed into %d bytes, want 34", n)
	}
	for _, bad := range [][]byte{{0, 1, 2}, {5, 'a'}, {0x80}} {
		if _, err := UnpackIDs(bad); err == nil {
			t.Errorf("UnpackIDs(%v) accepted", bad)
		}
	}
}

// The processor's reactor logs each contact created anonymous once, in
// one item per flush (per ArrivalsPerItem): not a contact that existed, not one created
// identified (the contacts index has it), not a change whose profile write
// failed; a failed log write is kept for the next flush.
func TestReactorLogsAnonymousArrivalsOncePerFlush(t *testing.T) {
	ix, fx := newMemIndex(), &sideEffects{}
	log := &memArrivals{}
	r := testReactor(t, ix, fx).WithArrivals(log)
	ctx := context.Background()
	change := func(id string, before *contact.Profile, email string) *contact.Change {
		after := &contact.Profile{ID: id, Email: email}
		if before != nil {
			after = before.Clone()
		}
		c := &contact.Change{Before: before, After: after, Now: t0, Commit: contact.Commit{ID: 7},
			Events: []tracking.Message{pricingView(id+"-m", t0)}}
		if err := r.React(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	var want []string
	for i := range 70 {
		id := fmt.Sprintf("c_new%02d", i)
		r.Committed(ctx, change(id, nil, ""))
		want = append(want, id)
	}
	r.Committed(ctx, change("c_known", nil, "ada@example.com"))
	r.Committed(ctx, change("c_old", &contact.Profile{ID: "c_old", Version: 3}, ""))
	change("c_lost", nil, "") // its profile write failed: never committed
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := log.all(); !slices.Equal(got, want) {
		t.Fatalf("logged %v, want the 70 new anonymous contacts", got)
	}
	if len(log.items) != 2 || len(log.items[0]) != ArrivalsPerItem || len(log.items[1]) != 70-ArrivalsPerItem {
		t.Errorf("items of %d and %d ids, want %d and %d", len(log.items[0]), len(log.items[len(log.items)-1]), ArrivalsPerItem, 70-ArrivalsPerItem)
	}
	// Nothing new: a flush logs nothing.
	if err := r.Flush(ctx); err != nil || len(log.items) != 2 {
		t.Errorf("empty flush: %v, %d items", err, len(log.items))
	}
	// A failed write is kept and written by the next flush.
	log.fail = errors.New("throttled")
	r.Committed(ctx, change("c_late", nil, ""))
	if err := r.Flush(ctx); err == nil {
		t.Error("a failed arrivals write was not reported")
	}
	log.fail = nil
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := log.items[len(log.items)-1]; !slices.Equal(got, []string{"c_late"}) {
		t.Errorf("after the failure, logged %v, want c_late", got)
	}
}
