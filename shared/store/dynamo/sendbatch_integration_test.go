package dynamo_test

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/mail"
)

// TestReadSendBatchDynamoDB: a sender batch's records, profiles, caps and
// suppressions come back from the batch reads as the single reads give
// them; what does not exist is absent (a zero cap record).
func TestReadSendBatchDynamoDB(t *testing.T) {
	_, st := localTable(t, "sendbatch")
	ctx := t.Context()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	rec, err := st.SaveSend(ctx, mail.SendState{Record: mail.Record{SendID: "b-1", ContactID: "c_ada", TemplateID: "news",
		Source: mail.Source{Campaign: "dec"}, State: mail.Claimed, ClaimedAt: now, UpdatedAt: now}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveProfile(ctx, &contact.Profile{ID: "c_ada", Email: "ada@example.com", Status: "subscribed", Timezone: "Europe/Berlin", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveMarketingSends(ctx, "c_ada", mail.CapRecord{Sends: []mail.CapSend{{SendID: "earlier", At: now}}}, 0); err != nil {
		t.Fatal(err)
	}
	if err := st.Suppress(ctx, "gone@example.com", "bounce"); err != nil {
		t.Fatal(err)
	}

	sends, profiles, caps, err := st.ReadSendBatch(ctx, []string{"b-1", "b-none"}, []string{"c_ada", "c_none"}, []string{"c_ada", "c_none"})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := sends["b-1"]; !ok || got.Version != rec.Version || got.State != mail.Claimed || got.Source.Campaign != "dec" {
		t.Errorf("send b-1 = %+v (%v), want %+v", got, ok, rec)
	}
	if _, ok := sends["b-none"]; ok || len(sends) != 1 {
		t.Errorf("sends %v, want only b-1", sends)
	}
	if p, ok := profiles["c_ada"]; !ok || p.Email != "ada@example.com" || p.Timezone != "Europe/Berlin" || len(profiles) != 1 {
		t.Errorf("profiles %v", profiles)
	}
	if c := caps["c_ada"]; c.Version != 1 || len(c.Sends) != 1 || c.Sends[0].SendID != "earlier" {
		t.Errorf("caps of c_ada %+v", c)
	}
	if c, ok := caps["c_none"]; !ok || c.Version != 0 || len(c.Sends) != 0 {
		t.Errorf("caps of c_none %+v (%v), want a zero record", c, ok)
	}
	sup, err := st.SuppressedOf(ctx, []string{"ada@example.com", "gone@example.com"})
	if err != nil || len(sup) != 1 || !sup["gone@example.com"] {
		t.Errorf("SuppressedOf = %v, %v", sup, err)
	}
}
