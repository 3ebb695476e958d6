package contact_test

import (
	"slices"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/contact/contacttest"
	"github.com/leadflow/leadflow/shared/tracking"
)

// withTraits adds traits to an identify built by ident.
func withTraits(m tracking.Message, traits map[string]any) tracking.Message {
	if m.Traits == nil {
		m.Traits = map[string]any{}
	}
	for k, v := range traits {
		m.Traits[k] = v
	}
	return m
}

func proven(m tracking.Message) tracking.Message {
	m.Verified = true
	return m
}

// TestUnverifiedCallsCannotTakeOverAKnownContact plays what anyone holding
// the public write key can send against a contact identified earlier.
func TestUnverifiedCallsCannotTakeOverAKnownContact(t *testing.T) {
	ada := withTraits(ident("i0", "ada-laptop", "", "ada@x.io", 0), map[string]any{"first_name": "Ada"})
	adaWithID := withTraits(ident("i0", "ada-laptop", "user-ada", "ada@x.io", 0), map[string]any{"first_name": "Ada"})
	tests := []struct {
		name    string
		batches [][]tracking.Message
		check   func(t *testing.T, st *contacttest.MemStore)
	}{
		{
			name: "an identify with the contact's email keeps their traits",
			batches: [][]tracking.Message{{ada},
				{withTraits(ident("x1", "attacker", "", "ADA@x.io", time.Hour), map[string]any{"first_name": "Pwned"})}},
			check: func(t *testing.T, st *contacttest.MemStore) {
				c := owner(st, contact.Email, "ada@x.io")
				if p := st.Profile(c); p.Traits["first_name"] != "Ada" || p.EventCount != 2 {
					t.Errorf("traits %v events %d", p.Traits, p.EventCount)
				}
			},
		},
		{
			name: "the same identify with a valid user hash changes them",
			batches: [][]tracking.Message{{ada},
				{proven(withTraits(ident("x1", "ada-phone", "", "ada@x.io", time.Hour), map[string]any{"first_name": "Ada L."}))}},
			check: func(t *testing.T, st *contacttest.MemStore) {
				if p := st.Profile(owner(st, contact.Email, "ada@x.io")); p.Traits["first_name"] != "Ada L." {
					t.Errorf("traits %v", p.Traits)
				}
			},
		},
		{
			name: "a prepared anonymous profile merged by an unverified identify only adds",
			batches: [][]tracking.Message{{ada},
				{pageAt("x0", "attacker", 30*time.Minute),
					withTraits(ident("x1", "attacker", "", "", 31*time.Minute), map[string]any{"first_name": "Pwned", "website": "https://evil.test"})},
				{ident("x2", "attacker", "", "ada@x.io", time.Hour)}},
			check: func(t *testing.T, st *contacttest.MemStore) {
				c := owner(st, contact.Email, "ada@x.io")
				p := st.Profile(c)
				if p.Traits["first_name"] != "Ada" || p.Traits["website"] != "https://evil.test" {
					t.Errorf("traits %v", p.Traits)
				}
				// The accepted limit: the attacker's device and history join.
				if owner(st, contact.AnonymousID, "attacker") != c || p.PageViews != 1 || len(p.MergedIDs) != 1 {
					t.Errorf("device %q views %d merged %v", owner(st, contact.AnonymousID, "attacker"), p.PageViews, p.MergedIDs)
				}
			},
		},
		{
			name: "an unverified identify cannot link a new email to a known user id",
			batches: [][]tracking.Message{{adaWithID},
				{ident("x1", "attacker", "user-ada", "evil@attacker.test", time.Hour)}},
			check: func(t *testing.T, st *contacttest.MemStore) {
				c := owner(st, contact.UserID, "user-ada")
				if owner(st, contact.Email, "evil@attacker.test") == c {
					t.Error("the attacker's email now reaches the contact")
				}
				if p := st.Profile(c); p.Email != "ada@x.io" || p.EventCount != 2 {
					t.Errorf("email %q events %d", p.Email, p.EventCount)
				}
			},
		},
		{
			name: "an unverified identify cannot give a known email a user id",
			batches: [][]tracking.Message{{ada},
				{ident("x1", "attacker", "user-evil", "ada@x.io", time.Hour)},
				{proven(ident("i1", "ada-laptop", "user-ada", "ada@x.io", 2*time.Hour))}},
			check: func(t *testing.T, st *contacttest.MemStore) {
				c := owner(st, contact.Email, "ada@x.io")
				if owner(st, contact.UserID, "user-evil") == c {
					t.Error("the attacker's user id now reaches the contact")
				}
				if owner(st, contact.UserID, "user-ada") != c || st.Profile(c).UserID != "user-ada" {
					t.Errorf("the person's own verified user id must still join their contact: %q", owner(st, contact.UserID, "user-ada"))
				}
			},
		},
		{
			name: "a verified identify links a new email to the user id",
			batches: [][]tracking.Message{{adaWithID},
				{proven(ident("i1", "ada-laptop", "user-ada", "ada@new.io", time.Hour))}},
			check: func(t *testing.T, st *contacttest.MemStore) {
				c := owner(st, contact.UserID, "user-ada")
				if owner(st, contact.Email, "ada@new.io") != c || st.Profile(c).Email != "ada@new.io" {
					t.Errorf("email link %q profile email %q", owner(st, contact.Email, "ada@new.io"), st.Profile(c).Email)
				}
			},
		},
		{
			name: "an unverified visitor still identifies once, in one call",
			batches: [][]tracking.Message{{pageAt("p1", "anon-1", 0)},
				{ident("i1", "anon-1", "user-1", "bo@x.io", time.Minute)}},
			check: func(t *testing.T, st *contacttest.MemStore) {
				c := owner(st, contact.AnonymousID, "anon-1")
				if owner(st, contact.UserID, "user-1") != c || owner(st, contact.Email, "bo@x.io") != c {
					t.Error("user id and email must join the visitor's contact")
				}
				if p := st.Profile(c); p.Email != "bo@x.io" || p.UserID != "user-1" || !slices.Contains(p.AnonymousIDs, "anon-1") {
					t.Errorf("profile %+v", p)
				}
			},
		},
		{
			// analytics.js stamps a queued retry with the user id its later
			// identify set; the retry can reach us before that identify.
			name: "the device that identified a visitor completes the identity when a retried track with the user id comes first",
			batches: [][]tracking.Message{{pageAt("p1", "anon-1", 0)},
				{trackBy("t1", "anon-1", "user-1", time.Minute)},
				{withTraits(ident("i1", "anon-1", "user-1", "bo@x.io", 2*time.Minute), map[string]any{"first_name": "Bo"})}},
			check: func(t *testing.T, st *contacttest.MemStore) {
				c := owner(st, contact.AnonymousID, "anon-1")
				if owner(st, contact.UserID, "user-1") != c || owner(st, contact.Email, "bo@x.io") != c {
					t.Errorf("user id owner %q email owner %q, want %q", owner(st, contact.UserID, "user-1"), owner(st, contact.Email, "bo@x.io"), c)
				}
				if p := st.Profile(c); p.Email != "bo@x.io" || p.Traits["email"] != "bo@x.io" || p.Traits["first_name"] != "Bo" || p.IdentifiedBy != "anon-1" {
					t.Errorf("email %q traits %v identified by %q", p.Email, p.Traits, p.IdentifiedBy)
				}
			},
		},
		{
			name: "the same completes within one batch, whatever the arrival order",
			batches: [][]tracking.Message{{pageAt("p1", "anon-1", 0)},
				{withTraits(ident("i1", "anon-1", "user-1", "bo@x.io", 2*time.Minute), map[string]any{"first_name": "Bo"}),
					trackBy("t1", "anon-1", "user-1", time.Minute)}},
			check: func(t *testing.T, st *contacttest.MemStore) {
				c := owner(st, contact.AnonymousID, "anon-1")
				if owner(st, contact.Email, "bo@x.io") != c {
					t.Errorf("email owner %q, want %q", owner(st, contact.Email, "bo@x.io"), c)
				}
				if p := st.Profile(c); p.Email != "bo@x.io" || p.UserID != "user-1" || p.Traits["email"] != "bo@x.io" {
					t.Errorf("email %q user %q traits %v", p.Email, p.UserID, p.Traits)
				}
			},
		},
		{
			name: "another device cannot complete a contact known by a browser-linked user id",
			batches: [][]tracking.Message{{pageAt("p1", "anon-1", 0)},
				{trackBy("t1", "anon-1", "user-1", time.Minute)},
				{ident("x1", "attacker", "user-1", "evil@attacker.test", 2*time.Minute)},
				{trackBy("x2", "attacker", "user-1", 3*time.Minute)}},
			check: func(t *testing.T, st *contacttest.MemStore) {
				c := owner(st, contact.UserID, "user-1")
				if owner(st, contact.Email, "evil@attacker.test") == c {
					t.Error("the attacker's email now reaches the contact")
				}
				if p := st.Profile(c); p.Email != "" || p.Traits["email"] != nil || p.IdentifiedBy != "anon-1" {
					t.Errorf("email %q traits %v identified by %q", p.Email, p.Traits, p.IdentifiedBy)
				}
			},
		},
		{
			name: "the identifying device cannot replace an email the contact has",
			batches: [][]tracking.Message{{pageAt("p1", "anon-1", 0)},
				{ident("i1", "anon-1", "user-1", "bo@x.io", time.Minute)},
				{ident("i2", "anon-1", "user-1", "other@x.io", 2*time.Minute)}},
			check: func(t *testing.T, st *contacttest.MemStore) {
				c := owner(st, contact.UserID, "user-1")
				if owner(st, contact.Email, "other@x.io") == c {
					t.Error("a second unverified email joined the contact")
				}
				if p := st.Profile(c); p.Email != "bo@x.io" {
					t.Errorf("email %q", p.Email)
				}
			},
		},
		{
			name: "once a verified call backs the identity, the device needs proof too",
			batches: [][]tracking.Message{{pageAt("p1", "anon-1", 0)},
				{trackBy("t1", "anon-1", "user-1", time.Minute)},
				{proven(trackBy("t2", "anon-1", "user-1", 2*time.Minute))},
				{ident("i1", "anon-1", "user-1", "bo@x.io", 3*time.Minute)}},
			check: func(t *testing.T, st *contacttest.MemStore) {
				c := owner(st, contact.UserID, "user-1")
				if owner(st, contact.Email, "bo@x.io") == c || st.Profile(c).Email != "" || st.Profile(c).IdentifiedBy != "" {
					t.Errorf("email owner %q profile email %q identified by %q", owner(st, contact.Email, "bo@x.io"), st.Profile(c).Email, st.Profile(c).IdentifiedBy)
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

// trackBy is a track call from device anon, stamped with a user id as
// browser libraries do once identify has run.
func trackBy(id, anon, user string, at time.Duration) tracking.Message {
	return tracking.Message{Type: tracking.TypeTrack, Event: "Demo Requested", MessageID: id, AnonymousID: anon, UserID: user, Timestamp: now.Add(at)}
}
