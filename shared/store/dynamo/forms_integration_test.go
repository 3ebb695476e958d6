package dynamo_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/form"
)

// TestFormStoreDynamoDB runs the form and rate-limit adapter against
// DynamoDB Local. A missing install fails the test rather than skipping it.
func TestFormStoreDynamoDB(t *testing.T) {
	_, st := localTable(t, "forms")

	t.Run("put, get, list, delete", func(t *testing.T) {
		ctx := t.Context()
		if _, err := st.GetForm(ctx, "webinar"); !errors.Is(err, form.ErrNotFound) {
			t.Fatalf("missing form: %v", err)
		}
		at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
		for _, id := range []string{"webinar", "contact"} {
			f := form.Form{ID: id, Name: "Form " + id, ThankYouURL: "https://example.com/t", CreatedAt: at,
				Fields:  []form.Field{{Name: "email", Type: form.TypeEmail, Required: true}},
				Consent: &form.Consent{Purpose: "webinar", Text: "Yes"}, Tags: []string{"webinar"}}
			if err := st.PutForm(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.GetForm(ctx, "webinar")
		if err != nil || got.Name != "Form webinar" || got.Consent == nil || got.Consent.Purpose != "webinar" || !got.CreatedAt.Equal(at) || got.Tags[0] != "webinar" {
			t.Fatalf("get: %+v %v", got, err)
		}
		list, err := st.ListForms(ctx)
		if err != nil || len(list) != 2 || list[0].ID != "contact" || list[1].ID != "webinar" {
			t.Fatalf("list: %+v %v", list, err)
		}
		if err := st.DeleteForm(ctx, "webinar"); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteForm(ctx, "webinar"); !errors.Is(err, form.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if list, _ := st.ListForms(ctx); len(list) != 1 {
			t.Fatalf("after delete: %+v", list)
		}
	})

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
