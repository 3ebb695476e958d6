package dynamo_test

import (
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/sesevent"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// TestSESEventItemsDynamoDB runs the SES events handler's items (counting
// an event once, soft bounces, delivery-delay notes) against DynamoDB Local.
func TestSESEventItemsDynamoDB(t *testing.T) {
	_, st := localTable(t, "sesevents")
	ctx := t.Context()
	now := time.Now().UTC()

	t.Run("an event delivered many times at once is counted once", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		counted := 0
		for range 6 {
			wg.Go(func() {
				ok, err := st.CountMailOnce(ctx, "Bounce#feedback-1", now, sesevent.Counts{Bounces: 1})
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					counted++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if ok, err := st.CountMailOnce(ctx, "Complaint#feedback-2", now, sesevent.Counts{Complaints: 1}); err != nil || !ok {
			t.Fatalf("another event: %v %v", ok, err)
		}
		if err := st.CountMail(ctx, now, dynamo.MailStats{Sent: 40}); err != nil {
			t.Fatal(err)
		}
		got, err := st.MailStatsSince(ctx, now.Add(-time.Hour), now)
		if err != nil {
			t.Fatal(err)
		}
		if counted != 1 || got != (dynamo.MailStats{Sent: 40, Bounces: 1, Complaints: 1}) {
			t.Errorf("counted %d times; stats %+v", counted, got)
		}
	})

	t.Run("soft bounces accumulate per address", func(t *testing.T) {
		policy := sesevent.DefaultSoftBounces
		var list []sesevent.SoftBounce
		var err error
		for i, id := range []string{"f1", "f1", "f2", "f3"} { // f1 redelivered
			list, err = st.AddSoftBounce(ctx, " Full@Example.com ", sesevent.SoftBounce{At: now.Add(time.Duration(i) * time.Hour), ID: id}, policy.Window)
			if err != nil {
				t.Fatal(err)
			}
			if exceeded := policy.Exceeded(list, now.Add(4*time.Hour)); exceeded != (id == "f3") {
				t.Errorf("after %s: exceeded %v with %v", id, exceeded, list)
			}
		}
		if len(list) != 4 || list[0].ID != "f1" || !list[3].At.Equal(now.Add(3*time.Hour).Truncate(time.Second)) {
			t.Errorf("list %+v", list)
		}
		other, err := st.AddSoftBounce(ctx, "other@example.com", sesevent.SoftBounce{At: now, ID: "g1"}, policy.Window)
		if err != nil || len(other) != 1 {
			t.Errorf("another address: %v %v", other, err)
		}
	})

	t.Run("a delay note goes on sent records only", func(t *testing.T) {
		for id, state := range map[string]string{"s-sent": mail.Sent, "s-bounced": mail.Bounced} {
			rec := mail.SendState{Record: mail.Record{SendID: id, ContactID: "c_1", TemplateID: "welcome", Kind: mail.Marketing,
				State: state, Reason: "original", ClaimedAt: now, UpdatedAt: now}}
			if _, err := st.SaveSend(ctx, rec, 0); err != nil {
				t.Fatal(err)
			}
			if err := st.NoteSend(ctx, id, "delivery delayed (MailboxFull)"); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.NoteSend(ctx, "s-missing", "delivery delayed"); err != nil {
			t.Errorf("missing record: %v", err)
		}
		sent, _ := st.GetSend(ctx, "s-sent")
		bounced, _ := st.GetSend(ctx, "s-bounced")
		if sent.Reason != "delivery delayed (MailboxFull)" || sent.State != mail.Sent || bounced.Reason != "original" {
			t.Errorf("sent %+v; bounced %+v", sent.Record, bounced.Record)
		}
	})
}
