package dynamo

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/segment"
	"github.com/leadflow/leadflow/shared/tracking"
)

// TestSegmentFieldsFitTheProfileBudget measures what segment membership
// and counters add to a stored profile (DEFLATE with the profile
// dictionary, as written): a typical case (3 segments, 4 counters over a
// week) must leave the profile in one write unit, and the bounded worst
// case is reported for BENCHMARKS.md.
func TestSegmentFieldsFitTheProfileBudget(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	base := &contact.Profile{
		ID: "c_0123456789abcdefghjkmnpqrs", Email: "grace@acme.example", AnonymousIDs: []string{"4f1c2a9e-7b3d-4e55-9a10-1c2d3e4f5a6b"},
		Traits:    map[string]any{"email": "grace@acme.example", "title": "VP Marketing", "employees": 300.0, "country": "DE"},
		FirstSeen: now.Add(-72 * time.Hour), LastSeen: now, PageViews: 14, EventCount: 21, Sessions: 3,
		LastPage:  &contact.Page{URL: "https://acme.example/pricing", Path: "/pricing", Title: "Pricing", At: now},
		Interests: map[string]int{"pricing": 4}, Status: "subscribed", Stage: "mql", CreatedAt: now.Add(-72 * time.Hour), UpdatedAt: now,
		Consents: []tracking.Consent{{Purpose: "marketing", At: now.Add(-72 * time.Hour), Source: "form:newsletter"}},
	}
	size := func(p *contact.Profile) int {
		raw, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		z, err := profileV1.compress(raw)
		if err != nil {
			t.Fatal(err)
		}
		return len(z)
	}
	before := size(base)
	today := segment.Day(now)
	typical := *base
	typical.Segments = []string{"hot-pricing", "pricing-visitors", "de-leads"}
	typical.SegmentCounters = segment.Counters{"p:/pricing": {today - 3, 2, today - 1, 1, today, 2}, "e:Demo Requested": {today - 2, 1}, "o": {today - 5, 1, today - 1, 1}, "c": {today - 1, 1}}
	typical.SegmentCheck = now.Add(4 * 24 * time.Hour)
	worst := typical
	worst.SegmentCounters = segment.Counters{}
	for k := range segment.MaxCounterKeys {
		key := "e:Some Fairly Long Event Name " + string(rune('a'+k))
		for d := range int32(segment.MaxCounterPairs / segment.MaxCounterKeys) {
			worst.SegmentCounters[key] = append(worst.SegmentCounters[key], today-30+d*3, 1+d)
		}
	}
	t.Logf("profile %d B; with 3 segments and typical counters %d B (+%d); bounded worst case %d B (+%d)",
		before, size(&typical), size(&typical)-before, size(&worst), size(&worst)-before)
	if size(&typical) > 1024 {
		t.Errorf("a typical profile with segment fields is %d B, over one write unit", size(&typical))
	}
}
