package dynamo_test

import (
	"errors"
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

// TestSaveSendKeepsCountMarks: an SES event that overtakes the sender's
// own write counts its outcome (a k:* mark beside the record, which moves
// no version); the sender's rewrite at the version it read keeps the
// mark, so a repeat of that event still counts nothing. Fields the
// rewrite leaves empty are gone afterwards, as with a whole-item put.
func TestSaveSendKeepsCountMarks(t *testing.T) {
	_, st := localTable(t, "savemarks")
	ctx := t.Context()
	now := time.Now().UTC()
	src := mail.Source{Campaign: "launch", Run: "2027-01-15T09:00"}
	claim := mail.SendState{Record: mail.Record{SendID: "s-1", ContactID: "c_1", State: mail.Claimed, Source: src,
		Reason: "first try", ClaimedAt: now, UpdatedAt: now}}
	claimed, err := st.SaveSend(ctx, claim, 0)
	if err != nil {
		t.Fatal(err)
	}
	// SES's Delivery event arrives before the sender wrote "sent".
	if ok, err := campaign.CountSendOutcome(ctx, st, "s-1", campaign.CountDelivered); err != nil || !ok {
		t.Fatalf("first count = %v, %v", ok, err)
	}
	sent := claimed
	sent.State, sent.MessageID, sent.Reason, sent.SentAt, sent.UpdatedAt = mail.Sent, "ses-1", "", now, now
	saved, err := st.SaveSend(ctx, sent, claimed.Version)
	if err != nil {
		t.Fatal(err)
	}
	// The event again (SES delivers at least once): counted already.
	if ok, err := campaign.CountSendOutcome(ctx, st, "s-1", campaign.CountDelivered); err != nil || ok {
		t.Errorf("repeat count after the sender's rewrite = %v, %v; want not counted", ok, err)
	}
	counts, err := st.CampaignCounts(ctx, "launch")
	if err != nil {
		t.Fatal(err)
	}
	if got := counts[src.Run][""][campaign.CountDelivered]; got != 1 {
		t.Errorf("delivered = %d, want 1", got)
	}
	rec, err := st.GetSend(ctx, "s-1")
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != mail.Sent || rec.MessageID != "ses-1" || rec.Reason != "" || rec.Version != saved.Version || rec.Source != src {
		t.Errorf("record after rewrite = %+v", rec)
	}
	// A stale writer still fails its condition and gets the record back.
	if cur, err := st.SaveSend(ctx, sent, claimed.Version); !errors.Is(err, mail.ErrSendConflict) || cur.Version != saved.Version {
		t.Errorf("stale rewrite = %+v, %v; want the current record and ErrSendConflict", cur, err)
	}
}
