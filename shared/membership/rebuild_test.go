package membership

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
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
// keeps one event per message id. A rebuild page calls them from several
// goroutines: fakeMu serialises them (the fakes of one test share it).
var fakeMu sync.Mutex

type rebuildIndex struct {
	Store
	in map[Ref]map[string]bool
	// calls counts SetMember and SetMembers calls.
	calls int
}

func (m *rebuildIndex) SetMembers(ctx context.Context, cs []MemberChange, at time.Time) ([]bool, error) {
	fakeMu.Lock()
	m.calls++
	fakeMu.Unlock()
	out := make([]bool, len(cs))
	for i, c := range cs {
		out[i], _ = m.set(c.Ref, c.ContactID, c.In)
	}
	return out, nil
}

func (m *rebuildIndex) SetMember(_ context.Context, r Ref, id string, in bool, _ time.Time) (bool, error) {
	fakeMu.Lock()
	m.calls++
	fakeMu.Unlock()
	return m.set(r, id, in)
}

func (m *rebuildIndex) set(r Ref, id string, in bool) (bool, error) {
	fakeMu.Lock()
	defer fakeMu.Unlock()
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
	// processorSaves, when set for an id, is saved over that profile just
	// before the rebuild's first save of it (the processor won the race).
	processorSaves map[string]*contact.Profile
	saves          int
}

func (m *memProfiles) GetProfiles(_ context.Context, ids []string) (map[string]*contact.Profile, error) {
	fakeMu.Lock()
	defer fakeMu.Unlock()
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
	fakeMu.Lock()
	defer fakeMu.Unlock()
	if m.failNext {
		m.failNext = false
		return errors.New("lost the connection")
	}
	if won, ok := m.processorSaves[p.ID]; ok {
		delete(m.processorSaves, p.ID)
		m.ps[p.ID] = won
	}
	m.saves++
	if m.ps[p.ID].Version != p.Version {
		return contact.ErrConflict
	}
	cp := *p
	cp.Version++
	m.ps[p.ID] = &cp
	return nil
}

type memBus struct {
	ts    []Transition
	calls []int // entries per Announce call
}

func (b *memBus) Announce(_ context.Context, ts []Transition) error {
	fakeMu.Lock()
	defer fakeMu.Unlock()
	b.ts = append(b.ts, ts...)
	b.calls = append(b.calls, len(ts))
	return nil
}

type memTimeline map[string]tracking.Message

func (t memTimeline) PutEvents(_ context.Context, _ string, _ contact.Commit, msgs []tracking.Message, _ []scoring.Change) error {
	fakeMu.Lock()
	defer fakeMu.Unlock()
	for _, m := range msgs {
		t[m.MessageID] = m
	}
	return nil
}

type memWheel map[string]timer.Timer

func (w memWheel) Schedule(_ context.Context, t timer.Timer) error {
	fakeMu.Lock()
	defer fakeMu.Unlock()
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

// A page's contacts are written together: the member index in one
// SetMembers call for the page, the bus in calls of at most ten events,
// and a contact the processor saved meanwhile (a version conflict) is
// re-read and reconciled on its own: what the processor saved stands, and
// the index and count follow it once.
func TestRebuildPageWritesTogetherAndReconcilesAConflict(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	profiles := &memProfiles{ps: map[string]*contact.Profile{}, processorSaves: map[string]*contact.Profile{}}
	var ids []string
	for i := range 25 {
		id := fmt.Sprintf("c%02d", i)
		ids = append(ids, id)
		profiles.ps[id] = &contact.Profile{ID: id, Traits: map[string]any{"country": "DE"}, Version: 1}
	}
	// c03 changed country while the page ran: the processor saved it (out
	// of the segment) before the rebuild's save.
	profiles.processorSaves["c03"] = &contact.Profile{ID: "c03", Traits: map[string]any{"country": "FR"}, Version: 2}
	index, bus, tl := &rebuildIndex{in: map[Ref]map[string]bool{}}, &memBus{}, memTimeline{}
	r := NewReactor(nil, nil, index, bus, tl, memWheel{}, slog.New(slog.DiscardHandler))
	set := setOf(t, map[string]string{"germany": `{"trait":{"key":"country","op":"equals","value":"DE"}}`})

	changed, err := r.Rebuild(context.Background(), profiles, set, ids, now)
	if err != nil {
		t.Fatal(err)
	}
	germany := Ref{Segment, "germany"}
	if changed != 24 {
		t.Errorf("changed = %d, want 24 (c03 is the processor's)", changed)
	}
	// One SetMembers for the page, one SetMember to take c03 out again.
	if index.calls != 2 {
		t.Errorf("index calls = %d, want 2 (the page's SetMembers, c03's exit)", index.calls)
	}
	if len(index.in[germany]) != 24 || index.in[germany]["c03"] {
		t.Errorf("members %d (c03 in: %v), want 24 without c03", len(index.in[germany]), index.in[germany]["c03"])
	}
	for id, p := range profiles.ps {
		want := []string{"germany"}
		if id == "c03" {
			want = nil
		}
		if !slices.Equal(p.Segments, want) {
			t.Errorf("%s saved with %v, want %v", id, p.Segments, want)
		}
	}
	for _, n := range bus.calls[:len(bus.calls)-1] {
		if n > 10 {
			t.Errorf("an Announce call carried %d events, more than a PutEvents takes", n)
		}
	}
	// 25 entries in calls of 10 (3), then c03's exit on its own.
	if len(bus.calls) != 4 || len(bus.ts) != 26 {
		t.Errorf("announce calls %v (%d events), want [10 10 5] and c03's exit", bus.calls, len(bus.ts))
	}
	if last := bus.ts[len(bus.ts)-1]; last.ContactID != "c03" || last.Entered {
		t.Errorf("last published %+v, want c03's exit", last)
	}
}
