package mail

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/template"
	"github.com/leadflow/leadflow/shared/token"
)

const testSecret = "0123456789abcdef0123456789abcdef-test"

func testLinks(t *testing.T) Links {
	t.Helper()
	s, err := token.NewSigner(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return Links{Signer: s, BaseURL: "https://mail.leadflow.example/"}
}

func compile(t *testing.T, tp template.Template) *template.Compiled {
	t.Helper()
	c, _, err := template.Compile(tp)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	marketingTemplate = template.Template{
		ID: "news", Name: "News", Kind: template.KindMarketing, Topic: "newsletter",
		From:    template.Address{Name: "Sam", Address: "sam@example.com"},
		Subject: "Hi {{ traits.first_name | default: 'there' }}",
		HTML: `<html><body><p>Read <a href="https://example.com/guide?a=1&amp;b=2">the guide</a>, ` +
			`<a href="mailto:sam@example.com">mail us</a>, <a href="{{ preferences_url }}">preferences</a>.</p>` +
			`<p>{{ sender.address }} <a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>`,
	}
	confirmTemplate = template.Template{
		ID: "double-opt-in", Name: "Confirm", Kind: template.KindTransactional,
		From:    template.Address{Address: "hello@example.com"},
		Subject: "Confirm",
		HTML:    `<p><a href="{{ confirm_url }}">Yes</a> {{ sender.address }}</p>`,
	}
)

func TestComposeMarketing(t *testing.T) {
	l := testLinks(t)
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	r := Request{SendID: "c-123", ContactID: "c_ada", TemplateID: "news", Source: Source{Campaign: "launch"}}
	m, err := testSettings().Compose(Draft{
		Request: r, Kind: Marketing, Template: compile(t, marketingTemplate), To: "ada@example.com", Now: now,
		Data: template.Data{Contact: template.Contact{ID: "c_ada", Email: "ada@example.com"}, Traits: map[string]any{"first_name": "Ada"}},
	}, l, "leadflow")
	if err != nil {
		t.Fatal(err)
	}
	if m.From != `"Sam" <sam@example.com>` || m.To != "ada@example.com" || m.Subject != "Hi Ada" || m.ConfigSet != "leadflow" {
		t.Errorf("from %q to %q subject %q config set %q", m.From, m.To, m.Subject, m.ConfigSet)
	}
	if len(m.ReplyTo) != 1 || m.ReplyTo[0] != "support@example.com" {
		t.Errorf("reply-to %v: the settings' default when the template has none", m.ReplyTo)
	}
	// RFC 8058: the header holds the signed HTTPS URL, and the POST marker.
	lu := m.Header("List-Unsubscribe")
	if !strings.HasPrefix(lu, "<https://mail.leadflow.example/v1/unsubscribe/") || !strings.HasSuffix(lu, ">") {
		t.Fatalf("List-Unsubscribe %q", lu)
	}
	if m.Header("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", m.Header("List-Unsubscribe-Post"))
	}
	unsub := strings.Trim(lu, "<>")
	tok, err := l.Signer.Verify(token.Unsubscribe, strings.TrimPrefix(unsub, "https://mail.leadflow.example/v1/unsubscribe/"), now)
	if err != nil || tok.ContactID != "c_ada" || tok.SendID != "c-123" || tok.Expires != 0 {
		t.Errorf("unsubscribe token %+v %v: must name the contact and never expire", tok, err)
	}
	// The visible unsubscribe and preferences links are the signed ones,
	// untracked; the content link is tracked; mailto is left alone.
	if !strings.Contains(m.HTML, `href="`+unsub+`"`) {
		t.Error("visible unsubscribe link is not the List-Unsubscribe URL (or was tracked)")
	}
	if !regexp.MustCompile(`href="https://mail\.leadflow\.example/v1/preferences/[^"]+">preferences`).MatchString(m.HTML) {
		t.Error("preferences link missing or tracked")
	}
	if !strings.Contains(m.HTML, `href="mailto:sam@example.com"`) {
		t.Error("mailto link rewritten")
	}
	click := regexp.MustCompile(`href="https://mail\.leadflow\.example/v1/t/c/([^"]+)">the guide`).FindStringSubmatch(m.HTML)
	if click == nil {
		t.Fatalf("content link not tracked:\n%s", m.HTML)
	}
	ct, err := l.Signer.Verify(token.Click, click[1], now)
	if err != nil || ct.URL != "https://example.com/guide?a=1&b=2" || ct.SendID != "c-123" {
		t.Errorf("click token %+v %v", ct, err)
	}
	pixel := regexp.MustCompile(`<img src="https://mail\.leadflow\.example/v1/t/o/([^"]+)" width="1" height="1"[^>]*></body>`).FindStringSubmatch(m.HTML)
	if pixel == nil {
		t.Fatalf("open pixel missing before </body>:\n%s", m.HTML)
	}
	if ot, err := l.Signer.Verify(token.Open, pixel[1], now); err != nil || ot.ContactID != "c_ada" {
		t.Errorf("open token %+v %v", ot, err)
	}
	if !strings.Contains(m.HTML, "100 Example Street") || !strings.Contains(m.Text, "100 Example Street") {
		t.Error("postal address missing")
	}
	want := map[string]string{TagSendID: "c-123", TagContactID: "c_ada", TagTemplate: "news", TagKind: Marketing, TagCampaign: "launch"}
	for k, v := range want {
		if m.Tags[k] != v {
			t.Errorf("tag %s = %q, want %q", k, m.Tags[k], v)
		}
	}
}

func TestComposeTestSendHasNoLiveLinks(t *testing.T) {
	l := testLinks(t)
	r := Request{SendID: "t-1", ContactID: "c_ada", TemplateID: "news", To: "qa@example.com"}
	m, err := testSettings().Compose(Draft{Request: r, Kind: Marketing, Template: compile(t, marketingTemplate), To: "qa@example.com", Now: time.Now()}, l, "leadflow")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Headers) != 0 || strings.Contains(m.HTML, "leadflow.example") {
		t.Errorf("a test send carries live links or headers: %v\n%s", m.Headers, m.HTML)
	}
	if !strings.Contains(m.HTML, template.Sample().Links.Unsubscribe) || !strings.Contains(m.HTML, `href="https://example.com/guide?a=1&amp;b=2"`) {
		t.Errorf("test send should show sample links and untracked content links:\n%s", m.HTML)
	}
	if m.Tags[TagKind] != TagKindTest || m.To != "qa@example.com" {
		t.Errorf("kind tag %q to %q", m.Tags[TagKind], m.To)
	}
}

func TestComposeConfirmation(t *testing.T) {
	l := testLinks(t)
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	r := Request{SendID: "d-1", ContactID: "c_bo", TemplateID: "double-opt-in", Kind: Transactional, Source: Source{Form: "newsletter"}}
	m, err := testSettings().Compose(Draft{Request: r, Kind: Transactional, Template: compile(t, confirmTemplate), To: "bo@example.com", Now: now, Confirm: true}, l, "leadflow")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Headers) != 0 || strings.Contains(m.HTML, "/v1/t/") {
		t.Errorf("transactional mail tracked or with List-Unsubscribe: %v\n%s", m.Headers, m.HTML)
	}
	u := regexp.MustCompile(`href="(https://mail\.leadflow\.example/v1/confirm/[^"]+)"`).FindStringSubmatch(m.HTML)
	if u == nil {
		t.Fatalf("no confirm link:\n%s", m.HTML)
	}
	p, _ := url.Parse(u[1])
	tok, err := l.Signer.Verify(token.Confirm, strings.TrimPrefix(p.Path, "/v1/confirm/"), now)
	if err != nil || tok.ContactID != "c_bo" || tok.Expires != now.Add(7*24*time.Hour).Unix() {
		t.Errorf("confirm token %+v %v: the contact, valid for 7 days", tok, err)
	}
	if _, err := l.Signer.Verify(token.Confirm, strings.TrimPrefix(p.Path, "/v1/confirm/"), now.Add(8*24*time.Hour)); err == nil {
		t.Error("confirm link still valid after 8 days")
	}
}

func TestResolveKind(t *testing.T) {
	tests := []struct {
		kind, template, want string
	}{
		{"", Marketing, Marketing},
		{Marketing, Marketing, Marketing},
		{"", Transactional, Transactional},
		{Transactional, Marketing, ""}, // would skip consent
		{Marketing, Transactional, ""},
	}
	for _, tc := range tests {
		got, err := ResolveKind(Request{SendID: "x", Kind: tc.kind}, template.Template{ID: "t", Kind: tc.template})
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("ResolveKind(%q, template %q) = %q, %v", tc.kind, tc.template, got, err)
		}
	}
}
