package contact_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/contact/contacttest"
	"github.com/leadflow/leadflow/shared/tracking"
)

var now = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func msg(typ, id, anon, user string) tracking.Message {
	m := tracking.Message{Type: typ, MessageID: id, AnonymousID: anon, UserID: user, Timestamp: now}
	if typ == tracking.TypeTrack {
		m.Event = "Did Something"
	}
	return m
}

func input(id string, msgs ...tracking.Message) contact.Input {
	return contact.Input{ID: id, Batch: tracking.Batch{Messages: msgs}}
}

func TestProcessorCoalescesAndResolves(t *testing.T) {
	st := contacttest.New()
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now })
	identifyMsg := msg(tracking.TypeIdentify, "m3", "anon-1", "user-1")
	identifyMsg.Traits = map[string]any{"email": "Ann@X.io"}
	out, err := proc.Process(context.Background(), []contact.Input{
		input("sqs-1", msg(tracking.TypePage, "m1", "anon-1", ""), msg(tracking.TypeTrack, "m2", "anon-2", "")),
		input("sqs-2", identifyMsg, msg(tracking.TypeTrack, "m4", "", "user-1")),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Contacts != 2 || out.NewContacts != 2 || out.Applied != 4 || len(out.Failed) != 0 {
		t.Fatalf("outcome %+v", out)
	}
	calls := map[string]int{}
	for k, v := range st.Calls {
		calls[k] = v
	}
	a := st.Owner(contact.Identity{Kind: contact.AnonymousID, Value: "anon-1"})
	if a == "" || st.Owner(contact.Identity{Kind: contact.UserID, Value: "user-1"}) != a || st.Owner(contact.Identity{Kind: contact.Email, Value: "ann@x.io"}) != a {
		t.Fatalf("identify did not link user and email to the anonymous visitor's contact")
	}
	p := st.Profile(a)
	if p.EventCount != 3 || p.PageViews != 1 || p.Email != "ann@x.io" || p.UserID != "user-1" {
		t.Errorf("profile %+v", p)
	}
	// One profile write per contact, however many events. The identify
	// reads the visitor's derived contact once to check it is not another
	// known person before adopting the new identities (a read, not a write).
	if calls["SaveProfile"] != 2 || calls["PutEvents"] != 2 || calls["GetProfiles"] != 2 || calls["LookupIdentities"] != 1 {
		t.Errorf("store calls %v", calls)
	}
}

func TestProcessorRedeliveryIsANoOp(t *testing.T) {
	st := contacttest.New()
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now })
	in := input("sqs-1", msg(tracking.TypePage, "m1", "a", ""), msg(tracking.TypeTrack, "m2", "a", ""))
	for i := 0; i < 3; i++ {
		if _, err := proc.Process(context.Background(), []contact.Input{in}); err != nil {
			t.Fatal(err)
		}
	}
	cid := st.Owner(contact.Identity{Kind: contact.AnonymousID, Value: "a"})
	p := st.Profile(cid)
	if p.EventCount != 2 || p.PageViews != 1 || p.Version != 1 {
		t.Errorf("after 3 deliveries: events %d, views %d, version %d", p.EventCount, p.PageViews, p.Version)
	}
	evs, _ := st.RecentEvents(context.Background(), cid, 10)
	if len(evs) != 2 {
		t.Errorf("timeline has %d events", len(evs))
	}
}

func TestProcessorRetriesOnConflict(t *testing.T) {
	st := contacttest.New()
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now })
	if _, err := proc.Process(context.Background(), []contact.Input{input("s0", msg(tracking.TypePage, "m0", "a", ""))}); err != nil {
		t.Fatal(err)
	}
	cid := st.Owner(contact.Identity{Kind: contact.AnonymousID, Value: "a"})
	// A concurrent invocation applies another event between our read and write.
	other := contact.NewProcessor(st, quiet(), func() time.Time { return now })
	raced := false
	st.BeforeSave = func(p *contact.Profile) {
		if !raced {
			raced = true
			st.BeforeSave = nil
			if _, err := other.Process(context.Background(), []contact.Input{input("s2", msg(tracking.TypePage, "m2", "a", ""))}); err != nil {
				t.Error(err)
			}
		}
	}
	out, err := proc.Process(context.Background(), []contact.Input{input("s1", msg(tracking.TypePage, "m1", "a", ""))})
	if err != nil {
		t.Fatal(err)
	}
	if out.Conflicts != 1 || len(out.Failed) != 0 {
		t.Errorf("outcome %+v", out)
	}
	if p := st.Profile(cid); p.PageViews != 3 {
		t.Errorf("page views %d, want 3 (no lost update)", p.PageViews)
	}
}

func TestProcessorFailsOnlyTheInputsOfAFailedContact(t *testing.T) {
	st := contacttest.New()
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now })
	// Create both contacts first so their ids are known.
	if _, err := proc.Process(context.Background(), []contact.Input{input("s0", msg(tracking.TypePage, "m0", "good", ""), msg(tracking.TypePage, "m00", "bad", ""))}); err != nil {
		t.Fatal(err)
	}
	bad := st.Owner(contact.Identity{Kind: contact.AnonymousID, Value: "bad"})
	st.FailSave[bad] = errors.New("throttled")
	out, err := proc.Process(context.Background(), []contact.Input{
		input("s1", msg(tracking.TypePage, "m1", "good", "")),
		input("s2", msg(tracking.TypePage, "m2", "bad", "")),
		input("s3", msg(tracking.TypePage, "m3", "good", ""), msg(tracking.TypePage, "m4", "bad", "")),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Failed) != 2 || out.Failed[0] != "s2" || out.Failed[1] != "s3" {
		t.Fatalf("failed %v, want [s2 s3]", out.Failed)
	}
	// Redelivering s3 after the fault clears must not double-count "good".
	delete(st.FailSave, bad)
	if _, err := proc.Process(context.Background(), []contact.Input{input("s2", msg(tracking.TypePage, "m2", "bad", "")), input("s3", msg(tracking.TypePage, "m3", "good", ""), msg(tracking.TypePage, "m4", "bad", ""))}); err != nil {
		t.Fatal(err)
	}
	good := st.Owner(contact.Identity{Kind: contact.AnonymousID, Value: "good"})
	if g, b := st.Profile(good).PageViews, st.Profile(bad).PageViews; g != 3 || b != 3 {
		t.Errorf("page views good %d bad %d, want 3 and 3", g, b)
	}
}

// An import hands verified identifies addressed to the contacts it already
// found or linked: the processor applies them (email and traits on the
// profile) without reading or writing a single identity link.
func TestProcessorAddressedIdentifiesResolveNothing(t *testing.T) {
	st := contacttest.New()
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now })
	var msgs []tracking.Message
	for i := range 3 {
		msgs = append(msgs, tracking.Message{Type: tracking.TypeIdentify, MessageID: fmt.Sprintf("imp-x-%d", i+2), ContactID: fmt.Sprintf("c_imp%d", i),
			Traits: map[string]any{"email": fmt.Sprintf("p%d@example.com", i), "first_name": fmt.Sprintf("P%d", i)}, Timestamp: now, Verified: true})
	}
	if _, err := proc.Process(context.Background(), []contact.Input{input("s", msgs...)}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		p := st.Profile(fmt.Sprintf("c_imp%d", i))
		if p == nil || p.Email != fmt.Sprintf("p%d@example.com", i) || p.Traits["first_name"] != fmt.Sprintf("P%d", i) {
			t.Fatalf("contact %d: %+v", i, p)
		}
	}
	if st.Calls["LookupIdentities"] != 0 || st.Calls["LinkIdentity"] != 0 {
		t.Errorf("identity calls %v: an addressed message resolves nothing", st.Calls)
	}
}

// An import's rows for contacts it just created (Internal.NewContact) are
// applied without reading their profiles first; one a tracked event created
// in between is not overwritten: its creation conflicts, the retry reads it
// and applies the row on top.
func TestProcessorDoesNotReadAnImportsNewContacts(t *testing.T) {
	st := contacttest.New()
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now })
	// A tracked event reached the contact the import linked first.
	tracked := tracking.Message{Type: tracking.TypeTrack, MessageID: "t1", ContactID: "c_raced", Event: "Signed Up", Timestamp: now}
	if _, err := proc.Process(context.Background(), []contact.Input{input("s0", tracked)}); err != nil {
		t.Fatal(err)
	}
	row := func(cid string, line int) tracking.Message {
		return tracking.Message{Type: tracking.TypeIdentify, MessageID: fmt.Sprintf("imp-x-%d", line), ContactID: cid,
			Traits: map[string]any{"email": cid + "@example.com"}, Timestamp: now, Verified: true,
			Context: tracking.Context{Leadflow: &tracking.Internal{Import: "x", NewContact: true}}}
	}
	reads := st.Calls["GetProfiles"]
	if _, err := proc.Process(context.Background(), []contact.Input{input("s1", row("c_new0", 2), row("c_new1", 3))}); err != nil {
		t.Fatal(err)
	}
	if n := st.Calls["GetProfiles"] - reads; n != 0 {
		t.Errorf("%d profile reads for an import's new contacts, want none", n)
	}
	if _, err := proc.Process(context.Background(), []contact.Input{input("s2", row("c_raced", 4))}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c_new0", "c_new1"} {
		if p := st.Profile(id); p == nil || p.Email != id+"@example.com" {
			t.Errorf("%s: %+v", id, p)
		}
	}
	p := st.Profile("c_raced")
	if p == nil || p.Email != "c_raced@example.com" || p.EventCount != 2 {
		t.Fatalf("raced contact: %+v, want the tracked event and the row (2 events) with the email", p)
	}
}

func TestProcessorInternalMessagesAddressTheContact(t *testing.T) {
	st := contacttest.New()
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now })
	m := tracking.Message{Type: tracking.TypeTrack, MessageID: "timer:1", ContactID: "c_known", Event: "Timer Fired", Timestamp: now}
	if _, err := proc.Process(context.Background(), []contact.Input{input("s", m), input("s-again", m)}); err != nil {
		t.Fatal(err)
	}
	p := st.Profile("c_known")
	if p == nil {
		t.Fatal("no profile for the contact the message addressed")
	}
	// Applied once: one copy on the timeline. (A fired timer is not the
	// contact's activity, so EventCount stays 0: TestFiredTimersAreNotActivity.)
	tl, err := st.Timeline(context.Background(), []string{"c_known"}, time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 1 || tl[0].MessageID != "timer:1" || p.EventCount != 0 {
		t.Fatalf("timeline %v, event count %d: want the timer's event once and no activity", tl, p.EventCount)
	}
	if st.Calls["LinkIdentity"] != 0 {
		t.Errorf("an internal message must not create identities")
	}
}
