package contact_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/contact/contacttest"
	"github.com/leadflow/leadflow/shared/tracking"
)

func ident(id, anon, user, email string, at time.Duration) tracking.Message {
	m := tracking.Message{Type: tracking.TypeIdentify, MessageID: id, AnonymousID: anon, UserID: user, Timestamp: now.Add(at)}
	if email != "" {
		m.Traits = map[string]any{"email": email}
	}
	return m
}

func pageAt(id, anon string, at time.Duration) tracking.Message {
	return tracking.Message{Type: tracking.TypePage, MessageID: id, AnonymousID: anon, Timestamp: now.Add(at),
		Context: tracking.Context{Page: &tracking.Page{URL: "https://x.io/" + id}}}
}

func run(t *testing.T, proc *contact.Processor, batches ...[]tracking.Message) {
	t.Helper()
	for i, b := range batches {
		out, err := proc.Process(context.Background(), []contact.Input{{ID: "sqs-" + string(rune('a'+i)), Batch: tracking.Batch{Messages: b}}})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("batch %d: %v %+v", i, err, out)
		}
	}
}

func owner(st *contacttest.MemStore, kind contact.IdentityKind, v string) string {
	return st.Owner(contact.Identity{Kind: kind, Value: v})
}

func TestIdentityResolution(t *testing.T) {
	tests := []struct {
		name    string
		batches [][]tracking.Message
		check   func(t *testing.T, st *contacttest.MemStore)
	}{
		{
			name: "a visitor who identifies keeps one contact",
			batches: [][]tracking.Message{
				{pageAt("p1", "anon-1", 0), pageAt("p2", "anon-1", time.Minute)},
				{ident("i1", "anon-1", "", "ada@x.io", 2*time.Minute)},
			},
			check: func(t *testing.T, st *contacttest.MemStore) {
				c := owner(st, contact.AnonymousID, "anon-1")
				if owner(st, contact.Email, "ada@x.io") != c {
					t.Fatal("email not linked to the visitor's contact")
				}
				if p := st.Profile(c); p.PageViews != 2 || p.Email != "ada@x.io" || len(p.MergedIDs) != 0 {
					t.Errorf("profile %+v", p)
				}
			},
		},
		{
			name: "a second device identified with the same email merges into the first",
			batches: [][]tracking.Message{
				{pageAt("p1", "laptop", 0), ident("i1", "laptop", "", "ada@x.io", time.Minute)},
				{pageAt("p2", "phone", 2*time.Minute), pageAt("p3", "phone", 3*time.Minute)},
				{ident("i2", "phone", "", "Ada@X.io", 4*time.Minute)},
			},
			check: func(t *testing.T, st *contacttest.MemStore) {
				a := owner(st, contact.Email, "ada@x.io")
				if owner(st, contact.AnonymousID, "phone") != a || owner(st, contact.AnonymousID, "laptop") != a {
					t.Fatal("both devices must point at the identified contact")
				}
				p := st.Profile(a)
				if p.PageViews != 3 || p.EventCount != 5 || len(p.MergedIDs) != 1 {
					t.Errorf("merged profile: views %d events %d merged %v", p.PageViews, p.EventCount, p.MergedIDs)
				}
				if !slices.Contains(p.AnonymousIDs, "phone") || !p.LastSeen.Equal(now.Add(4*time.Minute)) {
					t.Errorf("anonymous ids %v last seen %v", p.AnonymousIDs, p.LastSeen)
				}
				if tomb := st.Profile(p.MergedIDs[0]); tomb.MergedInto != a {
					t.Errorf("merged contact not tombstoned: %+v", tomb)
				}
			},
		},
		{
			name: "identify and page of a new device in the same batch as the merge",
			batches: [][]tracking.Message{
				{ident("i1", "laptop", "", "ada@x.io", 0)},
				{pageAt("p1", "tablet", time.Minute), ident("i2", "tablet", "", "ada@x.io", 2*time.Minute), pageAt("p2", "tablet", 3*time.Minute)},
			},
			check: func(t *testing.T, st *contacttest.MemStore) {
				a := owner(st, contact.Email, "ada@x.io")
				if owner(st, contact.AnonymousID, "tablet") != a {
					t.Fatal("tablet not linked to the known contact")
				}
				if p := st.Profile(a); p.PageViews != 2 || p.EventCount != 4 {
					t.Errorf("views %d events %d", p.PageViews, p.EventCount)
				}
			},
		},
		{
			name: "a different person on a shared device gets their own contact",
			batches: [][]tracking.Message{
				{pageAt("p1", "kiosk", 0), ident("i1", "kiosk", "", "ada@x.io", time.Minute)},
				{ident("i2", "kiosk", "", "bob@x.io", 2*time.Minute), pageAt("p2", "kiosk", 3*time.Minute)},
			},
			check: func(t *testing.T, st *contacttest.MemStore) {
				a, b := owner(st, contact.Email, "ada@x.io"), owner(st, contact.Email, "bob@x.io")
				if a == b || a == "" || b == "" {
					t.Fatalf("ada %q bob %q must be different contacts", a, b)
				}
				if owner(st, contact.AnonymousID, "kiosk") != b {
					t.Error("the device now belongs to the person who identified last")
				}
				if pa, pb := st.Profile(a), st.Profile(b); pa.Email != "ada@x.io" || pa.PageViews != 1 || pb.PageViews != 1 || pb.Email != "bob@x.io" {
					t.Errorf("ada %+v bob %+v", pa, pb)
				}
			},
		},
		{
			name: "a user id moves to a different person only with a new contact",
			batches: [][]tracking.Message{
				{ident("i1", "dev", "user-1", "", 0)},
				{ident("i2", "dev", "user-2", "", time.Minute)},
			},
			check: func(t *testing.T, st *contacttest.MemStore) {
				if owner(st, contact.UserID, "user-1") == owner(st, contact.UserID, "user-2") {
					t.Error("two user ids must not share a contact")
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := contacttest.New()
			proc := contact.NewProcessor(st, quiet(), func() time.Time { return now })
			run(t, proc, tc.batches...)
			tc.check(t, st)
		})
	}
}

func TestConcurrentMergesFoldOnce(t *testing.T) {
	st := contacttest.New()
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now })
	run(t, proc,
		[]tracking.Message{ident("i1", "laptop", "", "ada@x.io", 0)},
		[]tracking.Message{pageAt("p1", "phone", time.Minute), pageAt("p2", "phone", 2*time.Minute)},
	)
	a, b := owner(st, contact.Email, "ada@x.io"), owner(st, contact.AnonymousID, "phone")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := proc.Merge(context.Background(), b, a, true); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	p := st.Profile(a)
	if p.PageViews != 2 || p.EventCount != 3 || len(p.MergedIDs) != 1 {
		t.Errorf("after 8 racing merges: views %d events %d merged %v", p.PageViews, p.EventCount, p.MergedIDs)
	}
	// Events that still arrive through a stale link land on the survivor.
	st.ResetCalls()
	m := pageAt("p3", "phone", 3*time.Minute)
	m.ContactID = b
	run(t, proc, []tracking.Message{m})
	if p := st.Profile(a); p.PageViews != 3 {
		t.Errorf("event for the merged contact not redirected: views %d", p.PageViews)
	}
	if p := st.Profile(b); p.PageViews != 2 || p.MergedInto != a {
		t.Errorf("tombstone changed: %+v", p)
	}
}

func TestFold(t *testing.T) {
	t1, t2 := now, now.Add(time.Hour)
	a := &contact.Profile{ID: "a", PageViews: 2, FirstSeen: t2, LastSeen: t2, Status: "subscribed",
		Traits: map[string]any{"plan": "pro", "city": "Paris"}, TraitTimes: map[string]time.Time{"plan": t2, "city": t1},
		FirstTouch: &contact.Touch{Source: "(direct)", At: t2}, Tags: []string{"x"}}
	b := &contact.Profile{ID: "b", PageViews: 3, FirstSeen: t1, LastSeen: t1, Status: "unsubscribed",
		Traits: map[string]any{"plan": "free", "city": "Lyon"}, TraitTimes: map[string]time.Time{"plan": t1, "city": t2},
		FirstTouch: &contact.Touch{Source: "google", At: t1}, Tags: []string{"y"}, AnonymousIDs: []string{"anon-b"},
		UnsubscribedTopics: []string{"events"}}
	a.Fold(b, true)
	checks := []struct {
		name string
		ok   bool
	}{
		{"counts add", a.PageViews == 5},
		{"first seen is the earliest", a.FirstSeen.Equal(t1) && a.LastSeen.Equal(t2)},
		{"first touch comes with the earliest visit", a.FirstTouch.Source == "google"},
		{"newer trait values win per trait", a.Traits["plan"] == "pro" && a.Traits["city"] == "Lyon"},
		{"an unsubscribe wins", a.Status == "unsubscribed"},
		{"tags and anonymous ids join", slices.Equal(a.Tags, []string{"x", "y"}) && slices.Contains(a.AnonymousIDs, "anon-b")},
		{"the merged id is recorded", slices.Equal(a.MergedIDs, []string{"b"})},
		{"topic opt-outs survive", slices.Contains(a.UnsubscribedTopics, "events")},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: %+v", c.name, a)
		}
	}
}

func TestMergeOfAContactStillBeingCreatedLeavesNoOrphan(t *testing.T) {
	st := contacttest.New()
	proc := contact.NewProcessor(st, quiet(), func() time.Time { return now })
	run(t, proc, []tracking.Message{ident("i1", "laptop", "", "ada@x.io", 0)})
	a := owner(st, contact.Email, "ada@x.io")
	// Another invocation has linked the phone to a new contact but not yet
	// saved its profile when this one merges it away.
	ctx := context.Background()
	if _, err := st.LinkIdentity(ctx, contact.Identity{Kind: contact.AnonymousID, Value: "phone"}, "c_inflight", now); err != nil {
		t.Fatal(err)
	}
	if _, err := proc.Merge(ctx, "c_inflight", a, true); err != nil {
		t.Fatal(err)
	}
	// The late creation now conflicts...
	late := &contact.Profile{ID: "c_inflight", PageViews: 4, EventCount: 4}
	if err := st.SaveProfile(ctx, late); err == nil {
		t.Fatal("the in-flight creation must conflict with the tombstone")
	}
	// ...and its events, retried, land on the survivor.
	m := pageAt("p1", "phone", time.Minute)
	m.ContactID = "c_inflight"
	run(t, proc, []tracking.Message{m})
	if p := st.Profile(a); p.PageViews != 1 || !slices.Contains(p.MergedIDs, "c_inflight") {
		t.Errorf("survivor %+v", p)
	}
	if p := st.Profile("c_inflight"); p.MergedInto != a || p.PageViews != 0 {
		t.Errorf("tombstone %+v", p)
	}
}
