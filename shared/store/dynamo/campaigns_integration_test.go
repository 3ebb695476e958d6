package dynamo_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/timer"
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

// TestWaveChunksAndProgress: a zone's chunks come back in page order after
// a page number, apart from other zones and phases; checkpoints are
// compare-and-set and listed per phase; a routed timer keeps its route.
func TestWaveChunksAndProgress(t *testing.T) {
	_, st := localTable(t, "waves")
	ctx := t.Context()
	at := time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)
	put := func(zone, phase string, seq int, ids ...string) {
		t.Helper()
		var rs []campaign.WaveRecipient
		for _, id := range ids {
			rs = append(rs, campaign.WaveRecipient{Contact: id, Variant: phase[:1]})
		}
		if err := st.PutWaveChunk(ctx, campaign.WaveChunk{Campaign: "launch", Occurrence: "20270114T1000Z", Phase: phase, Zone: zone, Seq: seq, At: at, Recipients: rs}); err != nil {
			t.Fatal(err)
		}
	}
	put("Asia/Tokyo", campaign.PhaseAll, 12, "c12")
	put("Asia/Tokyo", campaign.PhaseAll, 2, "c2a", "c2b")
	put("Asia/Tokyo", campaign.PhaseAll, 2, "c2a", "c2b") // the page again
	put("Asia/Tokyo", campaign.PhaseAll, 100, "c100")
	put("Asia/Tokyo", campaign.PhaseTest, 3, "t3")
	put("Asia/Tokyo-X", campaign.PhaseAll, 5, "x5") // a zone whose name starts like another's
	put("Europe/Berlin", campaign.PhaseAll, 4, "b4")
	seqs := func(after, limit int) []string {
		t.Helper()
		cs, err := st.WaveChunks(ctx, "launch", "20270114T1000Z", campaign.PhaseAll, "Asia/Tokyo", after, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, fmt.Sprintf("%d:%s", c.Seq, c.Recipients[0].Contact))
			if !c.At.Equal(at) || c.Zone != "Asia/Tokyo" || c.Recipients[0].Variant != "a" {
				t.Errorf("chunk %+v", c)
			}
		}
		return out
	}
	if got := seqs(-1, 10); !slices.Equal(got, []string{"2:c2a", "12:c12", "100:c100"}) {
		t.Errorf("chunks %v", got)
	}
	if got := seqs(2, 1); !slices.Equal(got, []string{"12:c12"}) {
		t.Errorf("chunks after 2, one: %v", got)
	}
	if got := seqs(100, 10); len(got) != 0 {
		t.Errorf("chunks after the last: %v", got)
	}
	p := campaign.WaveProgress{Campaign: "launch", Occurrence: "20270114T1000Z", Phase: campaign.PhaseAll, Zone: "Asia/Tokyo", Cursor: -1}
	if _, err := st.WaveProgress(ctx, "launch", p.Occurrence, p.Phase, p.Zone); !errors.Is(err, campaign.ErrNotFound) {
		t.Fatalf("missing progress: %v", err)
	}
	p.Seq, p.Cursor = 1, 12
	if err := st.SaveWaveProgress(ctx, p, 0); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveWaveProgress(ctx, p, 0); !errors.Is(err, campaign.ErrStateConflict) {
		t.Errorf("second create: %v", err)
	}
	got, err := st.WaveProgress(ctx, "launch", p.Occurrence, p.Phase, p.Zone)
	if err != nil || got.Version != 1 || got.Cursor != 12 || got.Seq != 1 {
		t.Errorf("progress %+v, %v", got, err)
	}
	other := p
	other.Phase = campaign.PhaseTest
	if err := st.SaveWaveProgress(ctx, other, 0); err != nil {
		t.Fatal(err)
	}
	all, err := st.WaveProgresses(ctx, "launch", p.Occurrence, campaign.PhaseAll)
	if err != nil || len(all) != 1 || all[0].Zone != "Asia/Tokyo" || all[0].Version != 1 {
		t.Errorf("progresses %+v, %v", all, err)
	}
	// The wave's timer keeps its route through the store.
	tm := timer.Timer{ID: "cwave:launch", Route: campaign.WaveRoute, Event: "campaign-wave", Due: at, Properties: map[string]any{"zone": "Asia/Tokyo"}, Shard: timer.ShardOf("cwave:launch")}
	if err := st.PutTimer(ctx, tm); err != nil {
		t.Fatal(err)
	}
	due, err := st.DueTimers(ctx, timer.BucketOf(at), tm.Shard, timer.Position{}, 10)
	if err != nil || len(due) != 1 || due[0].Route != campaign.WaveRoute || due[0].ContactID != "" {
		t.Errorf("stored wave timer %+v, %v", due, err)
	}
}
