package dynamo_test

import (
	"errors"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/campaign"
)

func TestCampaignStateRunsAndCounters(t *testing.T) {
	_, st := localTable(t, "campaigns")
	ctx := t.Context()
	if _, err := st.CampaignState(ctx, "launch"); !errors.Is(err, campaign.ErrNotFound) {
		t.Fatalf("missing state: %v", err)
	}
	s := campaign.State{ID: "launch", Status: campaign.Draft, ContentHash: "h1", Author: "mara"}
	if err := st.SaveCampaignState(ctx, s, 0); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveCampaignState(ctx, s, 0); !errors.Is(err, campaign.ErrStateConflict) {
		t.Fatalf("second create: %v", err)
	}
	got, err := st.CampaignState(ctx, "launch")
	if err != nil || got.Version != 1 || got.Author != "mara" || got.Status != campaign.Draft {
		t.Fatalf("state %+v %v", got, err)
	}
	got.Status = campaign.Scheduled
	if err := st.SaveCampaignState(ctx, got, 1); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveCampaignState(ctx, got, 1); !errors.Is(err, campaign.ErrStateConflict) {
		t.Fatalf("stale save: %v", err)
	}
	all, err := st.CampaignStates(ctx, []string{"launch", "nope"})
	if err != nil || len(all) != 1 || all["launch"].Version != 2 || all["launch"].Status != campaign.Scheduled {
		t.Fatalf("states %+v %v", all, err)
	}

	r := campaign.Run{Campaign: "launch", Occurrence: "20270101T0900Z", Phase: campaign.PhaseAll, Cursor: "abc", StartedAt: time.Now().UTC()}
	if err := st.SaveRun(ctx, r, 0); err != nil {
		t.Fatal(err)
	}
	r.Seq, r.Version = 1, 1
	if err := st.SaveRun(ctx, r, 1); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveRun(ctx, r, 1); !errors.Is(err, campaign.ErrStateConflict) {
		t.Fatalf("stale checkpoint: %v", err)
	}
	r2 := campaign.Run{Campaign: "launch", Occurrence: "20270201T0900Z"}
	if err := st.SaveRun(ctx, r2, 0); err != nil {
		t.Fatal(err)
	}
	runs, err := st.Runs(ctx, "launch")
	if err != nil || len(runs) != 2 || runs[0].Seq != 1 || runs[0].Version != 2 || runs[1].Occurrence != r2.Occurrence {
		t.Fatalf("runs %+v %v", runs, err)
	}

	// Counters land on random shards and add up on read.
	for range 40 {
		if err := st.Add(ctx, "launch", "20270101T0900Z", "a", map[string]int64{campaign.CountSent: 1, campaign.CountClicksHuman: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Add(ctx, "launch", "20270101T0900Z", "", map[string]int64{campaign.CountRecipients: 500}); err != nil {
		t.Fatal(err)
	}
	counts, err := st.CampaignCounts(ctx, "launch")
	if err != nil {
		t.Fatal(err)
	}
	occ := counts["20270101T0900Z"]
	if occ["a"][campaign.CountSent] != 40 || occ["a"][campaign.CountClicksHuman] != 80 || occ[""][campaign.CountRecipients] != 500 {
		t.Fatalf("counts %+v", counts)
	}
}
