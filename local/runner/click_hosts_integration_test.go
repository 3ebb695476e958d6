package runner_test

import (
	"context"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/template"
	"github.com/leadflow/leadflow/shared/token"
)

// TestClickLinksGoOnlyToTheTemplatesHosts: a template saved through the
// admin API that puts contact data after a fixed host sends mail whose
// tracked link redirects there, whatever the contact data holds; a signed
// click link from a template stored before the compiler refused URLs from
// contact data (written straight into the table here) gets a page, not a
// redirect.
func TestClickLinksGoOnlyToTheTemplatesHosts(t *testing.T) {
	e := sendEnv(t, 20, 0)
	promo := template.Template{
		ID: "shop-promo", Name: "Shop promo", Kind: template.KindMarketing, Topic: "newsletter",
		From: template.Address{Address: "hello@example.com"}, Subject: "New in the shop",
		HTML: `<html><body><p><a href="https://shop.example/p/{{ traits.path | default: "home" }}">Shop</a></p>` +
			`<p>{{ sender.address }} <a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>`,
	}
	raw, _ := json.Marshal(promo)
	if code, body := e.adminDo("PUT", "/v1/templates/shop-promo", string(raw)); code != 200 && code != 201 {
		t.Fatalf("PUT template = %d %v", code, body)
	}
	bad := promo
	bad.HTML = `<html><body><p><a href="https://{{ traits.path }}/">Shop</a></p></body></html>`
	raw, _ = json.Marshal(bad)
	if code, _ := e.adminDo("PUT", "/v1/templates/shop-promo", string(raw)); code != 422 {
		t.Errorf("a template whose link host comes from contact data: PUT = %d, want 422", code)
	}

	ada := e.subscribed("c_click_ada", "clickada")
	ada.Traits = map[string]any{"path": "@evil.example/"}
	e.seedContacts(ada)
	code, body := e.postMessage(`{"contact_id":"c_click_ada","template_id":"shop-promo","idempotency_key":"shop-promo-ada"}`)
	if code != 202 {
		t.Fatalf("POST /v1/messages = %d %v", code, body)
	}
	e.waitSend(mail.APISendID("shop-promo-ada"), inState(mail.Sent, mail.Delivered))
	mails := mailsTo(t, ada.Email)
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	link := regexp.MustCompile(`href="(` + regexp.QuoteMeta(e.platform.PublicBaseURL()) + `/v1/t/c/[^"]+)"`).FindStringSubmatch(mails[0].Body.HTML)
	if link == nil {
		t.Fatalf("no tracked link in %s", mails[0].Body.HTML)
	}
	code, h, _ := e.linksFetch("GET", localPath(t, link[1]), "", "")
	if code != 302 || h.Get("Location") != "https://shop.example/p/@evil.example%2F" {
		t.Errorf("click = %d Location %q, want 302 to shop.example", code, h.Get("Location"))
	}

	// A template stored before the change, and a link signed from it.
	legacy := promo
	legacy.ID, legacy.HTML = "legacy-promo", `<a href="{{ traits.website }}">site</a>`
	raw, _ = json.Marshal(legacy)
	if err := e.linksStore().SaveLegacyDefinition(context.Background(), "templates", legacy.ID, raw, time.Now()); err != nil {
		t.Fatal(err)
	}
	s := e.linksSigner()
	for name, tok := range map[string]token.Token{
		"the legacy template's link": {Purpose: token.Click, ContactID: "c_click_ada", TemplateID: "legacy-promo", URL: "https://evil.example/login"},
		"a link naming no template":  {Purpose: token.Click, ContactID: "c_click_ada", SendID: "s-unknown", URL: "https://evil.example/login"},
	} {
		code, h, body := e.linksFetch("GET", "/v1/t/c/"+s.Sign(tok), "", "")
		if code != 403 || h.Get("Location") != "" || !regexp.MustCompile(`can.{1,6}t be opened`).MatchString(body) {
			t.Errorf("%s: %d Location %q", name, code, h.Get("Location"))
		}
	}
}
