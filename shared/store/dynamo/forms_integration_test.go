package dynamo_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFormStoreDynamoDB runs the rate-limit adapter against
// DynamoDB Local. A missing install fails the test rather than skipping it.
func TestFormStoreDynamoDB(t *testing.T) {
	_, st := localTable(t, "forms")

	t.Run("rate limit counts to the limit, concurrently, per window", func(t *testing.T) {
		ctx := t.Context()
		now := time.Date(2026, 11, 24, 10, 0, 30, 0, time.UTC)
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := st.Allow(ctx, "form-ip:t:abc", 5, time.Minute, now)
				if err != nil {
					t.Error(err)
				}
				if ok {
					allowed.Add(1)
				}
			}()
		}
		wg.Wait()
		if allowed.Load() != 5 {
			t.Fatalf("%d of 20 concurrent hits allowed, want exactly the limit 5", allowed.Load())
		}
		if ok, _ := st.Allow(ctx, "form-ip:t:other", 5, time.Minute, now); !ok {
			t.Error("another key has its own counter")
		}
		if ok, err := st.Allow(ctx, "form-ip:t:abc", 5, time.Minute, now.Add(30*time.Second)); err != nil || !ok {
			t.Errorf("the next window starts afresh: %v %v", ok, err)
		}
		if ok, _ := st.Allow(ctx, "form-ip:t:abc", 0, time.Minute, now); ok {
			t.Error("a zero limit allows nothing")
		}
	})
}
