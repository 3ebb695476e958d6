package contact

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/journey"
	"github.com/leadflow/leadflow/shared/segment"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

var t0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

func page(id string, at time.Duration, url, referrer string) tracking.Message {
	m := tracking.Message{Type: tracking.TypePage, MessageID: id, AnonymousID: "a1", Timestamp: t0.Add(at),
		Context: tracking.Context{Page: &tracking.Page{URL: url, Referrer: referrer, Title: "T " + id}}}
	m.Context.Campaign = tracking.CampaignFromURL(url)
	return m
}

func track(id string, at time.Duration, event string) tracking.Message {
	return tracking.Message{Type: tracking.TypeTrack, MessageID: id, AnonymousID: "a1", Event: event, Timestamp: t0.Add(at)}
}

func identify(id string, at time.Duration, traits map[string]any) tracking.Message {
	return tracking.Message{Type: tracking.TypeIdentify, MessageID: id, AnonymousID: "a1", UserID: "u1", Traits: traits, Timestamp: t0.Add(at)}
}

// verified marks a message as ingest does after checking its user hash.
func verified(m tracking.Message) tracking.Message {
	m.Verified = true
	return m
}

func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		batches [][]tracking.Message
		check   func(t *testing.T, p *Profile, fresh int)
	}{
		{
			name: "page views, first and last seen, last page",
			batches: [][]tracking.Message{{
				page("m1", 0, "https://x.io/", ""),
				track("m2", time.Minute, "Clicked"),
				page("m3", 2*time.Minute, "https://x.io/pricing", "https://x.io/"),
			}},
			check: func(t *testing.T, p *Profile, fresh int) {
				if fresh != 3 || p.PageViews != 2 || p.EventCount != 3 {
					t.Errorf("fresh %d, page views %d, events %d", fresh, p.PageViews, p.EventCount)
				}
				if !p.FirstSeen.Equal(t0) || !p.LastSeen.Equal(t0.Add(2*time.Minute)) {
					t.Errorf("first %v last %v", p.FirstSeen, p.LastSeen)
				}
				if p.LastPage == nil || p.LastPage.URL != "https://x.io/pricing" {
					t.Errorf("last page %+v", p.LastPage)
				}
				if p.FirstTouch.Source != "(direct)" || p.LastTouch.Source != "(direct)" {
					t.Errorf("touches %+v %+v", p.FirstTouch, p.LastTouch)
				}
			},
		},
		{
			name: "first touch keeps the earliest campaign, last touch the latest non-direct",
			batches: [][]tracking.Message{
				{page("m1", time.Hour, "https://x.io/?utm_source=google&utm_medium=cpc&utm_campaign=brand", "")},
				{page("m2", 2*time.Hour, "https://x.io/blog", "https://news.ycombinator.com/item")},
				{page("m3", 3*time.Hour, "https://x.io/docs", "")},
			},
			check: func(t *testing.T, p *Profile, _ int) {
				if p.FirstTouch.Source != "google" || p.FirstTouch.Medium != "cpc" || p.FirstTouch.Name != "brand" {
					t.Errorf("first touch %+v", p.FirstTouch)
				}
				if p.LastTouch.Source != "news.ycombinator.com" || p.LastTouch.Medium != "referral" {
					t.Errorf("last touch %+v", p.LastTouch)
				}
			},
		},
		{
			name: "a late-arriving older event becomes first touch",
			batches: [][]tracking.Message{
				{page("m1", time.Hour, "https://x.io/", "")},
				{page("m0", 0, "https://x.io/?utm_source=linkedin&utm_medium=social", "")},
			},
			check: func(t *testing.T, p *Profile, _ int) {
				if p.FirstTouch.Source != "linkedin" || !p.FirstSeen.Equal(t0) || !p.LastSeen.Equal(t0.Add(time.Hour)) {
					t.Errorf("first touch %+v first %v last %v", p.FirstTouch, p.FirstSeen, p.LastSeen)
				}
				if p.LastPage.URL != "https://x.io/" {
					t.Errorf("older page must not replace last page: %+v", p.LastPage)
				}
			},
		},
		{
			name: "a verified identify merges traits, null removes, email normalised",
			batches: [][]tracking.Message{
				{identify("m1", 0, map[string]any{"email": " Ann@Example.COM ", "plan": "free", "title": "VP"})},
				{verified(identify("m2", time.Minute, map[string]any{"plan": "pro", "title": nil}))},
			},
			check: func(t *testing.T, p *Profile, _ int) {
				if p.Email != "ann@example.com" || p.UserID != "u1" {
					t.Errorf("email %q user %q", p.Email, p.UserID)
				}
				if p.Traits["plan"] != "pro" || p.Traits["title"] != nil {
					t.Errorf("traits %v", p.Traits)
				}
			},
		},
		{
			name: "an exact replay changes nothing",
			batches: [][]tracking.Message{
				{page("m1", 0, "https://x.io/", ""), track("m2", time.Second, "e")},
				{page("m1", 0, "https://x.io/", ""), track("m2", time.Second, "e")},
			},
			check: func(t *testing.T, p *Profile, fresh int) {
				if fresh != 0 || p.EventCount != 2 || p.PageViews != 1 {
					t.Errorf("fresh %d events %d views %d", fresh, p.EventCount, p.PageViews)
				}
			},
		},
		{
			name: "a retry that mixes old and new events counts only the new",
			batches: [][]tracking.Message{
				{page("m1", 0, "https://x.io/", "")},
				{page("m1", 0, "https://x.io/", ""), page("m2", time.Second, "https://x.io/b", "")},
			},
			check: func(t *testing.T, p *Profile, fresh int) {
				if fresh != 1 || p.PageViews != 2 {
					t.Errorf("fresh %d views %d", fresh, p.PageViews)
				}
			},
		},
		{
			name: "duplicates inside one batch count once",
			batches: [][]tracking.Message{
				{track("m1", 0, "e"), track("m1", 0, "e"), track("m2", 0, "e")},
			},
			check: func(t *testing.T, p *Profile, fresh int) {
				if fresh != 2 || p.EventCount != 2 {
					t.Errorf("fresh %d events %d", fresh, p.EventCount)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &Profile{ID: "c1"}
			fresh := 0
			for _, b := range tc.batches {
				fresh = len(p.Apply(b, t0))
			}
			tc.check(t, p, fresh)
		})
	}
}

func TestApplyReplayOfABatchLargerThanTheWindow(t *testing.T) {
	var big []tracking.Message
	for i := 0; i < 3*AppliedWindow; i++ {
		big = append(big, track("m"+string(rune('A'+i%26))+string(rune('a'+i/26)), time.Duration(i)*time.Second, "e"))
	}
	p := &Profile{ID: "c1"}
	if got := len(p.Apply(big, t0)); got != len(big) {
		t.Fatalf("first apply: %d fresh, want %d", got, len(big))
	}
	if got := len(p.Apply(big, t0)); got != 0 {
		t.Errorf("replay applied %d events; the group hash must stop it", got)
	}
	if len(p.Applied) > AppliedWindow {
		t.Errorf("window grew to %d", len(p.Applied))
	}
	if p.EventCount != len(big) {
		t.Errorf("event count %d", p.EventCount)
	}
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		"A@B.co": "a@b.co", " x.y+z@mail.example.org ": "x.y+z@mail.example.org",
		"nope": "", "@b.co": "", "a@": "", "a@b": "", "a b@c.d": "", "<a@b.c>": "",
	} {
		if got := NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

// A fired timer is not activity: a segment recheck, a journey's wait
// ending, its resume or date trigger must not move last seen (else "not
// seen in 30 days" could never match a contact on a nurture path) nor
// count as an event or a session. A website's event with the same name and
// messageId is activity: only Leadflow addresses a contact by id.
func TestFiredTimersAreNotActivity(t *testing.T) {
	seen := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	later := seen.AddDate(0, 1, 0)
	fired := func(event string) tracking.Message {
		return timer.Timer{ID: "x:" + event, ContactID: "c1", Event: event, Due: later}.Message(later)
	}
	for _, tc := range []struct {
		name     string
		msg      tracking.Message
		activity bool
	}{
		{"segment recheck", tracking.Message{Type: tracking.TypeTrack, MessageID: "timer:x", Event: segment.RecheckEvent, Timestamp: later}, false},
		{"journey wake", fired(journey.WakeEvent), false},
		{"journey date trigger", fired(journey.DateEvent), false},
		{"journey resume", fired(journey.ResumeEvent), false},
		{"a site's event named like a wake", tracking.Message{Type: tracking.TypeTrack, MessageID: "timer:y", Event: journey.WakeEvent, Timestamp: later}, true},
		{"an email click by contact id", tracking.Message{Type: tracking.TypeTrack, MessageID: "ses:z", ContactID: "c1", Event: "Email Link Clicked", Timestamp: later}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Profile{ID: "c1", LastSeen: seen, FirstSeen: seen, EventCount: 3, Sessions: 1}
			fresh := p.Apply([]tracking.Message{tc.msg}, later)
			if len(fresh) != 1 {
				t.Fatalf("the event was not applied: %v", fresh)
			}
			moved := !p.LastSeen.Equal(seen) || p.EventCount != 3 || p.Sessions != 1
			if moved != tc.activity {
				t.Errorf("activity %v, want %v: last seen %v, events %d, sessions %d", moved, tc.activity, p.LastSeen, p.EventCount, p.Sessions)
			}
		})
	}
}

// A bounce or complaint that put the address on the suppression list marks
// the profile (segments' status "suppressed"); only Leadflow's producers
// (messages addressed by contact id) can, and a new address clears it.
func TestSuppressionFollowsTheAddress(t *testing.T) {
	bounce := func(id string, props map[string]any) tracking.Message {
		return tracking.Message{Type: tracking.TypeTrack, MessageID: id, ContactID: "c1", Event: "Email Bounced", Properties: props, Timestamp: t0}
	}
	tests := []struct {
		name string
		had  string // Suppressed before
		msgs []tracking.Message
		want string
	}{
		{"hard bounce", "", []tracking.Message{bounce("b1", map[string]any{PropSuppressed: "bounce"})}, "bounce"},
		{"complaint", "", []tracking.Message{{Type: tracking.TypeTrack, MessageID: "b2", ContactID: "c1", Event: "Email Marked as Spam", Properties: map[string]any{PropSuppressed: "complaint"}, Timestamp: t0}}, "complaint"},
		{"soft bounce under the threshold", "", []tracking.Message{bounce("b3", map[string]any{"permanent": false})}, ""},
		{"first reason kept", "complaint", []tracking.Message{bounce("b4", map[string]any{PropSuppressed: "bounce"})}, "complaint"},
		{"a website's event cannot suppress", "", []tracking.Message{{Type: tracking.TypeTrack, MessageID: "b5", AnonymousID: "a1", Event: "Email Bounced", Properties: map[string]any{PropSuppressed: "bounce"}, Timestamp: t0}}, ""},
		{"not a string", "", []tracking.Message{bounce("b6", map[string]any{PropSuppressed: true})}, ""},
		{"a new address clears it", "bounce", []tracking.Message{verified(identify("i1", time.Minute, map[string]any{"email": "new@example.com"}))}, ""},
		{"the same address keeps it", "bounce", []tracking.Message{verified(identify("i2", time.Minute, map[string]any{"email": "Old@Example.com"}))}, "bounce"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &Profile{ID: "c1", Email: "old@example.com", UserID: "u1", Suppressed: tc.had}
			p.Apply(tc.msgs, t0.Add(time.Hour))
			if p.Suppressed != tc.want {
				t.Errorf("suppressed %q, want %q", p.Suppressed, tc.want)
			}
		})
	}
}
