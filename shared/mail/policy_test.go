package mail

import (
	"fmt"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/template"
)

func testSettings() Settings {
	return Settings{
		Sender: Sender{
			From:          template.Address{Name: "Leadflow", Address: "hello@example.com"},
			ReplyTo:       []string{"support@example.com"},
			PostalAddress: "Leadflow Inc., 100 Example Street, Springfield, IL 62701, USA",
		},
		FrequencyCaps:       []Cap{{Max: 2, Per: "day"}, {Max: 5, Per: "week"}},
		QuietHours:          &QuietHours{Start: "21:00", End: "08:00"},
		DefaultTimezone:     "UTC",
		RequireOptIn:        true,
		CircuitBreaker:      CircuitBreaker{WindowHours: 24, MinSends: 100, BounceRate: 0.04, ComplaintRate: 0.0008, PauseMinutes: 60},
		ConfirmLinkDays:     7,
		InDoubtAfterMinutes: 10,
		LinkHosts:           []string{"example.com", "*.example.org"},
	}
}

func TestSettingsValidate(t *testing.T) {
	if err := testSettings().Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*Settings)
	}{
		{"no postal address", func(s *Settings) { s.Sender.PostalAddress = " " }},
		{"bad from", func(s *Settings) { s.Sender.From.Address = "Leadflow <a@b.com>" }},
		{"cap window", func(s *Settings) { s.FrequencyCaps[0].Per = "fortnight" }},
		{"cap max", func(s *Settings) { s.FrequencyCaps[0].Max = 0 }},
		{"quiet hours", func(s *Settings) { s.QuietHours.End = "8am" }},
		{"quiet hours empty", func(s *Settings) { s.QuietHours.End = "21:00" }},
		{"time zone", func(s *Settings) { s.DefaultTimezone = "Mars/Olympus" }},
		{"bounce threshold at SES's review rate", func(s *Settings) { s.CircuitBreaker.BounceRate = 0.05 }},
		{"in-doubt window past an SQS delay", func(s *Settings) { s.InDoubtAfterMinutes = 20 }},
		{"link host with a scheme", func(s *Settings) { s.LinkHosts = []string{"https://example.com"} }},
		{"link host with a path", func(s *Settings) { s.LinkHosts = []string{"example.com/x"} }},
		{"link host with a port", func(s *Settings) { s.LinkHosts = []string{"example.com:443"} }},
		{"link host in upper case", func(s *Settings) { s.LinkHosts = []string{"Example.com"} }},
		{"link host with a trailing dot", func(s *Settings) { s.LinkHosts = []string{"example.com."} }},
		{"link host with a backslash", func(s *Settings) { s.LinkHosts = []string{`evil.example\.example.com`} }},
		{"empty link host", func(s *Settings) { s.LinkHosts = []string{""} }},
		{"wildcard over a top-level domain", func(s *Settings) { s.LinkHosts = []string{"*.com"} }},
		{"wildcard alone", func(s *Settings) { s.LinkHosts = []string{"*"} }},
		{"wildcard inside a name", func(s *Settings) { s.LinkHosts = []string{"shop.*.example.com"} }},
		{"two wildcards", func(s *Settings) { s.LinkHosts = []string{"*.*.example.com"} }},
		{"too many link hosts", func(s *Settings) {
			s.LinkHosts = nil
			for i := range maxLinkHosts + 1 {
				s.LinkHosts = append(s.LinkHosts, fmt.Sprintf("h%d.example.com", i))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings()
			tc.change(&s)
			if s.Validate() == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestLinkHostAllowed(t *testing.T) {
	s := testSettings()
	for host, want := range map[string]bool{
		"example.com": true, "www.example.com": false, "example.org": false,
		"shop.example.org": true, "a.b.example.org": true, "evilexample.org": false,
		"example.org.evil.example": false, "": false,
	} {
		if got := s.LinkHostAllowed(host); got != want {
			t.Errorf("LinkHostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestDecide(t *testing.T) {
	// Tuesday 2026-11-24, 15:00 UTC: 16:00 in Berlin, 10:00 in New York.
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	sub := func(f Facts) Facts {
		if f.Email == "" {
			f.Email = "ada@example.com"
		}
		if f.Status == "" {
			f.Status = "subscribed"
		}
		if f.Kind == "" {
			f.Kind = Marketing
		}
		if f.Now.IsZero() {
			f.Now = now
		}
		return f
	}
	tests := []struct {
		name   string
		facts  Facts
		change func(*Settings)
		want   Decision
	}{
		{"subscribed, daytime, no recent mail", sub(Facts{}), nil, Decision{Verdict: VerdictSend}},
		{"unsubscribed", sub(Facts{Status: "unsubscribed"}), nil, Decision{Verdict: VerdictSkip, Reason: ReasonUnsubscribed}},
		{"pending double opt-in", sub(Facts{Status: "pending"}), nil, Decision{Verdict: VerdictSkip, Reason: ReasonPending}},
		{"never asked, opt-in required", Facts{Kind: Marketing, Email: "a@example.com", Now: now}, nil, Decision{Verdict: VerdictSkip, Reason: ReasonNoConsent}},
		{"never asked, opt-out regime", Facts{Kind: Marketing, Email: "a@example.com", Now: now}, func(s *Settings) { s.RequireOptIn = false }, Decision{Verdict: VerdictSend}},
		{"unsubscribed even in an opt-out regime", sub(Facts{Status: "unsubscribed"}), func(s *Settings) { s.RequireOptIn = false }, Decision{Verdict: VerdictSkip, Reason: ReasonUnsubscribed}},
		{"topic switched off", sub(Facts{TopicOff: true}), nil, Decision{Verdict: VerdictSkip, Reason: ReasonTopicOff}},
		{"topic switched off does not stop transactional mail", sub(Facts{Kind: Transactional, TopicOff: true}), nil, Decision{Verdict: VerdictSend}},
		{"suppressed marketing", sub(Facts{Suppressed: true}), nil, Decision{Verdict: VerdictSkip, Reason: ReasonSuppressed}},
		{"suppressed transactional", sub(Facts{Kind: Transactional, Suppressed: true}), nil, Decision{Verdict: VerdictSkip, Reason: ReasonSuppressed}},
		{"suppressed test send", sub(Facts{Test: true, Suppressed: true}), nil, Decision{Verdict: VerdictSkip, Reason: ReasonSuppressed}},
		{"no address", Facts{Kind: Transactional, Now: now}, nil, Decision{Verdict: VerdictSkip, Reason: ReasonNoAddress}},
		{"invalid address", sub(Facts{Email: "ada@localhost"}), nil, Decision{Verdict: VerdictSkip, Reason: ReasonInvalidAddress}},
		{"transactional to a pending contact at night", sub(Facts{Kind: Transactional, Status: "pending", Now: at("2026-11-24T03:00:00Z")}), nil, Decision{Verdict: VerdictSend}},
		{"test send to an unsubscribed contact", sub(Facts{Test: true, Status: "unsubscribed"}), nil, Decision{Verdict: VerdictSend}},
		{
			"daily cap reached: deferred until the older send leaves the day",
			sub(Facts{MarketingSends: []time.Time{at("2026-11-24T09:00:00Z"), at("2026-11-23T16:00:00Z")}}),
			nil, Decision{Verdict: VerdictDefer, Reason: ReasonFrequencyCap, NotBefore: at("2026-11-24T16:00:00Z")},
		},
		{
			"one send today is within the daily cap",
			sub(Facts{MarketingSends: []time.Time{at("2026-11-24T09:00:00Z"), at("2026-11-23T14:00:00Z")}}),
			nil, Decision{Verdict: VerdictSend},
		},
		{
			"weekly cap reached",
			sub(Facts{MarketingSends: []time.Time{
				at("2026-11-18T16:00:00Z"), at("2026-11-19T12:00:00Z"), at("2026-11-20T12:00:00Z"), at("2026-11-21T12:00:00Z"), at("2026-11-22T12:00:00Z"),
			}}),
			nil, Decision{Verdict: VerdictDefer, Reason: ReasonFrequencyCap, NotBefore: at("2026-11-25T16:00:00Z")},
		},
		{
			"quiet hours in the contact's zone: 22:00 in Berlin waits for 08:00",
			sub(Facts{Timezone: "Europe/Berlin", Now: at("2026-11-24T21:00:00Z")}),
			nil, Decision{Verdict: VerdictDefer, Reason: ReasonQuietHours, NotBefore: at("2026-11-25T07:00:00Z")},
		},
		{
			"a mail answering the contact's own action goes out in quiet hours",
			sub(Facts{Timezone: "Europe/Berlin", Now: at("2026-11-24T21:00:00Z"), Awake: true}),
			nil, Decision{Verdict: VerdictSend},
		},
		{
			"but it still keeps the caps",
			sub(Facts{Awake: true, MarketingSends: []time.Time{at("2026-11-24T09:00:00Z"), at("2026-11-23T16:00:00Z")}}),
			nil, Decision{Verdict: VerdictDefer, Reason: ReasonFrequencyCap, NotBefore: at("2026-11-24T16:00:00Z")},
		},
		{
			"after midnight waits for the same morning",
			sub(Facts{Timezone: "America/New_York", Now: at("2026-11-24T08:30:00Z")}),
			nil, Decision{Verdict: VerdictDefer, Reason: ReasonQuietHours, NotBefore: at("2026-11-24T13:00:00Z")},
		},
		{
			"a half-hour offset (RudderStack's GMT+0530, stored as UTC+05:30): 22:00 there waits for 08:00",
			sub(Facts{Timezone: "UTC+05:30", Now: at("2026-11-24T16:30:00Z")}),
			nil, Decision{Verdict: VerdictDefer, Reason: ReasonQuietHours, NotBefore: at("2026-11-25T02:30:00Z")},
		},
		{
			"an Etc zone's inverted sign: Etc/GMT-2 is two hours east",
			sub(Facts{Timezone: "Etc/GMT-2", Now: at("2026-11-24T20:00:00Z")}),
			nil, Decision{Verdict: VerdictDefer, Reason: ReasonQuietHours, NotBefore: at("2026-11-25T06:00:00Z")},
		},
		{
			"an offset stored before normalisation is read by its offset",
			sub(Facts{Timezone: "GMT-0500", Now: at("2026-11-24T08:30:00Z")}),
			nil, Decision{Verdict: VerdictDefer, Reason: ReasonQuietHours, NotBefore: at("2026-11-24T13:00:00Z")},
		},
		{
			"unknown zone uses the default",
			sub(Facts{Timezone: "Nowhere/Special", Now: at("2026-11-24T22:00:00Z")}),
			nil, Decision{Verdict: VerdictDefer, Reason: ReasonQuietHours, NotBefore: at("2026-11-25T08:00:00Z")},
		},
		{
			"a cap that ends at night waits for the morning too",
			sub(Facts{Timezone: "UTC", MarketingSends: []time.Time{at("2026-11-24T12:00:00Z"), at("2026-11-23T23:30:00Z")}}),
			nil, Decision{Verdict: VerdictDefer, Reason: ReasonFrequencyCap, NotBefore: at("2026-11-25T08:00:00Z")},
		},
		{"no quiet hours configured", sub(Facts{Now: at("2026-11-24T23:00:00Z")}), func(s *Settings) { s.QuietHours = nil }, Decision{Verdict: VerdictSend}},
		{
			"daytime quiet hours (no wrap over midnight)",
			sub(Facts{Now: at("2026-11-24T12:30:00Z")}), func(s *Settings) { s.QuietHours = &QuietHours{Start: "12:00", End: "13:00"} },
			Decision{Verdict: VerdictDefer, Reason: ReasonQuietHours, NotBefore: at("2026-11-24T13:00:00Z")},
		},
		{"circuit open pauses marketing", sub(Facts{CircuitOpen: true}), nil, Decision{Verdict: VerdictDefer, Reason: ReasonCircuitOpen, NotBefore: now.Add(time.Hour)}},
		{"circuit open lets transactional mail through", sub(Facts{Kind: Transactional, CircuitOpen: true}), nil, Decision{Verdict: VerdictSend}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings()
			if tc.change != nil {
				tc.change(&s)
			}
			got := s.Decide(tc.facts)
			if got.Verdict != tc.want.Verdict || got.Reason != tc.want.Reason || !got.NotBefore.Equal(tc.want.NotBefore) {
				t.Errorf("Decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCircuitBreaker(t *testing.T) {
	cb := testSettings().CircuitBreaker
	tests := []struct {
		sent, bounces, complaints int64
		open                      bool
	}{
		{99, 50, 0, false}, // too few sends to judge
		{1000, 39, 0, false},
		{1000, 40, 0, true},
		{10000, 0, 7, false},
		{10000, 0, 8, true},
	}
	for _, tc := range tests {
		if open, why := cb.Open(tc.sent, tc.bounces, tc.complaints); open != tc.open {
			t.Errorf("Open(%d, %d, %d) = %v (%s)", tc.sent, tc.bounces, tc.complaints, open, why)
		}
	}
}
