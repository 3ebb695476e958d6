package linksfn

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/preference"
	"github.com/leadflow/leadflow/shared/token"
)

// The repo's topics and sending settings are read on first use, not at the
// cold start: once, however many requests ask at the same time.
func TestRepoDefinitionsAreReadOnceOnFirstUse(t *testing.T) {
	var calls atomic.Int32
	topics := onFirstUse("topics", func() ([]preference.Topic, error) {
		calls.Add(1)
		return []preference.Topic{{ID: "news", Name: "News"}}, nil
	})
	if calls.Load() != 0 {
		t.Fatal("read before first use")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if ts, err := topics(); err != nil || len(ts) != 1 || ts[0].ID != "news" {
				t.Errorf("topics %v, %v", ts, err)
			}
		})
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("read %d times, want once", n)
	}

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

// A definition that does not load (CI and the stack's synth refuse one)
// gives its reason on first use, and on every use after, read once.
func TestABrokenRepoDefinitionIsAClearErrorOnFirstUse(t *testing.T) {
	var calls atomic.Int32
	broken := errors.New(`definitions/sending.json: default_timezone: unknown time zone "Mars/Olympus"`)
	sending := onFirstUse("sending settings (definitions/sending.json)", func() (mail.Settings, error) {
		calls.Add(1)
		return mail.Settings{LinkHosts: []string{"half.example"}}, broken
	})
	for range 2 {
		s, err := sending()
		if !errors.Is(err, broken) || !strings.Contains(err.Error(), "links: the repo's sending settings (definitions/sending.json): ") {
			t.Errorf("error %v", err)
		}
		if len(s.LinkHosts) != 0 {
			t.Errorf("half-read settings given: %+v", s)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("read %d times, want once", n)
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
	f.h.d.Topics = onFirstUse("topics", func() ([]preference.Topic, error) { return nil, errors.New("broken topics.json") })
	f.h.d.SendingSource = func(context.Context) (mail.Settings, error) { return mail.Settings{}, storeDown }
	f.h.d.Sending = onFirstUse("sending settings", func() (mail.Settings, error) { return mail.Settings{}, errors.New("broken sending.json") })

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
	f.h.d.Sending = onFirstUse("sending settings", func() (mail.Settings, error) {
		return mail.Settings{LinkHosts: []string{"example.com"}}, nil
	})
	if resp := f.do(t, request("GET", "/v1/t/c/{token}", click, "", nil)); resp.StatusCode != 302 || resp.Headers["Location"] != "https://example.com/pricing" {
		t.Errorf("click with the repo's link_hosts: %d %q", resp.StatusCode, resp.Headers["Location"])
	}
}
