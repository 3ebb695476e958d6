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

// FuzzParseChoice posts any form body to the preference centre's parser
// and applies the choice to a contact in any state. The form is public
// (whoever holds the link), so: only listed topics are ever switched, the
// result is exactly what was ticked, a retired topic's opt-out survives,
// consent is recorded whenever the choice subscribes, and saving the same
// form twice changes nothing the second time.
//
//	go test ./shared/preference/ -run '^$' -fuzz FuzzParseChoice -fuzztime 20s
func FuzzParseChoice(f *testing.F) {
	for _, s := range []struct {
		body, status, held string
	}{
		{"topic=newsletter&topic=events", "", ""},
		{"topic=newsletter", StatusSubscribed, "events,retired"},
		{"action=unsubscribe-all&topic=newsletter", StatusSubscribed, ""},
		{"", StatusPending, ""},
		{"topic=newsletter&topic=newsletter&topic=NEWSLETTER&topic=unknown", StatusUnsubscribed, "newsletter"},
		{"topic=%6Eewsletter&action=unsubscribe-all%00", "", ""},
		{"topic=events;x=1", StatusSubscribed, ""},
	} {
		f.Add(s.body, s.status, s.held)
	}
	topics := []Topic{{ID: "newsletter", Name: "Newsletter"}, {ID: "events", Name: "Events"}, {ID: "product", Name: "Product news"}}
	listed := func(id string) bool { return slices.ContainsFunc(topics, func(t Topic) bool { return t.ID == id }) }
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body, status, held string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return // the handler answers 400 before choosing anything
		}
		c := ParseChoice(form, topics)
		if c.All != (form.Get(FieldAction) == ActionUnsubscribeAll) {
			t.Fatalf("All = %v for action %q", c.All, form.Get(FieldAction))
		}
		for i, id := range c.Topics {
			if !listed(id) || !slices.Contains(form[FieldTopic], id) || slices.Contains(c.Topics[:i], id) {
				t.Fatalf("choice %v: %q was not ticked, is not listed or repeats", c.Topics, id)
			}
		}
		for _, id := range form[FieldTopic] {
			if listed(id) && !slices.Contains(c.Topics, id) {
				t.Fatalf("ticked topic %q dropped", id)
			}
		}

		p := &contact.Profile{ID: "c_1", Status: status}
		if held != "" {
			p.UnsubscribedTopics = strings.Split(held, ",")
		}
		heldBefore := slices.Clone(p.UnsubscribedTopics)
		consents := len(p.Consents)
		r := Apply(p, c, topics, tracking.Consent{At: now, Source: "fuzz"})
		unsubscribe := c.All || len(c.Topics) == 0
		if unsubscribe != (p.Status == StatusUnsubscribed) || (!unsubscribe && p.Status != StatusSubscribed) {
			t.Fatalf("choice %+v left status %q", c, p.Status)
		}
		for _, tp := range topics {
			if on := Allows(p, tp.ID); on != (!unsubscribe && slices.Contains(c.Topics, tp.ID)) {
				t.Fatalf("topic %s on=%v after choosing %+v", tp.ID, on, c)
			}
		}
		for _, id := range heldBefore {
			if !listed(id) && !slices.Contains(p.UnsubscribedTopics, id) {
				t.Fatalf("the opt-out of unlisted topic %q was lost", id)
			}
		}
		if r.Subscribed != (status != StatusSubscribed && !unsubscribe) ||
			(r.Subscribed && (len(p.Consents) != consents+1 || p.Consents[len(p.Consents)-1].Purpose != PurposePreferences)) {
			t.Fatalf("subscribed=%v from %q with consents %+v", r.Subscribed, status, p.Consents)
		}
		if again := Apply(p, c, topics, tracking.Consent{At: now, Source: "fuzz"}); again.Changed {
			t.Fatalf("saving the same form twice changed %+v", again)
		}
	})
}
