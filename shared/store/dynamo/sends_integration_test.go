package dynamo_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// TestSendingItemsDynamoDB runs the sending adapters (send records,
// suppression, the per-second rate counter, frequency caps, templates,
// mail counters) against DynamoDB Local.
func TestSendingItemsDynamoDB(t *testing.T) {
	_, st := localTable(t, "sending")
	ctx := t.Context()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

	claim := mail.SendState{Record: mail.Record{
		SendID: "c-1", ContactID: "c_ada", TemplateID: "welcome", Kind: mail.Marketing,
		Source: mail.Source{Campaign: "launch"}, State: mail.Claimed, ClaimedAt: now, UpdatedAt: now,
	}}

	t.Run("a send id is claimed once; the loser learns the current record", func(t *testing.T) {
		var wg sync.WaitGroup
		wins := make(chan mail.SendState, 8)
		losses := make(chan mail.SendState, 8)
		for range 8 {
			wg.Go(func() {
				got, err := st.SaveSend(ctx, claim, 0)
				switch {
				case err == nil:
					wins <- got
				case errors.Is(err, mail.ErrSendConflict):
					losses <- got
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		close(wins)
		close(losses)
		if len(wins) != 1 || len(losses) != 7 {
			t.Fatalf("%d claims won, %d lost", len(wins), len(losses))
		}
		for l := range losses {
			if l.State != mail.Claimed || l.Version != 1 || l.ContactID != "c_ada" {
				t.Errorf("loser saw %+v", l)
			}
		}
		got, err := st.GetSend(ctx, "c-1")
		if err != nil || got.Source.Campaign != "launch" || !got.ClaimedAt.Equal(now) || got.Version != 1 {
			t.Errorf("GetSend = %+v, %v", got, err)
		}
	})

	t.Run("writes are conditional on the version read", func(t *testing.T) {
		cur, _ := st.GetSend(ctx, "c-1")
		sent := cur
		sent.State, sent.MessageID, sent.SentAt = mail.Sent, "ses-1", now
		if _, err := st.SaveSend(ctx, sent, cur.Version); err != nil {
			t.Fatal(err)
		}
		stale := cur
		stale.State = mail.InDoubt
		if _, err := st.SaveSend(ctx, stale, cur.Version); !errors.Is(err, mail.ErrSendConflict) {
			t.Errorf("stale write: %v", err)
		}
		if _, err := st.GetSend(ctx, "nope"); !errors.Is(err, mail.ErrSendNotFound) {
			t.Errorf("missing send: %v", err)
		}
	})

	t.Run("SES events settle doubt and never undo a more telling state", func(t *testing.T) {
		doubt := claim
		doubt.SendID, doubt.State, doubt.Cause = "c-2", mail.InDoubt, mail.CauseNoAnswer
		if _, err := st.SaveSend(ctx, doubt, 0); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			do   func() error
			want string
		}{
			{func() error { return st.ResolveInDoubt(ctx, "c-2", "ses-2", mail.Sent) }, mail.Sent},
			{func() error { return st.ResolveInDoubt(ctx, "c-2", "ses-x", mail.Delivered) }, mail.Sent}, // settled already
			{func() error { return st.MarkSend(ctx, "c-2", mail.Complaint, "abuse") }, mail.Complaint},
			{func() error { return st.MarkSend(ctx, "c-2", mail.Delivered, "") }, mail.Complaint}, // late delivery
			{func() error { return st.MarkSend(ctx, "c-404", mail.Delivered, "") }, ""},           // unknown send: nothing
		}
		for i, s := range steps {
			if err := s.do(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			if s.want == "" {
				continue
			}
			got, _ := st.GetSend(ctx, "c-2")
			if got.State != s.want {
				t.Fatalf("step %d: state %s, want %s", i, got.State, s.want)
			}
		}
		got, _ := st.GetSend(ctx, "c-2")
		if got.MessageID != "ses-2" || got.SentAt.IsZero() || got.Version != 3 {
			t.Errorf("settled record %+v", got)
		}
		if _, err := st.GetSend(ctx, "c-404"); !errors.Is(err, mail.ErrSendNotFound) {
			t.Error("an event created a record")
		}
		if err := st.MarkSend(ctx, "c-2", mail.Claimed, ""); err == nil {
			t.Error("events cannot claim")
		}
	})

	t.Run("a released claim can be claimed again; a moved one is kept", func(t *testing.T) {
		c := claim
		c.SendID = "c-3"
		got, err := st.SaveSend(ctx, c, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.ReleaseSend(ctx, "c-3", got.Version); err != nil {
			t.Fatal(err)
		}
		again, err := st.SaveSend(ctx, c, 0)
		if err != nil {
			t.Fatalf("re-claim after release: %v", err)
		}
		if err := st.ReleaseSend(ctx, "c-3", again.Version+5); err != nil {
			t.Fatal(err)
		}
		if _, err := st.GetSend(ctx, "c-3"); err != nil {
			t.Error("a release at another version deleted the claim")
		}
	})

	t.Run("suppression is forever and keeps the first reason", func(t *testing.T) {
		if ok, err := st.IsSuppressed(ctx, "bounce@example.com"); ok || err != nil {
			t.Fatalf("%v %v", ok, err)
		}
		if err := st.Suppress(ctx, " Bounce@Example.com", dynamo.SuppressedBounce); err != nil {
			t.Fatal(err)
		}
		if err := st.Suppress(ctx, "bounce@example.com", dynamo.SuppressedComplaint); err != nil {
			t.Fatal(err)
		}
		ok, err := st.IsSuppressed(ctx, "BOUNCE@example.com")
		reason, _, _, _ := st.Suppression(ctx, "bounce@example.com")
		if !ok || err != nil || reason != dynamo.SuppressedBounce {
			t.Errorf("suppressed %v %v reason %q", ok, err, reason)
		}
	})

	t.Run("concurrent takers never pass a second's limit", func(t *testing.T) {
		sec := now.Unix()
		var mu sync.Mutex
		total := 0
		var wg sync.WaitGroup
		for range 12 {
			wg.Go(func() {
				got, err := st.TakeRate(ctx, sec, 4, 20)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += got
				mu.Unlock()
			})
		}
		wg.Wait()
		if total != 20 {
			t.Errorf("granted %d of 48 asked, limit 20", total)
		}
		if got, _ := st.TakeRate(ctx, sec+1, 30, 20); got != 20 {
			t.Errorf("a fresh second granted %d of 30 asked, limit 20", got)
		}
	})

	t.Run("caps records are compare-and-set", func(t *testing.T) {
		rec, err := st.MarketingSends(ctx, "c_ada")
		if err != nil || rec.Version != 0 || len(rec.Sends) != 0 {
			t.Fatalf("%+v %v", rec, err)
		}
		next := mail.CapRecord{Sends: []mail.CapSend{{SendID: "c-1", At: now}, {SendID: "c-9", At: now.Add(time.Hour)}}}
		if err := st.SaveMarketingSends(ctx, "c_ada", next, 0); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveMarketingSends(ctx, "c_ada", next, 0); !errors.Is(err, mail.ErrCapConflict) {
			t.Errorf("second write from version 0: %v", err)
		}
		rec, _ = st.MarketingSends(ctx, "c_ada")
		if rec.Version != 1 || len(rec.Sends) != 2 || !rec.Sends[1].At.Equal(now.Add(time.Hour)) || rec.Sends[0].SendID != "c-1" {
			t.Errorf("read back %+v", rec)
		}
	})

	t.Run("mail counters add up over the window", func(t *testing.T) {
		for _, c := range []struct {
			at  time.Time
			add dynamo.MailStats
		}{
			{now.Add(-30 * time.Hour), dynamo.MailStats{Sent: 1000}}, // outside a 24 h window
			{now.Add(-2 * time.Hour), dynamo.MailStats{Sent: 100, Bounces: 2}},
			{now, dynamo.MailStats{Sent: 50}},
			{now, dynamo.MailStats{Complaints: 1}},
		} {
			if err := st.CountMail(ctx, c.at, c.add); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.MailStatsSince(ctx, now.Add(-24*time.Hour), now)
		if err != nil || got != (dynamo.MailStats{Sent: 150, Bounces: 2, Complaints: 1}) {
			t.Errorf("MailStatsSince = %+v, %v", got, err)
		}
	})
}
