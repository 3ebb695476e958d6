package ingest

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	errNotFound, errUnknown, errDown := errors.New("not found"), errors.New("unknown"), errors.New("down")
	now := time.Unix(0, 0)
	loads := 0
	fail := false
	c := &cache[string]{
		what: "thing", notFound: errNotFound, unknown: errUnknown, ttl: time.Minute, max: 2,
		now: func() time.Time { return now },
		load: func(_ context.Context, key string) (string, error) {
			loads++
			if fail {
				return "", errDown
			}
			if key == "missing" {
				return "", errNotFound
			}
			return "v-" + key, nil
		},
	}
	ctx := context.Background()
	steps := []struct {
		name      string
		key       string
		advance   time.Duration
		fail      bool
		want      string
		wantErr   error
		wantLoads int
	}{
		{"first read loads", "a", 0, false, "v-a", nil, 1},
		{"second read is cached", "a", 30 * time.Second, false, "v-a", nil, 1},
		{"unknown keys are remembered", "missing", 0, false, "", errUnknown, 2},
		{"for a tenth of the time", "missing", 5 * time.Second, false, "", errUnknown, 2},
		{"then asked again", "missing", 2 * time.Second, false, "", errUnknown, 3},
		{"expired entries reload", "a", time.Minute, false, "v-a", nil, 4},
		{"transient errors are wrapped", "b", 0, true, "", errDown, 5},
		{"and never cached", "b", 0, false, "v-b", nil, 6},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		fail = s.fail
		got, err := c.get(ctx, s.key)
		if got != s.want || !errors.Is(err, s.wantErr) || loads != s.wantLoads {
			t.Fatalf("%s: got %q %v after %d loads; want %q %v after %d", s.name, got, err, loads, s.want, s.wantErr, s.wantLoads)
		}
	}
	if len(c.m) > c.max {
		t.Errorf("cache holds %d entries, bound is %d", len(c.m), c.max)
	}
}
