package membership

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/segment"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

// In-memory ports with the adapters' semantics: the index changes only
// when membership does, profiles save under their version, the timeline
// keeps one event per message id.
type rebuildIndex struct {
	Store
	in map[Ref]map[string]bool
}

func (m *rebuildIndex) SetMember(_ context.Context, r Ref, id string, in bool, _ time.Time) (bool, error) {
	if m.in[r] == nil {
		m.in[r] = map[string]bool{}
	}
	if m.in[r][id] == in {
		return false, nil
	}
	if in {
		m.in[r][id] = true
	} else {
		delete(m.in[r], id)
	}
	return true, nil
}

type memProfiles struct {
	ps       map[string]*contact.Profile
	failNext bool
}

func (m *memProfiles) GetProfiles(_ context.Context, ids []string) (map[string]*contact.Profile, error) {
	out := map[string]*contact.Profile{}
	for _, id := range ids {
		if p, ok := m.ps[id]; ok {
			cp := *p
			cp.Segments = slices.Clone(p.Segments)
			out[id] = &cp
		}
	}
	return out, nil
}

func (m *memProfiles) SaveProfile(_ context.Context, p *contact.Profile) error {
	if m.failNext {
		m.failNext = false
		return errors.New("lost the connection")
	}
	if m.ps[p.ID].Version != p.Version {
		return contact.ErrConflict
	}
	cp := *p
	cp.Version++
	m.ps[p.ID] = &cp
	return nil
}

type memBus struct{ ts []Transition }

func (b *memBus) Announce(_ context.Context, ts []Transition) error {
	b.ts = append(b.ts, ts...)
	return nil
}

type memTimeline map[string]tracking.Message

func (t memTimeline) PutEvents(_ context.Context, _ string, _ contact.Commit, msgs []tracking.Message, _ []scoring.Change) error {
	for _, m := range msgs {
		t[m.MessageID] = m
	}
	return nil
}

type memWheel map[string]timer.Timer

func (w memWheel) Schedule(_ context.Context, t timer.Timer) error {
	w[t.ID] = t
	return nil
}

func setOf(t *testing.T, filters map[string]string) *segment.Set {
	t.Helper()
	var segs []segment.Segment
	for _, id := range slices.Sorted(maps.Keys(filters)) {
		segs = append(segs, segment.Segment{ID: id, Name: id, Filter: parseFilter(t, filters[id])})
	}
	s, err := segment.NewSet(segs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A rebuild records and publishes each entry and exit like the live path,
// sets a recheck timer for a time-based exit, and a page run again
// publishes nothing twice: after its save nothing at all, after a crash
// before its save the same ids again (which the timeline and subscribers
// keep once).
func TestRebuildRecordsAndPublishesOnce(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	profiles := &memProfiles{ps: map[string]*contact.Profile{
		"de": {ID: "de", Traits: map[string]any{"country": "DE"}, Segments: []string{"old"}, Version: 3},
		"fr": {ID: "fr", Traits: map[string]any{"country": "FR"}, Version: 1},
		// An anonymous visitor (no email) is evaluated like any contact.
		"anon": {ID: "anon", Traits: map[string]any{"country": "DE", "trial_started": now.Add(-time.Hour).Format(time.RFC3339)}, Version: 1},
	}}
	index, bus, tl, wheel := &rebuildIndex{in: map[Ref]map[string]bool{}}, &memBus{}, memTimeline{}, memWheel{}
	r := NewReactor(nil, nil, index, bus, tl, wheel, slog.New(slog.DiscardHandler))
	set := setOf(t, map[string]string{
		"germany": `{"trait":{"key":"country","op":"equals","value":"DE"}}`,
		"trial":   `{"trait":{"key":"trial_started","op":"within_days","days":1}}`,
	})
	ids := []string{"de", "fr", "anon"}
	ctx := context.Background()

	// The first save fails: the page is redelivered.
	profiles.failNext = true
	if _, err := r.Rebuild(ctx, profiles, set, ids, now); err == nil {
		t.Fatal("a failed save must fail the page")
	}
	for run := 0; run < 2; run++ {
		if _, err := r.Rebuild(ctx, profiles, set, ids, now); err != nil {
			t.Fatal(err)
		}
	}
	byID := map[string]Transition{}
	for _, tr := range bus.ts {
		byID[tr.ID] = tr
	}
	var got []string
	for _, tr := range byID {
		got = append(got, tr.ContactID+" "+tr.Type+" "+tr.Segment)
	}
	slices.Sort(got)
	want := []string{"anon segment.entered germany", "anon segment.entered trial", "de segment.entered germany", "de segment.exited old"}
	if !slices.Equal(got, want) {
		t.Fatalf("published (by id) %v, want %v", got, want)
	}
	// Only the contact whose save failed (the first) was published twice,
	// under the same ids.
	if len(bus.ts) != len(byID)+2 {
		t.Errorf("published %d transitions, want %d: the re-run after the save published again", len(bus.ts), len(byID)+2)
	}
	if len(tl) != len(byID) {
		t.Errorf("timeline holds %d events, want %d", len(tl), len(byID))
	}
	for _, tr := range byID {
		if m, ok := tl["seg-"+tr.ID]; !ok || m.ContactID != tr.ContactID {
			t.Errorf("transition %v not on the timeline", tr)
		}
	}
	if !index.in[Ref{Segment, "germany"}]["de"] || !index.in[Ref{Segment, "germany"}]["anon"] || len(index.in[Ref{Segment, "germany"}]) != 2 {
		t.Errorf("index %v", index.in)
	}
	if p := profiles.ps["anon"]; !slices.Equal(p.Segments, []string{"germany", "trial"}) || p.SegmentCheck.IsZero() {
		t.Errorf("anon saved with %v, check %v", p.Segments, p.SegmentCheck)
	}
	if len(wheel) != 1 {
		t.Errorf("timers %v, want one recheck for the trial window", wheel)
	}
}
