package dynamo_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/membership"
)

// TestSeedContactsDynamoDB: seeded contacts read back as SaveProfile's
// would, their lists page every one of them once, and the lists' counts
// are exact; a contact that already has a version is refused.
func TestSeedContactsDynamoDB(t *testing.T) {
	_, st := localTable(t, "seed")
	ctx := t.Context()
	at := time.Date(2026, 12, 7, 16, 0, 0, 0, time.UTC)
	lists := []membership.Ref{{Kind: membership.List, ID: "bench"}, {Kind: membership.List, ID: "other"}}
	var ps []*contact.Profile
	var ids []string
	for i := range 60 { // three batch calls for the profiles alone, with their members
		id := fmt.Sprintf("c_seed_%03d", i)
		ids = append(ids, id)
		ps = append(ps, &contact.Profile{ID: id, Email: fmt.Sprintf("seed%03d@example.com", i), Status: "subscribed",
			Timezone: "Europe/Berlin", Lists: []string{"bench", "other"}, Traits: map[string]any{"first_name": "Seed"},
			CreatedAt: at, UpdatedAt: at, FirstSeen: at, LastSeen: at})
	}
	if err := st.SeedContacts(ctx, ps, lists, at); err != nil {
		t.Fatal(err)
	}
	if ps[0].Version != 1 {
		t.Errorf("seeded profile at version %d, want 1", ps[0].Version)
	}
	got, err := st.GetProfiles(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 60 {
		t.Fatalf("read back %d profiles, want 60", len(got))
	}
	p := got["c_seed_007"]
	if p == nil || p.Email != "seed007@example.com" || p.Status != "subscribed" || p.Timezone != "Europe/Berlin" || p.Version != 1 {
		t.Errorf("profile read back as %+v", p)
	}
	for _, r := range lists {
		var members []string
		cursor := ""
		for {
			page, next, err := st.Members(ctx, r, cursor, 25)
			if err != nil {
				t.Fatal(err)
			}
			members = append(members, page...)
			if cursor = next; cursor == "" {
				break
			}
		}
		slices.Sort(members)
		if !slices.Equal(members, ids) {
			t.Errorf("%s pages %d members, want the 60 seeded: %v", r, len(members), members)
		}
		status, err := st.Status(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if status.Count != 60 {
			t.Errorf("%s count %d, want 60", r, status.Count)
		}
	}
	// A contact saved before cannot be seeded over.
	if err := st.SeedContacts(ctx, []*contact.Profile{ps[0]}, nil, at); err == nil {
		t.Error("seeding a contact at version 1 was accepted")
	}
}
