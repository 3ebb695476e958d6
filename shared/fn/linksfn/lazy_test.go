package linksfn

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/preference"
	"github.com/leadflow/leadflow/shared/token"
)

// The repo's topics and sending settings are read on first use, not at the
// cold start (definitions.OnFirstUse: once, however many ask at a time).
func TestRepoDefinitionsAreReadOnFirstUse(t *testing.T) {
	// ConfigFromEnv gives the repo's, read when first asked.
	c, err := ConfigFromEnv(func(k string) string {
		return map[string]string{
			"TABLE_NAME": "t", "QUEUE_URL_EVENTS": "http://q", "LINK_SIGNING_SECRETS": secret, "PUBLIC_BASE_URL": "https://api.example.com",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if ts, err := c.Topics(); err != nil || len(ts) == 0 {
		t.Errorf("repo topics %v, %v", ts, err)
	}
	if s, err := c.Sending(); err != nil || len(s.LinkHosts) == 0 {
		t.Errorf("repo sending settings %+v, %v", s, err)
	}
}

// When neither the store nor the repo gives the settings or the topics,
// the pages take the safe side: a click redirects to our own host only,
// and saving preferences (which without topics would read as "all boxes
// unticked", an unsubscribe from everything) is refused.
func TestWithoutTheRepoDefinitionsThePagesTakeTheSafeSide(t *testing.T) {
	storeDown := errors.New("store unavailable")
	f := newFixture(t, subscribed("c_1"))
	f.h.d.TopicSource = func(context.Context) ([]preference.Topic, error) { return nil, storeDown }
	f.h.d.Topics = definitions.OnFirstUse("topics", func() ([]preference.Topic, error) { return nil, errors.New("broken topics.json") })
	f.h.d.SendingSource = func(context.Context) (mail.Settings, error) { return mail.Settings{}, storeDown }
	f.h.d.Sending = definitions.OnFirstUse("sending settings", func() (mail.Settings, error) { return mail.Settings{}, errors.New("broken sending.json") })

	click := f.signer.Sign(token.Token{Purpose: token.Click, ContactID: "c_1", SendID: "s-old", URL: "https://example.com/pricing"})
	if resp := f.do(t, request("GET", "/v1/t/c/{token}", click, "", nil)); resp.StatusCode != 403 || resp.Headers["Location"] != "" {
		t.Errorf("click to a link_hosts host without the settings: %d %q", resp.StatusCode, resp.Headers["Location"])
	}
	tok := f.signer.Sign(token.Token{Purpose: token.Preferences, ContactID: "c_1"})
	form := url.Values{"topic": {"newsletter"}, "action": {"save"}}
	resp := f.do(t, request("POST", "/v1/preferences/{token}", tok, form.Encode(), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}))
	if resp.StatusCode != 500 {
		t.Errorf("save without topics: %d %s", resp.StatusCode, resp.Body)
	}
	if p := f.store.profiles["c_1"]; p.Status != "subscribed" || len(p.UnsubscribedTopics) != 0 || f.store.saves != 0 {
		t.Errorf("profile changed: %+v, saves %d", p, f.store.saves)
	}

	// With the repo's settings, the same click redirects: the fallback is
	// the repo's link_hosts, as before.
	f.h.d.Sending = definitions.OnFirstUse("sending settings", func() (mail.Settings, error) {
		return mail.Settings{LinkHosts: []string{"example.com"}}, nil
	})
	if resp := f.do(t, request("GET", "/v1/t/c/{token}", click, "", nil)); resp.StatusCode != 302 || resp.Headers["Location"] != "https://example.com/pricing" {
		t.Errorf("click with the repo's link_hosts: %d %q", resp.StatusCode, resp.Headers["Location"])
	}
}
