package preference

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/tracking"
)

var topics = []Topic{
	{ID: "newsletter", Name: "Newsletter"},
	{ID: "product-updates", Name: "Product updates"},
	{ID: "events", Name: "Events"},
}

var at = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func TestValidateTopics(t *testing.T) {
	tests := []struct {
		name   string
		topics []Topic
		want   []string
	}{
		{"good", topics, nil},
		{"bad id", []Topic{{ID: "News Letter", Name: "N"}}, []string{`id "News Letter"`}},
		{"duplicate", []Topic{{ID: "a", Name: "A"}, {ID: "a", Name: "B"}}, []string{"listed twice"}},
		{"no name", []Topic{{ID: "a", Name: " "}}, []string{"name is required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateTopics(tc.topics)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v does not mention %q", err, w)
				}
			}
		})
	}
}

func TestUnsubscribe(t *testing.T) {
	tests := []struct {
		name        string
		status      string
		held        []string
		topic       string
		wantChanged bool
		wantStatus  string
		wantTopics  []string
	}{
		{"all", StatusSubscribed, nil, "", true, StatusUnsubscribed, nil},
		{"all again writes nothing", StatusUnsubscribed, nil, "", false, StatusUnsubscribed, nil},
		{"pending contact", StatusPending, nil, "", true, StatusUnsubscribed, nil},
		{"one topic keeps the rest", StatusSubscribed, nil, "events", true, StatusSubscribed, []string{"events"}},
		{"topic again writes nothing", StatusSubscribed, []string{"events"}, "events", false, StatusSubscribed, []string{"events"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &contact.Profile{Status: tc.status, UnsubscribedTopics: slices.Clone(tc.held)}
			if got := Unsubscribe(p, tc.topic); got != tc.wantChanged {
				t.Errorf("changed = %v", got)
			}
			if p.Status != tc.wantStatus || !slices.Equal(p.UnsubscribedTopics, tc.wantTopics) {
				t.Errorf("status %q topics %v", p.Status, p.UnsubscribedTopics)
			}
		})
	}
}

func TestAllows(t *testing.T) {
	p := &contact.Profile{Status: StatusSubscribed, UnsubscribedTopics: []string{"events"}}
	if !Allows(p, "newsletter") || Allows(p, "events") {
		t.Error("subscribed contact: newsletter allowed, events not")
	}
	for _, s := range []string{"", StatusPending, StatusUnsubscribed} {
		if Allows(&contact.Profile{Status: s}, "newsletter") {
			t.Errorf("status %q allows marketing", s)
		}
	}
}

func TestParseChoiceDropsUnknownTopics(t *testing.T) {
	c := ParseChoice(url.Values{"topic": {"events", "<script>", "newsletter"}}, topics)
	if !slices.Equal(c.Topics, []string{"newsletter", "events"}) || c.All {
		t.Errorf("%+v", c)
	}
	if c := ParseChoice(url.Values{"topic": {"events"}, "action": {ActionUnsubscribeAll}}, topics); !c.All {
		t.Errorf("%+v", c)
	}
}

func TestApply(t *testing.T) {
	consent := tracking.Consent{At: at, Source: "preferences:" + at.Format(time.RFC3339)}
	tests := []struct {
		name       string
		status     string
		held       []string
		choice     Choice
		want       Result
		wantStatus string
		wantOff    []string
		wantConsen int
	}{
		{
			name: "switch one topic off", status: StatusSubscribed,
			choice:     Choice{Topics: []string{"newsletter", "product-updates"}},
			want:       Result{Changed: true, Off: []string{"events"}},
			wantStatus: StatusSubscribed, wantOff: []string{"events"},
		},
		{
			name: "same choice again changes nothing", status: StatusSubscribed, held: []string{"events"},
			choice:     Choice{Topics: []string{"newsletter", "product-updates"}},
			want:       Result{},
			wantStatus: StatusSubscribed, wantOff: []string{"events"},
		},
		{
			name: "switch a topic back on, a retired topic's opt-out stays", status: StatusSubscribed, held: []string{"retired", "events"},
			choice:     Choice{Topics: []string{"newsletter", "product-updates", "events"}},
			want:       Result{Changed: true, On: []string{"events"}},
			wantStatus: StatusSubscribed, wantOff: []string{"retired"},
		},
		{
			name: "nothing ticked is unsubscribing from all", status: StatusSubscribed,
			choice:     Choice{},
			want:       Result{Changed: true, Unsubscribed: true, Off: []string{"newsletter", "product-updates", "events"}},
			wantStatus: StatusUnsubscribed, wantOff: []string{"newsletter", "product-updates", "events"},
		},
		{
			name: "unsubscribe from all keeps the topic choices", status: StatusSubscribed, held: []string{"events"},
			choice:     Choice{All: true, Topics: []string{"newsletter"}},
			want:       Result{Changed: true, Unsubscribed: true, Off: []string{"newsletter", "product-updates"}},
			wantStatus: StatusUnsubscribed, wantOff: []string{"events"},
		},
		{
			name: "an unsubscribed contact ticking topics resubscribes with consent", status: StatusUnsubscribed,
			choice:     Choice{Topics: []string{"events"}},
			want:       Result{Changed: true, Subscribed: true, On: []string{"events"}},
			wantStatus: StatusSubscribed, wantOff: []string{"newsletter", "product-updates"}, wantConsen: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &contact.Profile{Status: tc.status, UnsubscribedTopics: slices.Clone(tc.held)}
			got := Apply(p, tc.choice, topics, consent)
			if got.Changed != tc.want.Changed || got.Unsubscribed != tc.want.Unsubscribed || got.Subscribed != tc.want.Subscribed ||
				!slices.Equal(got.On, tc.want.On) || !slices.Equal(got.Off, tc.want.Off) {
				t.Errorf("result %+v, want %+v", got, tc.want)
			}
			if p.Status != tc.wantStatus || !slices.Equal(p.UnsubscribedTopics, tc.wantOff) {
				t.Errorf("status %q off %v", p.Status, p.UnsubscribedTopics)
			}
			if len(p.Consents) != tc.wantConsen {
				t.Fatalf("consents %v", p.Consents)
			}
			if tc.wantConsen == 1 && (p.Consents[0].Purpose != PurposePreferences || p.Consents[0].Text != "Chose to receive: Events") {
				t.Errorf("consent %+v", p.Consents[0])
			}
		})
	}
}

func TestStatesTickNothingForANonSubscriber(t *testing.T) {
	for _, s := range []string{"", StatusPending, StatusUnsubscribed} {
		for _, st := range States(&contact.Profile{Status: s}, topics) {
			if st.On {
				t.Errorf("status %q: %s is pre-ticked", s, st.ID)
			}
		}
	}
}

func TestConfirm(t *testing.T) {
	consent := tracking.Consent{At: at, Source: "confirm:d-1", Page: "https://api.example/v1/confirm"}
	tests := []struct {
		status      string
		want        Confirmation
		wantStatus  string
		wantConsent bool
	}{
		{StatusPending, Confirmed, StatusSubscribed, true},
		{"", Confirmed, StatusSubscribed, true},
		{StatusSubscribed, AlreadySubscribed, StatusSubscribed, false},
		{StatusUnsubscribed, UnsubscribedSince, StatusUnsubscribed, false},
	}
	for _, tc := range tests {
		p := &contact.Profile{Status: tc.status}
		if got := Confirm(p, consent); got != tc.want || p.Status != tc.wantStatus || (len(p.Consents) == 1) != tc.wantConsent {
			t.Errorf("status %q: got %v, status %q, consents %v", tc.status, got, p.Status, p.Consents)
		}
		if tc.wantConsent && p.Consents[0].Purpose != PurposeConfirmation {
			t.Errorf("consent %+v", p.Consents[0])
		}
	}
}

func TestAddConsentOncePerSource(t *testing.T) {
	p := &contact.Profile{}
	c := tracking.Consent{Purpose: PurposeConfirmation, Source: "confirm:d-1", At: at}
	AddConsent(p, c)
	c.At = at.Add(time.Minute)
	AddConsent(p, c)
	if len(p.Consents) != 1 {
		t.Errorf("consents %v", p.Consents)
	}
	for i := 0; i < contact.MaxConsents+5; i++ {
		AddConsent(p, tracking.Consent{Purpose: "x", Source: "s" + string(rune('a'+i)), At: at})
	}
	if len(p.Consents) != contact.MaxConsents {
		t.Errorf("%d consents kept, want %d", len(p.Consents), contact.MaxConsents)
	}
}
