package contact

import (
	"slices"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/tracking"
)

// known is a contact identified a day before t0: what an attacker with the
// public write key aims at.
func known() *Profile {
	day := -24 * time.Hour
	return &Profile{
		ID: "c_known", Email: "ada@x.io", UserID: "user-ada", AnonymousIDs: []string{"ada-laptop"},
		Traits:     map[string]any{"email": "ada@x.io", "first_name": "Ada", "company": "Acme"},
		TraitTimes: map[string]time.Time{"email": t0.Add(day), "first_name": t0.Add(day), "company": t0.Add(day), "removed": t0.Add(day)},
		FirstSeen:  t0.Add(day), LastSeen: t0.Add(day), Sessions: 1, EventCount: 3, PageViews: 2,
		FirstTouch: &Touch{Source: "newsletter", Medium: "email", At: t0.Add(day)},
		LastTouch:  &Touch{Source: "newsletter", Medium: "email", At: t0.Add(day)},
		Status:     "subscribed",
	}
}

// claim is an identify naming the known contact by email, as anyone can send.
func claim(id string, at time.Duration, traits map[string]any) tracking.Message {
	tr := map[string]any{"email": "ada@x.io"}
	for k, v := range traits {
		tr[k] = v
	}
	return tracking.Message{Type: tracking.TypeIdentify, MessageID: id, AnonymousID: "attacker", Traits: tr, Timestamp: t0.Add(at)}
}

func TestApplyVerifiedAndUnverified(t *testing.T) {
	earlyUTM := page("p-early", -5*24*time.Hour, "https://x.io/?utm_source=evil&utm_medium=cpc", "")
	tests := []struct {
		name  string
		start func() *Profile
		msgs  []tracking.Message
		check func(t *testing.T, p *Profile)
	}{
		{
			name:  "unverified identify keeps a known contact's traits and adds new ones",
			start: known,
			msgs:  []tracking.Message{claim("i1", 0, map[string]any{"first_name": "Pwned", "title": "CEO", "company": nil, "removed": "back"})},
			check: func(t *testing.T, p *Profile) {
				if p.Traits["first_name"] != "Ada" || p.Traits["company"] != "Acme" {
					t.Errorf("existing traits overwritten or removed: %v", p.Traits)
				}
				if p.Traits["title"] != "CEO" {
					t.Errorf("a trait never set must be added: %v", p.Traits)
				}
				if _, ok := p.Traits["removed"]; ok {
					t.Errorf("a trait removed earlier is the contact's, not new: %v", p.Traits)
				}
				if p.EventCount != 4 || !slices.Contains(p.AnonymousIDs, "attacker") {
					t.Errorf("behaviour and device must still attach: events %d ids %v", p.EventCount, p.AnonymousIDs)
				}
			},
		},
		{
			name:  "verified identify overwrites, as before",
			start: known,
			msgs:  []tracking.Message{verified(claim("i1", 0, map[string]any{"first_name": "Ada L.", "company": nil}))},
			check: func(t *testing.T, p *Profile) {
				if p.Traits["first_name"] != "Ada L." {
					t.Errorf("first_name %v", p.Traits["first_name"])
				}
				if _, ok := p.Traits["company"]; ok {
					t.Errorf("a verified null removes: %v", p.Traits)
				}
			},
		},
		{
			name:  "unverified identify cannot change a known contact's email or user id",
			start: known,
			msgs: []tracking.Message{{Type: tracking.TypeIdentify, MessageID: "i1", UserID: "user-evil", AnonymousID: "attacker",
				Traits: map[string]any{"email": "evil@attacker.test"}, Timestamp: t0}},
			check: func(t *testing.T, p *Profile) {
				if p.Email != "ada@x.io" || p.UserID != "user-ada" || p.Traits["email"] != "ada@x.io" {
					t.Errorf("email %q user %q traits %v", p.Email, p.UserID, p.Traits)
				}
			},
		},
		{
			name: "unverified identify cannot add an email trait to a contact known by user id",
			start: func() *Profile {
				p := known()
				p.Email = ""
				delete(p.Traits, "email")
				delete(p.TraitTimes, "email")
				return p
			},
			msgs: []tracking.Message{{Type: tracking.TypeIdentify, MessageID: "i1", UserID: "user-ada", AnonymousID: "attacker",
				Traits: map[string]any{"email": "evil@attacker.test"}, Timestamp: t0}},
			check: func(t *testing.T, p *Profile) {
				if p.Email != "" || p.Traits["email"] != nil {
					t.Errorf("email %q traits %v", p.Email, p.Traits)
				}
			},
		},
		{
			name:  "verified identify can change the email",
			start: known,
			msgs: []tracking.Message{verified(tracking.Message{Type: tracking.TypeIdentify, MessageID: "i1", UserID: "user-ada",
				Traits: map[string]any{"email": "ada@new.io"}, Timestamp: t0})},
			check: func(t *testing.T, p *Profile) {
				if p.Email != "ada@new.io" {
					t.Errorf("email %q", p.Email)
				}
			},
		},
		{
			name:  "an unverified early event does not move a known contact's first seen or first touch",
			start: known,
			msgs:  []tracking.Message{earlyUTM},
			check: func(t *testing.T, p *Profile) {
				if !p.FirstSeen.Equal(t0.Add(-24*time.Hour)) || p.FirstTouch.Source != "newsletter" {
					t.Errorf("first seen %v first touch %+v", p.FirstSeen, p.FirstTouch)
				}
				if p.PageViews != 3 {
					t.Errorf("the page view still counts: %d", p.PageViews)
				}
			},
		},
		{
			name:  "a verified early event does",
			start: known,
			msgs:  []tracking.Message{verified(earlyUTM)},
			check: func(t *testing.T, p *Profile) {
				if !p.FirstSeen.Equal(earlyUTM.Timestamp) || p.FirstTouch.Source != "evil" {
					t.Errorf("first seen %v first touch %+v", p.FirstSeen, p.FirstTouch)
				}
			},
		},
		{
			name:  "unverified data identifies an anonymous visitor and sets everything",
			start: func() *Profile { return &Profile{ID: "c_anon"} },
			msgs: []tracking.Message{earlyUTM, {Type: tracking.TypeIdentify, MessageID: "i1", AnonymousID: "a1", UserID: "u1",
				Traits: map[string]any{"email": "Bo@x.io", "first_name": "Bo"}, Timestamp: t0}},
			check: func(t *testing.T, p *Profile) {
				if p.Email != "bo@x.io" || p.UserID != "u1" || p.Traits["first_name"] != "Bo" || p.FirstTouch.Source != "evil" {
					t.Errorf("email %q user %q traits %v first touch %+v", p.Email, p.UserID, p.Traits, p.FirstTouch)
				}
			},
		},
		{
			name:  "once identified, a later unverified call only adds",
			start: func() *Profile { return &Profile{ID: "c_anon"} },
			msgs: []tracking.Message{
				{Type: tracking.TypeIdentify, MessageID: "i1", AnonymousID: "a1", Traits: map[string]any{"email": "bo@x.io", "first_name": "Bo"}, Timestamp: t0},
				{Type: tracking.TypeIdentify, MessageID: "i2", AnonymousID: "a1", Traits: map[string]any{"first_name": "Pwned", "plan": "pro"}, Timestamp: t0.Add(time.Minute)},
			},
			check: func(t *testing.T, p *Profile) {
				if p.Traits["first_name"] != "Bo" || p.Traits["plan"] != "pro" {
					t.Errorf("traits %v", p.Traits)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.start()
			p.Apply(tc.msgs, t0)
			tc.check(t, p)
		})
	}
}

func TestFoldVerifiedAndUnverified(t *testing.T) {
	// prepared is an anonymous profile an attacker filled before claiming
	// the known contact's email: older visit, newer trait values.
	prepared := func() *Profile {
		return &Profile{ID: "c_prepared", AnonymousIDs: []string{"attacker"}, PageViews: 5, EventCount: 6, Sessions: 2,
			FirstSeen: t0.Add(-30 * 24 * time.Hour), LastSeen: t0,
			FirstTouch: &Touch{Source: "evil", Medium: "cpc", At: t0.Add(-30 * 24 * time.Hour)},
			Traits:     map[string]any{"first_name": "Pwned", "website": "https://evil.test"},
			TraitTimes: map[string]time.Time{"first_name": t0, "website": t0},
			Status:     "subscribed", Consents: []tracking.Consent{{Purpose: "marketing", At: t0}},
		}
	}
	tests := []struct {
		name     string
		into     func() *Profile
		from     func() *Profile
		verified bool
		check    func(t *testing.T, p *Profile)
	}{
		{
			name: "unverified fold into a known contact only adds",
			into: known, from: prepared,
			check: func(t *testing.T, p *Profile) {
				if p.Traits["first_name"] != "Ada" || p.Traits["website"] != "https://evil.test" {
					t.Errorf("traits %v", p.Traits)
				}
				if !p.FirstSeen.Equal(t0.Add(-24*time.Hour)) || p.FirstTouch.Source != "newsletter" {
					t.Errorf("first seen %v first touch %+v", p.FirstSeen, p.FirstTouch)
				}
				if len(p.Consents) != 0 || p.Status != "subscribed" {
					t.Errorf("consents %v status %q", p.Consents, p.Status)
				}
				if p.PageViews != 7 || !p.LastSeen.Equal(t0) || !slices.Contains(p.AnonymousIDs, "attacker") {
					t.Errorf("behaviour must still join: views %d last seen %v ids %v", p.PageViews, p.LastSeen, p.AnonymousIDs)
				}
			},
		},
		{
			name: "verified fold keeps the newest trait and the earliest touch",
			into: known, from: prepared, verified: true,
			check: func(t *testing.T, p *Profile) {
				if p.Traits["first_name"] != "Pwned" || p.FirstTouch.Source != "evil" || len(p.Consents) != 1 {
					t.Errorf("traits %v first touch %+v consents %v", p.Traits, p.FirstTouch, p.Consents)
				}
			},
		},
		{
			name: "unverified fold still carries an unsubscribe",
			into: known,
			from: func() *Profile {
				o := prepared()
				o.Status = "unsubscribed"
				return o
			},
			check: func(t *testing.T, p *Profile) {
				if p.Status != "unsubscribed" {
					t.Errorf("status %q", p.Status)
				}
			},
		},
		{
			name: "unverified fold into an anonymous contact is a full fold",
			into: func() *Profile {
				return &Profile{ID: "c_anon", FirstSeen: t0, Traits: map[string]any{"first_name": "X"}, TraitTimes: map[string]time.Time{"first_name": t0.Add(-time.Hour)}}
			},
			from: prepared,
			check: func(t *testing.T, p *Profile) {
				if p.Traits["first_name"] != "Pwned" || p.FirstTouch.Source != "evil" {
					t.Errorf("traits %v first touch %+v", p.Traits, p.FirstTouch)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.into()
			p.Fold(tc.from(), tc.verified)
			tc.check(t, p)
		})
	}
}
