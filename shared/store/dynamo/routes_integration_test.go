package dynamo_test

import (
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// TestRouteClaimsAndCountersDynamoDB runs the routing adapter against
// DynamoDB Local. A missing install fails the test rather than skipping it.
func TestRouteClaimsAndCountersDynamoDB(t *testing.T) {
	_, st := localTable(t, "routes")
	ctx := t.Context()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

	t.Run("a claim is new, then open until finished, then done", func(t *testing.T) {
		steps := []struct {
			finish bool
			want   dynamo.RouteState
		}{
			{false, dynamo.RouteNew},
			{false, dynamo.RouteOpen}, // redelivered before finishing: redo the rest
			{true, dynamo.RouteOpen},
			{false, dynamo.RouteDone},
			{false, dynamo.RouteDone},
		}
		for i, s := range steps {
			got, err := st.ClaimRoute(ctx, "q-1", "c_1", now)
			if err != nil {
				t.Fatal(err)
			}
			if got != s.want {
				t.Fatalf("claim %d: %s, want %s", i, got, s.want)
			}
			if s.finish {
				if err := st.FinishRoute(ctx, "q-1", now); err != nil {
					t.Fatal(err)
				}
			}
		}
		if got, _ := st.ClaimRoute(ctx, "q-2", "c_1", now); got != dynamo.RouteNew {
			t.Errorf("another request: %s, want new", got)
		}
	})

	t.Run("counters start at 0, are per team and never repeat under concurrency", func(t *testing.T) {
		if v, err := st.NextCounter(ctx, "growth"); err != nil || v != 0 {
			t.Fatalf("first draw = %d, %v; want 0", v, err)
		}
		if v, _ := st.NextCounter(ctx, "enterprise"); v != 0 {
			t.Errorf("other team's first draw = %d, want 0", v)
		}
		var mu sync.Mutex
		seen := map[int64]bool{}
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				v, err := st.NextCounter(ctx, "growth")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[v] = true
				mu.Unlock()
			})
		}
		wg.Wait()
		for v := int64(1); v <= 20; v++ {
			if !seen[v] {
				t.Errorf("value %d never drawn; got %v", v, seen)
			}
		}
	})
}
