package campaign

import (
	"slices"
	"testing"
)

func TestSummarizeByOccurrenceVariantAndLink(t *testing.T) {
	counts := map[string]map[string]map[string]int64{
		"2027-01-04T09:00": {
			"a": {CountSent: 10, CountDelivered: 9, CountConversions: 2, CountRevenueCents: 1500, "click:https://x.test/p": 3},
			"b": {CountSent: 10, CountDelivered: 10, CountBounced: 0, "click:https://x.test/p": 1, "click:https://x.test/q": 4},
		},
		"2027-02-01T09:00": {"": {CountSent: 5, CountDelivered: 4, CountBounced: 1, CountComplained: 1, CountUnsubscribed: 1}},
	}
	r := Summarize(Campaign{ID: "x"}, counts, nil)
	want := Counts{CountSent: 25, CountDelivered: 23, CountBounced: 1, CountComplained: 1, CountUnsubscribed: 1,
		CountConversions: 2, CountRevenueCents: 1500, "click:https://x.test/p": 4, "click:https://x.test/q": 4}
	for k, v := range want {
		if r.Totals[k] != v {
			t.Errorf("totals[%s] = %d, want %d", k, r.Totals[k], v)
		}
	}
	if len(r.Occurrences) != 2 || r.Occurrences[0].Variants["a"][CountConversions] != 2 || r.Occurrences[1].Counts[CountBounced] != 1 {
		t.Errorf("occurrences = %+v", r.Occurrences)
	}
	if r.Variants["b"]["click:https://x.test/q"] != 4 || r.Variants["a"][CountRevenueCents] != 1500 {
		t.Errorf("variants = %+v", r.Variants)
	}
	wantLinks := []LinkClicks{{"https://x.test/p", 4}, {"https://x.test/q", 4}}
	if !slices.Equal(r.Links, wantLinks) {
		t.Errorf("links = %v, want %v", r.Links, wantLinks)
	}
	if r.Rates[CountDelivered] != 23.0/25 || r.Rates[CountConversions] != 2.0/25 {
		t.Errorf("rates = %v", r.Rates)
	}
}
