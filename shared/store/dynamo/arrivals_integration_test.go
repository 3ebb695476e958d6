package dynamo_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/membership"
)

// TestArrivalsLogDynamoDB: ids logged in a shard come back by page, oldest
// item first, each once, whatever the page size; another shard's stay
// apart; a made-up cursor is refused.
func TestArrivalsLogDynamoDB(t *testing.T) {
	_, st := localTable(t, "arrivals")
	ctx := t.Context()
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var want []string
	for item := range 7 {
		var ids []string
		for range item*9 + 1 { // items of 1, 10, ..., 55 ids
			ids = append(ids, contact.NewID())
		}
		ids = append(ids, fmt.Sprintf("c_imported%d", item))
		if err := st.LogArrivals(ctx, 3, ids, at.Add(time.Duration(item)*time.Second)); err != nil {
			t.Fatal(err)
		}
		want = append(want, ids...)
	}
	if err := st.LogArrivals(ctx, 4, []string{"c_other"}, at); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 25, 100, 1000} {
		var got []string
		cursor, pages := "", 0
		for {
			ids, next, err := st.ArrivalsPage(ctx, 3, cursor, limit)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids...)
			pages++
			if next == "" {
				break
			}
			cursor = next
		}
		if !slices.Equal(got, want) {
			t.Fatalf("limit %d: %d ids in %d pages, want the %d logged, in order", limit, len(got), pages, len(want))
		}
		if limit == 25 && pages != 5 { // whole items: 2+11+20, 29, 38, 47, 56
			t.Errorf("limit 25: %d pages for %d ids", pages, len(got))
		}
	}
	if ids, next, err := st.ArrivalsPage(ctx, 4, "", 100); err != nil || next != "" || !slices.Equal(ids, []string{"c_other"}) {
		t.Errorf("shard 4: %v %q %v", ids, next, err)
	}
	if _, _, err := st.ArrivalsPage(ctx, 3, "bm9wZQ", 10); err == nil {
		t.Error("a made-up cursor was accepted")
	}
	if err := st.LogArrivals(ctx, membership.Shards, []string{"x"}, at); err == nil {
		t.Error("a shard out of range was accepted")
	}
}
