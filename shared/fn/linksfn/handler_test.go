package linksfn

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/preference"
	"github.com/leadflow/leadflow/shared/template"
	"github.com/leadflow/leadflow/shared/token"
	"github.com/leadflow/leadflow/shared/tracking"
)

const secret = "test-secret-test-secret-test-secret-0123"

var (
	now    = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	topics = []preference.Topic{
		{ID: "newsletter", Name: "Newsletter", Description: "Monthly news"},
		{ID: "events", Name: "Events & webinars"},
	}
)

// memStore is the profile storage, with injectable conflicts.
type memStore struct {
	mu        sync.Mutex
	profiles  map[string]contact.Profile
	conflicts int
	saves     int
}

func (s *memStore) GetProfile(_ context.Context, id string) (*contact.Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.profiles[id]
	if !ok {
		return nil, contact.ErrNotFound
	}
	p.UnsubscribedTopics = slices.Clone(p.UnsubscribedTopics)
	p.Consents = slices.Clone(p.Consents)
	p.Traits = maps.Clone(p.Traits)
	return &p, nil
}

func (s *memStore) SaveProfile(_ context.Context, p *contact.Profile) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conflicts > 0 {
		s.conflicts--
		// Someone else wrote first: bump the stored version.
		held := s.profiles[p.ID]
		held.Version++
		s.profiles[p.ID] = held
		return contact.ErrConflict
	}
	if s.profiles[p.ID].Version != p.Version {
		return contact.ErrConflict
	}
	s.saves++
	p.Version++
	s.profiles[p.ID] = *p
	return nil
}

type memQueue struct {
	mu     sync.Mutex
	bodies []string
	err    error
}

func (q *memQueue) Enqueue(_ context.Context, body string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.bodies = append(q.bodies, body)
	return nil
}

func (q *memQueue) messages(t *testing.T) []tracking.Message {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []tracking.Message
	for _, b := range q.bodies {
		batch, err := tracking.DecodeBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		if batch.SiteKey != "internal" {
			t.Errorf("site key %q", batch.SiteKey)
		}
		out = append(out, batch.Messages...)
	}
	return out
}

type sendClock map[string]time.Time

func (c sendClock) SentAt(_ context.Context, id string) (time.Time, error) { return c[id], nil }

// repoTemplates are the fixture's templates, compiled as the definition
// cache's reader compiles them.
type repoTemplates map[string]template.Template

func (r repoTemplates) Compiled(_ context.Context, id string) (*template.Compiled, error) {
	t, ok := r[id]
	if !ok {
		return nil, mail.ErrTemplateNotFound
	}
	c, _, err := template.Compile(t)
	return c, err
}

// promoTemplate links to shop.example with a path from contact data.
var promoTemplate = template.Template{
	ID: "promo", Name: "Promo", Kind: template.KindMarketing, Topic: "newsletter",
	From: template.Address{Address: "news@example.com"}, Subject: "Hi",
	HTML: `<html><body><p><a href="https://shop.example/p/{{ traits.path | default: "home" }}">Shop</a></p>` +
		`<p>{{ sender.address }} <a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>`,
}

type fixture struct {
	h      *Handler
	store  *memStore
	queue  *memQueue
	signer *token.Signer
}

func newFixture(t *testing.T, profiles ...contact.Profile) *fixture {
	t.Helper()
	signer, err := token.NewSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	st := &memStore{profiles: map[string]contact.Profile{}}
	for _, p := range profiles {
		p.Version = 1
		st.profiles[p.ID] = p
	}
	q := &memQueue{}
	h := NewWith(Deps{
		Store: st, Events: q, Signer: signer, BaseURL: "https://api.example.com/",
		Topics: func() ([]preference.Topic, error) { return topics, nil },
		Sends:  sendClock{"s-fresh": now.Add(-3 * time.Second), "s-old": now.Add(-2 * time.Hour)},
		Now:    func() time.Time { return now },
		Clicks: mail.ClickGuard{
			Settings:  mail.Settings{LinkHosts: []string{"example.com"}},
			Templates: repoTemplates{promoTemplate.ID: promoTemplate},
		},
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return &fixture{h: h, store: st, queue: q, signer: signer}
}

const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36"

func request(method, routePath, tok, body string, headers map[string]string) httpapi.Request {
	r := httpapi.Request{
		RouteKey:       method + " " + routePath,
		RawPath:        strings.Replace(routePath, "{token}", tok, 1),
		PathParameters: map[string]string{"token": tok},
		Headers:        map[string]string{},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "req-1",
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, SourceIP: "198.51.100.23", UserAgent: chrome},
		},
	}
	for k, v := range headers {
		r.Headers[strings.ToLower(k)] = v
	}
	if ua, ok := headers["User-Agent"]; ok {
		r.RequestContext.HTTP.UserAgent = ua
	}
	if ip, ok := headers["X-Test-IP"]; ok {
		r.RequestContext.HTTP.SourceIP = ip
	}
	if body != "" {
		// HTTP API base64-encodes form posts (not a text content type).
		r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(body)), true
	}
	return r
}

func (f *fixture) do(t *testing.T, r httpapi.Request) httpapi.Response {
	t.Helper()
	resp, err := f.h.Handle(context.Background(), r)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	return resp
}

func tamper(s string) string {
	payload, sig, _ := strings.Cut(s, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	raw = []byte(strings.NewReplacer("example.com", "evil.example", `"c_1"`, `"c_2"`).Replace(string(raw)))
	return base64.RawURLEncoding.EncodeToString(raw) + "." + sig
}

func TestOpenPixel(t *testing.T) {
	valid := func(f *fixture, send string) string {
		return f.signer.Sign(token.Token{Purpose: token.Open, ContactID: "c_1", SendID: send})
	}
	tests := []struct {
		name        string
		tok         func(f *fixture) string
		headers     map[string]string
		wantEvent   bool
		wantMachine bool
		wantReason  string
	}{
		{"a person", func(f *fixture) string { return valid(f, "s-old") }, nil, true, false, ""},
		{"Apple's privacy proxy", func(f *fixture) string { return valid(f, "s-old") }, map[string]string{"X-Test-IP": "17.58.1.2", "User-Agent": "Mozilla/5.0"}, true, true, "apple-privacy-proxy"},
		{"prefetched at delivery", func(f *fixture) string { return valid(f, "s-fresh") }, nil, true, true, "too-soon-after-send"},
		{"garbage token", func(*fixture) string { return "not-a-token" }, nil, false, false, ""},
		{"tampered token", func(f *fixture) string { return tamper(valid(f, "s-old")) }, nil, false, false, ""},
		{"a click token", func(f *fixture) string {
			return f.signer.Sign(token.Token{Purpose: token.Click, ContactID: "c_1", URL: "https://example.com"})
		}, nil, false, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			resp := f.do(t, request("GET", "/v1/t/o/{token}", tc.tok(f), "", tc.headers))
			body, _ := base64.StdEncoding.DecodeString(resp.Body)
			if resp.StatusCode != 200 || !resp.IsBase64Encoded || resp.Headers["Content-Type"] != "image/gif" || string(body[:6]) != "GIF89a" || len(body) != 43 {
				t.Fatalf("answer %d %v %q", resp.StatusCode, resp.Headers, body)
			}
			if !strings.Contains(resp.Headers["Cache-Control"], "no-store") {
				t.Errorf("Cache-Control %q", resp.Headers["Cache-Control"])
			}
			msgs := f.queue.messages(t)
			if !tc.wantEvent {
				if len(msgs) != 0 {
					t.Errorf("recorded %v", msgs)
				}
				return
			}
			if len(msgs) != 1 {
				t.Fatalf("events %v", msgs)
			}
			m := msgs[0]
			if m.Event != "Email Opened" || m.ContactID != "c_1" || m.Properties["send_id"] == nil || m.Properties["machine"] != tc.wantMachine {
				t.Errorf("event %+v", m)
			}
			if tc.wantReason != "" && m.Properties["machine_reason"] != tc.wantReason {
				t.Errorf("reason %v", m.Properties["machine_reason"])
			}
			if m.Context.IP != "" || m.Context.UserAgent != "" {
				t.Error("the event must not carry the fetcher's address or user agent")
			}
		})
	}
}

func TestOpenStillAnswersWhenTheQueueFails(t *testing.T) {
	f := newFixture(t)
	f.queue.err = errors.New("queue down")
	tok := f.signer.Sign(token.Token{Purpose: token.Open, ContactID: "c_1", SendID: "s-old"})
	if resp := f.do(t, request("GET", "/v1/t/o/{token}", tok, "", nil)); resp.StatusCode != 200 || resp.Headers["Content-Type"] != "image/gif" {
		t.Errorf("%d %v", resp.StatusCode, resp.Headers)
	}
}

func TestClickRedirect(t *testing.T) {
	click := func(f *fixture, u string) string {
		return f.signer.Sign(token.Token{Purpose: token.Click, ContactID: "c_1", SendID: "s-old", URL: u})
	}
	tests := []struct {
		name     string
		tok      func(f *fixture) string
		wantCode int
		wantLoc  string
	}{
		{"signed http(s) link", func(f *fixture) string { return click(f, "https://example.com/pricing?utm_source=email") }, 302, "https://example.com/pricing?utm_source=email"},
		{"tampered destination", func(f *fixture) string { return tamper(click(f, "https://example.com/pricing")) }, 400, ""},
		{"unsigned", func(*fixture) string { return "eyJwIjoiY2xpY2sifQ" }, 400, ""},
		{"garbage signature", func(f *fixture) string {
			p, _, _ := strings.Cut(click(f, "https://example.com/"), ".")
			return p + ".AAAA"
		}, 400, ""},
		{"signed by another key", func(*fixture) string {
			other, _ := token.NewSigner("another-secret-another-secret-0123456789")
			return other.Sign(token.Token{Purpose: token.Click, ContactID: "c_1", URL: "https://evil.example/"})
		}, 400, ""},
		{"an open token", func(f *fixture) string {
			return f.signer.Sign(token.Token{Purpose: token.Open, ContactID: "c_1", URL: "https://example.com/"})
		}, 400, ""},
		{"a javascript: URL, even signed", func(f *fixture) string { return click(f, "javascript:alert(1)") }, 403, ""},
		{"a relative URL", func(f *fixture) string { return click(f, "/pricing") }, 403, ""},
		{"signed, to a host neither on link_hosts nor in a template", func(f *fixture) string { return click(f, "https://evil.example/login") }, 403, ""},
		{"signed, to a subdomain of a link_hosts host", func(f *fixture) string { return click(f, "https://evil.example.com/") }, 403, ""},
		{"signed, with the allowed host as user info", func(f *fixture) string { return click(f, "https://example.com@evil.example/") }, 403, ""},
		{"signed, to its template's host", func(f *fixture) string {
			return f.signer.Sign(token.Token{Purpose: token.Click, ContactID: "c_1", SendID: "s-old", TemplateID: "promo", URL: "https://shop.example/p/x"})
		}, 302, "https://shop.example/p/x"},
		{"signed, naming a template that does not link there", func(f *fixture) string {
			return f.signer.Sign(token.Token{Purpose: token.Click, ContactID: "c_1", SendID: "s-old", TemplateID: "promo", URL: "https://evil.example/"})
		}, 403, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			resp := f.do(t, request("GET", "/v1/t/c/{token}", tc.tok(f), "", nil))
			if resp.StatusCode != tc.wantCode || resp.Headers["Location"] != tc.wantLoc {
				t.Fatalf("answer %d Location %q", resp.StatusCode, resp.Headers["Location"])
			}
			msgs := f.queue.messages(t)
			if tc.wantCode != 302 {
				if len(msgs) != 0 {
					t.Errorf("recorded %v", msgs)
				}
				want := map[int]string{400: "This link doesn", 403: "This link can&#39;t be opened"}[tc.wantCode]
				if !strings.Contains(resp.Body, want) || strings.Contains(resp.Body, "evil.example") {
					t.Errorf("body %s", resp.Body)
				}
				if ct := resp.Headers["Content-Type"]; !strings.HasPrefix(ct, "text/html") {
					t.Errorf("Content-Type %q", ct)
				}
				return
			}
			if len(msgs) != 1 || msgs[0].Event != "Email Link Clicked" || msgs[0].Properties["url"] != tc.wantLoc || msgs[0].Properties["machine"] != false {
				t.Errorf("events %+v", msgs)
			}
		})
	}
}

// TestClickThroughAComposedMessage follows a click link the sending
// pipeline made from a template that puts contact data after a fixed host:
// it redirects to that host, and a hostile value cannot move it elsewhere.
func TestClickThroughAComposedMessage(t *testing.T) {
	f := newFixture(t)
	// No link_hosts: only the template's own host may be redirected to.
	f.h.d.Clicks.Settings = mail.Settings{}
	c, _, err := template.Compile(promoTemplate)
	if err != nil {
		t.Fatal(err)
	}
	settings, err := definitions.Sending()
	if err != nil {
		t.Fatal(err)
	}
	links := mail.Links{Signer: f.signer, BaseURL: "https://api.example.com"}
	for path, want := range map[string]string{
		"spring sale":    "https://shop.example/p/spring%20sale",
		"@evil.example/": "https://shop.example/p/@evil.example%2F",
	} {
		m, err := settings.Compose(mail.Draft{
			Request: mail.Request{SendID: "s-old", ContactID: "c_1", TemplateID: "promo"},
			Kind:    mail.Marketing, Template: c, To: "ada@example.com", Now: now,
			Data: template.Data{Contact: template.Contact{ID: "c_1"}, Traits: map[string]any{"path": path}},
		}, links, "")
		if err != nil {
			t.Fatal(err)
		}
		found := regexp.MustCompile(`href="https://api\.example\.com/v1/t/c/([^"]+)"`).FindStringSubmatch(m.HTML)
		if found == nil {
			t.Fatalf("no click link in %s", m.HTML)
		}
		resp := f.do(t, request("GET", "/v1/t/c/{token}", found[1], "", nil))
		if resp.StatusCode != 302 || resp.Headers["Location"] != want {
			t.Errorf("path %q: answer %d Location %q, want %s", path, resp.StatusCode, resp.Headers["Location"], want)
		}
	}
}

func TestClickByAScannerIsFlagged(t *testing.T) {
	f := newFixture(t)
	tok := f.signer.Sign(token.Token{Purpose: token.Click, ContactID: "c_1", SendID: "s-fresh", URL: "https://example.com/"})
	if resp := f.do(t, request("GET", "/v1/t/c/{token}", tok, "", nil)); resp.StatusCode != 302 {
		t.Fatalf("a machine still gets the redirect: %d", resp.StatusCode)
	}
	if msgs := f.queue.messages(t); len(msgs) != 1 || msgs[0].Properties["machine"] != true {
		t.Errorf("events %+v", msgs)
	}
}

func subscribed(id string) contact.Profile {
	return contact.Profile{ID: id, Email: "ada@example.com", Status: "subscribed", Traits: map[string]any{"first_name": "Ada"}}
}

func TestUnsubscribeGetNeverUnsubscribes(t *testing.T) {
	f := newFixture(t, subscribed("c_1"))
	tok := f.signer.Sign(token.Token{Purpose: token.Unsubscribe, ContactID: "c_1", SendID: "s-old"})
	resp := f.do(t, request("GET", "/v1/unsubscribe/{token}", tok, "", nil))
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, `<form method="post">`) || !strings.Contains(resp.Body, `name="List-Unsubscribe" value="One-Click"`) {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	if strings.Contains(resp.Body, "<script") {
		t.Error("the page needs no JavaScript")
	}
	if f.store.saves != 0 || f.store.profiles["c_1"].Status != "subscribed" || len(f.queue.messages(t)) != 0 {
		t.Errorf("a GET changed something: saves %d status %s", f.store.saves, f.store.profiles["c_1"].Status)
	}
}

func TestOneClickUnsubscribe(t *testing.T) {
	tests := []struct {
		name       string
		topic      string
		conflicts  int
		wantStatus string
		wantTopics []string
	}{
		{"all marketing", "", 0, "unsubscribed", nil},
		{"one topic", "events", 0, "subscribed", []string{"events"}},
		{"after a concurrent write", "", 2, "unsubscribed", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, subscribed("c_1"))
			f.store.conflicts = tc.conflicts
			tok := f.signer.Sign(token.Token{Purpose: token.Unsubscribe, ContactID: "c_1", SendID: "s-old", Topic: tc.topic})
			for i := 0; i < 2; i++ { // the second POST changes nothing
				resp := f.do(t, request("POST", "/v1/unsubscribe/{token}", tok, "List-Unsubscribe=One-Click", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}))
				if resp.StatusCode != 200 || resp.Headers["Location"] != "" || !strings.Contains(resp.Body, "You&#39;re unsubscribed") {
					t.Fatalf("POST %d: %d %v %s", i, resp.StatusCode, resp.Headers, resp.Body)
				}
			}
			p := f.store.profiles["c_1"]
			if p.Status != tc.wantStatus || !slices.Equal(p.UnsubscribedTopics, tc.wantTopics) || f.store.saves != 1 {
				t.Errorf("status %q topics %v saves %d", p.Status, p.UnsubscribedTopics, f.store.saves)
			}
			msgs := f.queue.messages(t)
			if len(msgs) != 2 || msgs[0].Event != "Unsubscribed" || msgs[0].MessageID != msgs[1].MessageID {
				t.Errorf("events %+v (one id for both POSTs)", msgs)
			}
		})
	}
}

func TestUnsubscribeOfAnErasedContactStillSaysDone(t *testing.T) {
	f := newFixture(t)
	tok := f.signer.Sign(token.Token{Purpose: token.Unsubscribe, ContactID: "c_gone"})
	if resp := f.do(t, request("POST", "/v1/unsubscribe/{token}", tok, "", nil)); resp.StatusCode != 200 {
		t.Errorf("%d", resp.StatusCode)
	}
}

func TestUnsubscribeFollowsMerges(t *testing.T) {
	f := newFixture(t, contact.Profile{ID: "c_old", MergedInto: "c_1"}, subscribed("c_1"))
	tok := f.signer.Sign(token.Token{Purpose: token.Unsubscribe, ContactID: "c_old"})
	f.do(t, request("POST", "/v1/unsubscribe/{token}", tok, "", nil))
	if f.store.profiles["c_1"].Status != "unsubscribed" {
		t.Errorf("survivor status %q", f.store.profiles["c_1"].Status)
	}
	if msgs := f.queue.messages(t); len(msgs) != 1 || msgs[0].ContactID != "c_1" {
		t.Errorf("events %+v", msgs)
	}
}

func TestBrokenUnsubscribeLinks(t *testing.T) {
	f := newFixture(t, subscribed("c_1"))
	prefs := f.signer.Sign(token.Token{Purpose: token.Preferences, ContactID: "c_1"})
	for _, tok := range []string{"x", prefs, tamper(f.signer.Sign(token.Token{Purpose: token.Unsubscribe, ContactID: "c_1"}))} {
		if resp := f.do(t, request("POST", "/v1/unsubscribe/{token}", tok, "", nil)); resp.StatusCode != 400 {
			t.Errorf("%q: %d", tok, resp.StatusCode)
		}
	}
	if f.store.saves != 0 {
		t.Error("a broken link changed the contact")
	}
}

func TestPreferencesPageEscapesAndWorksWithoutJavaScript(t *testing.T) {
	hostile := subscribed("c_1")
	hostile.Traits["first_name"] = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	hostile.Email = `"><svg onload=alert(1)>@example.com`
	hostile.UnsubscribedTopics = []string{"events"}
	f := newFixture(t, hostile)
	tok := f.signer.Sign(token.Token{Purpose: token.Preferences, ContactID: "c_1"})
	resp := f.do(t, request("GET", "/v1/preferences/{token}", tok, "", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	for _, bad := range []string{"<script", "<img", "<svg"} {
		if strings.Contains(resp.Body, bad) {
			t.Errorf("page contains %q unescaped:\n%s", bad, resp.Body)
		}
	}
	if !strings.Contains(resp.Body, "&lt;script&gt;") || !strings.Contains(resp.Body, "Events &amp; webinars") {
		t.Errorf("escaped values missing:\n%s", resp.Body)
	}
	if !regexp.MustCompile(`value="newsletter" checked`).MatchString(resp.Body) || strings.Contains(resp.Body, `value="events" checked`) {
		t.Errorf("checkboxes do not show the state:\n%s", resp.Body)
	}
	if !strings.Contains(resp.Body, `<form method="post">`) || strings.Contains(resp.Body, "<script") {
		t.Error("a plain form, no script")
	}
	csp := resp.Headers["Content-Security-Policy"]
	style := regexp.MustCompile(`(?s)<style>(.*)</style>`).FindStringSubmatch(resp.Body)
	sum := sha256.Sum256([]byte(style[1]))
	if !strings.Contains(csp, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q does not allow exactly the inline style", csp)
	}
	if resp.Headers["Referrer-Policy"] != "no-referrer" || resp.Headers["Cache-Control"] != "no-store" {
		t.Errorf("headers %v", resp.Headers)
	}
}

func TestSavePreferences(t *testing.T) {
	tests := []struct {
		name       string
		start      contact.Profile
		form       url.Values
		wantStatus string
		wantOff    []string
		wantEvents []string
		wantNotice string
		wantConsen int
	}{
		{
			name: "switch a topic off", start: subscribed("c_1"),
			form:       url.Values{"topic": {"newsletter"}, "action": {"save"}},
			wantStatus: "subscribed", wantOff: []string{"events"},
			wantEvents: []string{"Email Preferences Updated"}, wantNotice: "Your preferences are saved.",
		},
		{
			name: "unsubscribe from all", start: subscribed("c_1"),
			form:       url.Values{"topic": {"newsletter", "events"}, "action": {"unsubscribe-all"}},
			wantStatus: "unsubscribed",
			wantEvents: []string{"Email Preferences Updated", "Unsubscribed"}, wantNotice: "You&#39;re unsubscribed from all marketing email.",
		},
		{
			name: "an unsubscribed contact ticks a topic", start: contact.Profile{ID: "c_1", Status: "unsubscribed"},
			form:       url.Values{"topic": {"events"}, "action": {"save"}},
			wantStatus: "subscribed", wantOff: []string{"newsletter"},
			wantEvents: []string{"Email Preferences Updated"}, wantNotice: "Your preferences are saved.", wantConsen: 1,
		},
		{
			name: "nothing changed", start: subscribed("c_1"),
			form:       url.Values{"topic": {"newsletter", "events"}, "action": {"save"}},
			wantStatus: "subscribed", wantNotice: "Your preferences are saved.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.start)
			tok := f.signer.Sign(token.Token{Purpose: token.Preferences, ContactID: "c_1"})
			resp := f.do(t, request("POST", "/v1/preferences/{token}", tok, tc.form.Encode(), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}))
			if resp.StatusCode != 200 || !strings.Contains(resp.Body, tc.wantNotice) {
				t.Fatalf("%d %s", resp.StatusCode, resp.Body)
			}
			p := f.store.profiles["c_1"]
			if p.Status != tc.wantStatus || !slices.Equal(p.UnsubscribedTopics, tc.wantOff) || len(p.Consents) != tc.wantConsen {
				t.Errorf("status %q off %v consents %v", p.Status, p.UnsubscribedTopics, p.Consents)
			}
			var got []string
			for _, m := range f.queue.messages(t) {
				got = append(got, m.Event)
			}
			if !slices.Equal(got, tc.wantEvents) {
				t.Errorf("events %v, want %v", got, tc.wantEvents)
			}
			// The page shows what was saved.
			for _, tp := range topics {
				checked := strings.Contains(resp.Body, `value="`+tp.ID+`" checked`)
				if want := preference.Allows(&p, tp.ID); checked != want {
					t.Errorf("topic %s shown checked=%v, saved on=%v", tp.ID, checked, want)
				}
			}
		})
	}
}

func TestConfirm(t *testing.T) {
	pending := contact.Profile{ID: "c_1", Email: "ada@example.com", Status: "pending"}
	tests := []struct {
		name       string
		start      []contact.Profile
		tok        token.Token
		wantCode   int
		wantTitle  string
		wantStatus string
		wantEvents int
	}{
		{"pending becomes subscribed", []contact.Profile{pending}, token.Token{Purpose: token.Confirm, ContactID: "c_1", SendID: "d-1", Expires: now.Add(time.Hour).Unix()},
			200, "You&#39;re subscribed", "subscribed", 1},
		{"unsubscribed since signing up", []contact.Profile{{ID: "c_1", Status: "unsubscribed"}}, token.Token{Purpose: token.Confirm, ContactID: "c_1", SendID: "d-1"},
			200, "You&#39;re not subscribed", "unsubscribed", 0},
		{"expired", []contact.Profile{pending}, token.Token{Purpose: token.Confirm, ContactID: "c_1", Expires: now.Add(-time.Second).Unix()},
			410, "This link has expired", "pending", 0},
		{"erased contact", nil, token.Token{Purpose: token.Confirm, ContactID: "c_1"}, 404, "find your subscription", "", 0},
		{"an unsubscribe token", []contact.Profile{pending}, token.Token{Purpose: token.Unsubscribe, ContactID: "c_1"}, 400, "This link doesn", "pending", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.start...)
			raw := f.signer.Sign(tc.tok)
			resp := f.do(t, request("POST", "/v1/confirm/{token}", raw, "", nil))
			if resp.StatusCode != tc.wantCode || !strings.Contains(resp.Body, tc.wantTitle) {
				t.Fatalf("%d %s", resp.StatusCode, resp.Body)
			}
			if p := f.store.profiles["c_1"]; p.Status != tc.wantStatus {
				t.Errorf("status %q", p.Status)
			}
			if msgs := f.queue.messages(t); len(msgs) != tc.wantEvents {
				t.Errorf("events %+v", msgs)
			}
		})
	}
}

func TestConfirmLinkGETChangesNothing(t *testing.T) {
	// A scanner following the emailed link must not confirm anything.
	f := newFixture(t, contact.Profile{ID: "c_1", Email: "ada@example.com", Status: "pending"})
	raw := f.signer.Sign(token.Token{Purpose: token.Confirm, ContactID: "c_1", SendID: "d-1"})
	resp := f.do(t, request("GET", "/v1/confirm/{token}", raw, "", nil))
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, `<form method="post">`) || !strings.Contains(resp.Body, "Confirm my subscription") {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	if p := f.store.profiles["c_1"]; p.Status != "pending" || len(p.Consents) != 0 || f.store.saves != 0 {
		t.Errorf("a GET changed the contact: %+v", p)
	}
	if msgs := f.queue.messages(t); len(msgs) != 0 {
		t.Errorf("a GET recorded events: %+v", msgs)
	}
	expired := f.signer.Sign(token.Token{Purpose: token.Confirm, ContactID: "c_1", Expires: now.Add(-time.Minute).Unix()})
	if resp := f.do(t, request("GET", "/v1/confirm/{token}", expired, "", nil)); resp.StatusCode != 410 {
		t.Errorf("expired link page: %d", resp.StatusCode)
	}
}

func TestConfirmTwiceRecordsOneConsent(t *testing.T) {
	f := newFixture(t, contact.Profile{ID: "c_1", Email: "ada@example.com", Status: "pending"})
	raw := f.signer.Sign(token.Token{Purpose: token.Confirm, ContactID: "c_1", SendID: "d-1"})
	for i := 0; i < 2; i++ {
		if resp := f.do(t, request("POST", "/v1/confirm/{token}", raw, "", nil)); resp.StatusCode != 200 {
			t.Fatalf("%d", resp.StatusCode)
		}
	}
	p := f.store.profiles["c_1"]
	if len(p.Consents) != 1 || f.store.saves != 1 {
		t.Fatalf("consents %v saves %d", p.Consents, f.store.saves)
	}
	c := p.Consents[0]
	if c.Purpose != "double-opt-in-confirmation" || c.Source != "confirm:d-1" || c.Page != "https://api.example.com/v1/confirm" ||
		c.IP != "198.51.100.0" || !c.At.Equal(now) || !strings.Contains(c.Text, "ada@example.com") {
		t.Errorf("consent %+v", c)
	}
	msgs := f.queue.messages(t)
	if len(msgs) != 2 || msgs[0].MessageID != msgs[1].MessageID || msgs[0].Event != "Subscription Confirmed" {
		t.Errorf("events %+v", msgs)
	}
}

func TestConfigFromEnv(t *testing.T) {
	good := map[string]string{
		"TABLE_NAME": "t", "QUEUE_URL_EVENTS": "http://q", "LINK_SIGNING_SECRETS": secret + ", " + secret + "-old",
		"PUBLIC_BASE_URL": "https://api.example.com/",
	}
	c, err := ConfigFromEnv(func(k string) string { return good[k] })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Secrets) != 2 || c.PublicBaseURL != "https://api.example.com" || c.Topics == nil || c.Sending == nil {
		t.Errorf("%+v", c)
	}
	for _, k := range []string{"TABLE_NAME", "QUEUE_URL_EVENTS", "LINK_SIGNING_SECRETS", "PUBLIC_BASE_URL"} {
		env := maps.Clone(good)
		delete(env, k)
		if _, err := ConfigFromEnv(func(k string) string { return env[k] }); err == nil {
			t.Errorf("no error without %s", k)
		}
	}
	short := maps.Clone(good)
	short["LINK_SIGNING_SECRETS"] = "short"
	if _, err := ConfigFromEnv(func(k string) string { return short[k] }); err == nil {
		t.Error("a short secret is accepted")
	}
}
