package membership

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/segment"
	"github.com/leadflow/leadflow/shared/tracking"
)

// countingStore is the member index reduced to what the benchmark needs:
// it counts writes (the reactor's only store calls on the hot path).
type countingStore struct {
	Store
	writes int
}

func (s *countingStore) SetMember(context.Context, Ref, string, bool, time.Time) (bool, error) {
	s.writes++
	return true, nil
}

func (s *countingStore) MarkMember(context.Context, Ref, string, bool, time.Time) error {
	s.writes++
	return nil
}

type fixedSet struct{ s *segment.Set }

func (f fixedSet) Set(context.Context) (*segment.Set, error) { return f.s, nil }

// BenchmarkReact20 is the reactor's added CPU per contact pass with 20
// live segments, on a pass that changes no membership (the common case:
// most events move nobody). BENCHMARKS.md prices it.
func BenchmarkReact20(b *testing.B) {
	var segs []segment.Segment
	filters := []string{
		`{"event":{"path_prefix":"/pricing","within_days":7,"min":2}}`,
		`{"all":[{"trait":{"key":"country","op":"in","values":["DE","AT","CH"]}},{"score":{"kind":"total","op":"gte","value":40}}]}`,
		`{"email":{"action":"opened","within_days":30}}`,
		`{"not":{"event":{"name":"Demo Requested","within_days":30}}}`,
		`{"all":[{"last_seen":{"within_days":14}},{"tag":"vip"}]}`,
	}
	for i := range 20 {
		var f segment.Filter
		if err := jsonDecode(filters[i%len(filters)], &f); err != nil {
			b.Fatal(err)
		}
		segs = append(segs, segment.Segment{ID: fmt.Sprintf("s%02d", i), Name: "S", Filter: f})
	}
	set, err := segment.NewSet(segs)
	if err != nil {
		b.Fatal(err)
	}
	store := &countingStore{}
	score := func(context.Context, scoring.State, time.Time) (scoring.Score, error) {
		return scoring.Score{Total: 10}, nil
	}
	r := NewReactor(fixedSet{set}, score, store, nil, nil, nil, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	before := &contact.Profile{ID: "c1", Traits: map[string]any{"country": "FR"}, LastSeen: now, CreatedAt: now.Add(-time.Hour)}
	page := tracking.Message{Type: tracking.TypePage, MessageID: "m1", Timestamp: now, Context: tracking.Context{Page: &tracking.Page{Path: "/docs"}}}
	// Warm: the first pass enters the "did not request a demo" segments.
	warm := before.Clone()
	first := &contact.Change{Before: before, After: warm, Events: []tracking.Message{page}, Now: now}
	if err := r.React(context.Background(), first); err != nil {
		b.Fatal(err)
	}
	r.Committed(context.Background(), first) // as the processor does once the profile is saved
	store.writes = 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		after := warm.Clone()
		c := &contact.Change{Before: warm, After: after, Events: []tracking.Message{page}, Now: now}
		if err := r.React(context.Background(), c); err != nil {
			b.Fatal(err)
		}
		r.Committed(context.Background(), c)
	}
	if store.writes != 0 {
		b.Fatalf("%d index writes on passes that change nothing", store.writes)
	}
}

func jsonDecode(js string, f *segment.Filter) error { return json.Unmarshal([]byte(js), f) }
