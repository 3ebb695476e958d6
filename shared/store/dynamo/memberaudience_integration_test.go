package dynamo_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/campaign/memberaudience"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/membership"
)

// TestCampaignAudienceFromMemberIndex: a campaign's audience pages each
// source's member index (every member once, no one else), exclusions
// are answered by the contacts' own member items, and a recipient-time
// send reads the page's zones.
func TestCampaignAudienceFromMemberIndex(t *testing.T) {
	_, st := localTable(t, "audience")
	ctx := t.Context()
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	list := membership.Ref{Kind: membership.List, ID: "launch"}
	seg := membership.Ref{Kind: membership.Segment, ID: "customers"}
	other := membership.Ref{Kind: membership.Segment, ID: "other"}
	var want, customers []string
	for i := range 37 {
		id := fmt.Sprintf("c-%03d", i)
		want = append(want, id)
		if _, err := st.SetMember(ctx, list, id, true, at); err != nil {
			t.Fatal(err)
		}
		if i%4 == 0 {
			customers = append(customers, id)
			if _, err := st.SetMember(ctx, seg, id, true, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A member of another segment only: never in the launch list's pages.
	if _, err := st.SetMember(ctx, other, "c-outside", true, at); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveProfile(ctx, &contact.Profile{ID: "c-001", Timezone: "Europe/Berlin", CreatedAt: at, UpdatedAt: at}); err != nil {
		t.Fatal(err)
	}
	p := &memberaudience.Pager{Index: st, Profiles: st}

	var got []string
	cursor, pages := "", 0
	for {
		ms, next, err := p.MemberPage(ctx, campaign.Source{Kind: "list", ID: "launch"}, cursor, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			got = append(got, m.ID)
		}
		pages++
		if next == "" {
			break
		}
		cursor = next
	}
	slices.Sort(got)
	if !slices.Equal(got, want) || pages < 4 {
		t.Fatalf("audience in %d pages = %v, want %v", pages, got, want)
	}
	if ms, _, err := p.MemberPage(ctx, campaign.Source{Kind: "segment", ID: "nobody"}, "", 10); err != nil || len(ms) != 0 {
		t.Errorf("empty segment = %v, %v", ms, err)
	}
	if _, _, err := p.MemberPage(ctx, campaign.Source{Kind: "tag", ID: "x"}, "", 10); err == nil {
		t.Error("an unknown source kind was accepted")
	}

	ex, err := p.InSegments(ctx, []string{"customers", "other"}, append(slices.Clone(want), "c-outside", "c-000"))
	if err != nil {
		t.Fatal(err)
	}
	var excluded []string
	for id, in := range ex {
		if in {
			excluded = append(excluded, id)
		}
	}
	slices.Sort(excluded)
	if wantEx := append(slices.Clone(customers), "c-outside"); !slices.Equal(excluded, wantEx) {
		t.Errorf("excluded %v, want %v", excluded, wantEx)
	}

	zones, err := p.Timezones(ctx, []string{"c-001", "c-002"})
	if err != nil {
		t.Fatal(err)
	}
	if zones["c-001"] != "Europe/Berlin" || zones["c-002"] != "" {
		t.Errorf("zones = %v", zones)
	}
}
