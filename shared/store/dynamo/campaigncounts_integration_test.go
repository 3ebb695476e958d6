package dynamo_test

import (
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/mail"
)

// TestCampaignSendCountedOnce: concurrent and repeated counts of one
// send's outcome add one, each outcome and link apart, on the occurrence
// and variant of the send; a send without a record counts nothing.
func TestCampaignSendCountedOnce(t *testing.T) {
	_, st := localTable(t, "ccount")
	ctx := t.Context()
	now := time.Now().UTC()
	src := mail.Source{Campaign: "launch", Run: "2027-01-15T09:00", Step: "b"}
	for _, id := range []string{"c-1", "c-2"} {
		if _, err := st.SaveSend(ctx, mail.SendState{Record: mail.Record{SendID: id, ContactID: "c_" + id, State: mail.Sent,
			Source: src, ClaimedAt: now, UpdatedAt: now}}, 0); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, f := range []func() (bool, error){
				func() (bool, error) { return campaign.CountSendOutcome(ctx, st, "c-1", campaign.CountDelivered) },
				func() (bool, error) { return campaign.CountSendOutcome(ctx, st, "c-2", campaign.CountDelivered) },
				func() (bool, error) { return campaign.CountSendOutcome(ctx, st, "c-2", campaign.CountUnsubscribed) },
				func() (bool, error) { return campaign.CountLinkClick(ctx, st, "c-1", "https://example.com/a?x=1") },
				func() (bool, error) { return campaign.CountLinkClick(ctx, st, "c-2", "https://example.com/a?x=2") },
				func() (bool, error) { return campaign.CountConversion(ctx, st, "c-1", 4999) },
				func() (bool, error) { return campaign.CountSendOutcome(ctx, st, "c-none", campaign.CountDelivered) },
			} {
				if _, err := f(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	counts, err := st.CampaignCounts(ctx, "launch")
	if err != nil {
		t.Fatal(err)
	}
	got := counts["2027-01-15T09:00"]["b"]
	want := map[string]int64{campaign.CountDelivered: 2, campaign.CountUnsubscribed: 1, "click:https://example.com/a": 2,
		campaign.CountConversions: 1, campaign.CountRevenueCents: 4999}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all %v)", k, got[k], v, counts)
		}
	}
	if len(got) != len(want) {
		t.Errorf("counters %v, want %v", got, want)
	}
	// The marks do not disturb the record.
	rec, err := st.GetSend(ctx, "c-1")
	if err != nil || rec.Source != src || rec.State != mail.Sent {
		t.Errorf("send after counting = %+v, %v", rec, err)
	}
}
