package dynamo_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// TestContactSendsDynamoDB: a contact's sends come back newest first, a page
// at a time, from the messages index (merged contacts included), with the
// first open and click the processor noted.
func TestContactSendsDynamoDB(t *testing.T) {
	_, st := localTable(t, "contactsends")
	ctx := t.Context()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	save := func(id, contactID string, at time.Time) {
		t.Helper()
		rec := mail.SendState{Record: mail.Record{SendID: id, ContactID: contactID, TemplateID: "welcome", Kind: mail.Marketing, State: mail.Claimed, ClaimedAt: at, UpdatedAt: at}}
		got, err := st.SaveSend(ctx, rec, 0)
		if err != nil {
			t.Fatal(err)
		}
		// The outcome rewrites the record: the index keys stay.
		got.State, got.SentAt = mail.Sent, at.Add(time.Second)
		if _, err := st.SaveSend(ctx, got, got.Version); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		save(fmt.Sprintf("s-%d", i), "c_ada", t0.Add(time.Duration(i)*time.Minute))
	}
	save("s-merged", "c_old", t0.Add(90*time.Second))
	save("s-other", "c_bob", t0.Add(time.Hour))
	if _, err := st.SaveSend(ctx, mail.SendState{Record: mail.Record{SendID: "s-sample", ContactID: mail.SampleContact, State: mail.Claimed, ClaimedAt: t0}}, 0); err != nil {
		t.Fatal(err)
	}

	if err := st.NoteEngagement(ctx, "s-4", "c_ada", mail.ActOpened, true, t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := st.NoteEngagement(ctx, "s-4", "c_ada", mail.ActOpened, false, t0.Add(6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A later open keeps the first time; a send of another contact and a
	// send with no record are left alone, and none is created.
	for _, n := range []struct {
		id, contact string
	}{{"s-4", "c_ada"}, {"s-other", "c_ada"}, {"s-none", "c_ada"}} {
		if err := st.NoteEngagement(ctx, n.id, n.contact, mail.ActOpened, false, t0.Add(9*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.NoteEngagement(ctx, "s-3", "c_ada", mail.ActClicked, false, t0.Add(7*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetSend(ctx, "s-none"); !errors.Is(err, mail.ErrSendNotFound) {
		t.Errorf("noting an open on no send made a record: %v", err)
	}
	if other, _ := st.GetSend(ctx, "s-other"); !other.Engagement.OpenedAt.IsZero() {
		t.Errorf("another contact's send was marked opened: %+v", other.Engagement)
	}

	var ids []string
	cursor := ""
	var first []mail.SendState
	for page := 0; ; page++ {
		got, next, err := st.ContactSends(ctx, []string{"c_ada", "c_old"}, cursor, 4)
		if err != nil {
			t.Fatal(err)
		}
		if page == 0 {
			first = got
		}
		for _, r := range got {
			ids = append(ids, r.SendID)
		}
		if next == "" {
			break
		}
		if page > 3 {
			t.Fatal("no last page")
		}
		cursor = next
	}
	want := []string{"s-4", "s-3", "s-2", "s-merged", "s-1", "s-0"}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("pages gave %v, want %v", ids, want)
	}
	e := first[0].Engagement
	if !e.MachineOpenedAt.Equal(t0.Add(5*time.Minute)) || !e.OpenedAt.Equal(t0.Add(6*time.Minute)) || !e.ClickedAt.IsZero() {
		t.Errorf("s-4 engagement %+v", e)
	}
	if first[0].Status() != mail.StatusOpened || first[1].Status() != mail.StatusClicked || first[2].Status() != mail.StatusSent {
		t.Errorf("statuses %s %s %s, want opened clicked sent", first[0].Status(), first[1].Status(), first[2].Status())
	}
	if got, next, err := st.ContactSends(ctx, []string{"c_nobody"}, "", 10); err != nil || len(got) != 0 || next != "" {
		t.Errorf("no sends: %v %q %v", got, next, err)
	}
	if _, _, err := st.ContactSends(ctx, []string{"c_ada"}, "garbage", 10); !errors.Is(err, dynamo.ErrBadMessagesCursor) {
		t.Errorf("bad cursor: %v", err)
	}
}
