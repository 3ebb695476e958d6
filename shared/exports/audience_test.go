package exports

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Known vectors: the SHA-256 of the normalised strings, computed with
// `printf %s '<value>' | sha256sum` (coreutils), not with this code.
func TestHashVectors(t *testing.T) {
	cases := []struct{ name, got, want string }{
		{"email, both", HashEmail(GoogleAds, "  Test@Example.com "), "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"},
		{"email, meta", HashEmail(Meta, "TEST@example.com"), "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"},
		{"gmail dots, google", HashEmail(GoogleAds, "John.Doe@gmail.com"), "06a240d11cc201676da976f7b49341181fd180da37cbe40a77432c0a366c80c3"},
		{"gmail dots, meta keeps them", HashEmail(Meta, "John.Doe@gmail.com"), "375320dd9ae7ed408002f3768e16cb5f28c861062fd50dff9a3bff62e9dce4ef"},
		{"phone, google E.164", HashPhone(GoogleAds, "+1 (415) 555-2671"), "cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928"},
		{"phone, meta digits", HashPhone(Meta, "0014155552671"), "758fbf68945f21c416814c539ab578876c8d98fb69e6da692def92cd52417fe0"},
		{"no email", HashEmail(GoogleAds, "nope"), ""},
		{"national phone", HashPhone(GoogleAds, "415 555 2671"), ""},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: %s, want %s", c.name, c.got, c.want)
		}
	}
}

func TestAudienceRowsNeedAdvertisingConsent(t *testing.T) {
	ads := tracking.Consent{Purpose: "advertising", At: time.Now()}
	mkt := tracking.Consent{Purpose: "marketing", At: time.Now()}
	cases := []struct {
		name string
		p    contact.Profile
		want bool
	}{
		{"advertising consent", contact.Profile{Email: "a@example.com", Status: "subscribed", Consents: []tracking.Consent{mkt, ads}}, true},
		{"phone only", contact.Profile{Traits: map[string]any{"phone": "+14155552671"}, Consents: []tracking.Consent{ads}}, true},
		{"marketing only", contact.Profile{Email: "a@example.com", Status: "subscribed", Consents: []tracking.Consent{mkt}}, false},
		{"unsubscribed", contact.Profile{Email: "a@example.com", Status: "unsubscribed", Consents: []tracking.Consent{ads}}, false},
		{"imported without consent", contact.Profile{Email: "a@example.com", Status: contact.StatusNoConsent, Consents: []tracking.Consent{ads}}, false},
		{"merged away", contact.Profile{Email: "a@example.com", MergedInto: "c_x", Consents: []tracking.Consent{ads}}, false},
		{"nothing to match", contact.Profile{Consents: []tracking.Consent{ads}}, false},
	}
	for _, c := range cases {
		row, ok := AudienceRow(GoogleAds, &c.p)
		if ok != c.want {
			t.Errorf("%s: in the audience %v, want %v (%v)", c.name, ok, c.want, row)
		}
	}
}
