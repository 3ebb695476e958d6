package runner_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/token"
)

const linksBrowser = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36"

// linksSigner signs links the way the platform's functions verify them.
func (e *env) linksSigner() *token.Signer {
	e.t.Helper()
	s, err := token.NewSigner(e.platform.SigningSecret())
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// linksFetch makes one request without following redirects, as a browser
// shows them to a test.
func (e *env) linksFetch(method, path, contentType, body string) (int, http.Header, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.api.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("User-Agent", linksBrowser)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

// linksContact creates a contact from an identify call and returns its id.
func (e *env) linksContact(anon, traits string) string {
	e.t.Helper()
	e.track(`{"batch":[{"type":"identify","anonymousId":"` + anon + `","traits":` + traits + `}]}`)
	return e.waitContact(anon, 1)["id"].(string)
}

// linksEvent waits for an event on a contact's timeline and returns it.
func (e *env) linksEvent(contactID, event string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if code, c := e.admin("/v1/contacts/" + contactID); code == 200 {
			for _, ev := range c["events"].([]any) {
				if m := ev.(map[string]any); m["event"] == event {
					return m
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("no %q on contact %s", event, contactID)
	return nil
}

func (e *env) linksProfile(contactID string) map[string]any {
	e.t.Helper()
	code, c := e.admin("/v1/contacts/" + contactID)
	if code != 200 {
		e.t.Fatalf("GET contact %s = %d", contactID, code)
	}
	return c
}

func TestOpenPixelRecordsAnOpen(t *testing.T) {
	e := newEnv(t)
	id := e.linksContact("reader-1", `{"email":"reader@example.com"}`)
	s := e.linksSigner()

	// A bad token still gets the pixel, and records nothing.
	code, h, body := e.linksFetch("GET", "/v1/t/o/not-a-token", "", "")
	if code != 200 || h.Get("Content-Type") != "image/gif" || !strings.HasPrefix(body, "GIF89a") {
		t.Fatalf("bad token: %d %v", code, h)
	}
	code, h, body = e.linksFetch("GET", "/v1/t/o/"+s.Sign(token.Token{Purpose: token.Open, ContactID: id, SendID: "s-open-1"}), "", "")
	if code != 200 || h.Get("Content-Type") != "image/gif" || len(body) != 43 || !strings.Contains(h.Get("Cache-Control"), "no-store") {
		t.Fatalf("pixel: %d %v %d bytes", code, h, len(body))
	}
	ev := e.linksEvent(id, "Email Opened")
	if props := ev["properties"].(map[string]any); props["send_id"] != "s-open-1" || props["machine"] != false {
		t.Errorf("properties %v", props)
	}
	e.settle()
	if n := len(e.linksProfile(id)["events"].([]any)); n != 2 {
		t.Errorf("%d events, want the identify and one open", n)
	}
}

func TestClickRedirectsOnlyWhenSigned(t *testing.T) {
	e := newEnv(t)
	id := e.linksContact("clicker-1", `{"email":"clicker@example.com"}`)
	s := e.linksSigner()
	good := s.Sign(token.Token{Purpose: token.Click, ContactID: id, SendID: "s-click-1", URL: "https://www.example.com/pricing?utm_source=email"})

	// Tampered: the payload says another destination, the signature is the
	// original's.
	payload, sig, _ := strings.Cut(good, ".")
	evil := s.Sign(token.Token{Purpose: token.Click, ContactID: id, URL: "https://evil.example/"})
	evilPayload, _, _ := strings.Cut(evil, ".")
	for name, tok := range map[string]string{"tampered": evilPayload + "." + sig, "unsigned": payload, "garbage": "x.y"} {
		code, h, _ := e.linksFetch("GET", "/v1/t/c/"+tok, "", "")
		if code != 400 || h.Get("Location") != "" {
			t.Errorf("%s: %d Location %q, want 400 and no redirect", name, code, h.Get("Location"))
		}
	}
	code, h, _ := e.linksFetch("GET", "/v1/t/c/"+good, "", "")
	if code != 302 || h.Get("Location") != "https://www.example.com/pricing?utm_source=email" {
		t.Fatalf("valid click: %d Location %q", code, h.Get("Location"))
	}
	ev := e.linksEvent(id, "Email Link Clicked")
	if props := ev["properties"].(map[string]any); props["url"] != "https://www.example.com/pricing?utm_source=email" || props["send_id"] != "s-click-1" || props["machine"] != false {
		t.Errorf("properties %v", props)
	}
}

func TestOneClickUnsubscribe(t *testing.T) {
	e := newEnv(t)
	if code, body, _ := e.formsJSON("demo-request", `{"email":"una@example.com","first_name":"Una","company":"Acme","marketing":true}`, nil); code != 200 || body["status"] != "subscribed" {
		t.Fatalf("form = %d %v", code, body)
	}
	id := e.formsContact("una@example.com", 2)["id"].(string)
	path := "/v1/unsubscribe/" + e.linksSigner().Sign(token.Token{Purpose: token.Unsubscribe, ContactID: id, SendID: "s-unsub-1"})

	// A GET (a link scanner, a prefetch) shows a page and changes nothing.
	code, _, page := e.linksFetch("GET", path, "", "")
	if code != 200 || !strings.Contains(page, `<form method="post">`) {
		t.Fatalf("GET: %d %s", code, page)
	}
	e.settle()
	if st := e.linksProfile(id)["status"]; st != "subscribed" {
		t.Fatalf("a GET changed the status to %v", st)
	}

	// RFC 8058: the mailbox provider POSTs List-Unsubscribe=One-Click.
	code, h, page := e.linksFetch("POST", path, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click")
	if code != 200 || h.Get("Location") != "" || !strings.Contains(page, "unsubscribed") {
		t.Fatalf("POST: %d Location %q %s", code, h.Get("Location"), page)
	}
	// Immediately: no queue in between.
	if st := e.linksProfile(id)["status"]; st != "unsubscribed" {
		t.Errorf("status %v right after the POST", st)
	}
	e.linksEvent(id, "Unsubscribed")
}

func TestPreferenceCentreWithoutJavaScript(t *testing.T) {
	e := newEnv(t)
	// Traits pass ingest's markup check but would break out of an HTML
	// attribute if printed raw.
	id := e.linksContact("prefs-1", `{"email":"pat@example.com","first_name":"\"onmouseover=\"alert(1)\" x='1' & co"}`)
	path := "/v1/preferences/" + e.linksSigner().Sign(token.Token{Purpose: token.Preferences, ContactID: id})

	code, h, page := e.linksFetch("GET", path, "", "")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("GET: %d %v", code, h)
	}
	if strings.Contains(page, `"onmouseover="`) || !strings.Contains(page, "&#34;onmouseover=&#34;alert(1)&#34; x=&#39;1&#39; &amp; co") {
		t.Errorf("the trait is not escaped:\n%s", page)
	}
	if strings.Contains(page, "<script") || !strings.Contains(page, `name="topic" value="newsletter"`) || strings.Contains(page, " checked") {
		t.Errorf("want a plain form with nothing pre-ticked for a contact who never subscribed:\n%s", page)
	}

	// The form as a browser without JavaScript posts it.
	form := url.Values{"topic": {"newsletter", "events"}, "action": {"save"}}
	code, _, page = e.linksFetch("POST", path, "application/x-www-form-urlencoded", form.Encode())
	if code != 200 || !strings.Contains(page, "Your preferences are saved.") ||
		!strings.Contains(page, `value="newsletter" checked`) || strings.Contains(page, `value="nurture" checked`) {
		t.Fatalf("POST: %d\n%s", code, page)
	}
	c := e.linksProfile(id)
	off := formsStrs(c["unsubscribed_topics"])
	if c["status"] != "subscribed" || strings.Join(off, ",") != "product-updates,nurture" {
		t.Errorf("status %v unsubscribed_topics %v", c["status"], off)
	}
	consents, _ := c["consents"].([]any)
	if len(consents) != 1 || consents[0].(map[string]any)["purpose"] != "preference-centre" {
		t.Errorf("consents %v", c["consents"])
	}
	e.linksEvent(id, "Email Preferences Updated")

	// Unsubscribe from all.
	code, _, page = e.linksFetch("POST", path, "application/x-www-form-urlencoded", "action=unsubscribe-all")
	if code != 200 || !strings.Contains(page, "unsubscribed from all") {
		t.Fatalf("unsubscribe all: %d\n%s", code, page)
	}
	if st := e.linksProfile(id)["status"]; st != "unsubscribed" {
		t.Errorf("status %v", st)
	}
	e.linksEvent(id, "Unsubscribed")
}

func TestConfirmLinkSubscribesAPendingContact(t *testing.T) {
	e := newEnv(t)
	if code, body, _ := e.formsJSON("newsletter", `{"email":"dora@example.com","first_name":"Dora","consent":true}`, nil); code != 200 || body["status"] != "pending" {
		t.Fatalf("form = %d %v", code, body)
	}
	id := e.formsContact("dora@example.com", 2)["id"].(string)
	s := e.linksSigner()

	expired := s.Sign(token.Token{Purpose: token.Confirm, ContactID: id, SendID: "d-old", Expires: time.Now().Add(-time.Minute).Unix()})
	if code, _, _ := e.linksFetch("GET", "/v1/confirm/"+expired, "", ""); code != 410 {
		t.Errorf("expired link: %d", code)
	}
	link := "/v1/confirm/" + s.Sign(token.Token{Purpose: token.Confirm, ContactID: id, SendID: "d-1", Expires: time.Now().Add(72 * time.Hour).Unix()})
	for i := 0; i < 2; i++ { // a second click changes nothing
		code, _, page := e.linksFetch("GET", link, "", "")
		if code != 200 || !strings.Contains(page, "You&#39;re subscribed") {
			t.Fatalf("click %d: %d\n%s", i, code, page)
		}
	}
	c := e.linksProfile(id)
	if c["status"] != "subscribed" {
		t.Errorf("status %v", c["status"])
	}
	var confirmations []map[string]any
	for _, x := range c["consents"].([]any) {
		if cs := x.(map[string]any); cs["purpose"] == "double-opt-in-confirmation" {
			confirmations = append(confirmations, cs)
		}
	}
	if len(confirmations) != 1 || confirmations[0]["source"] != "confirm:d-1" || confirmations[0]["page"] != e.platform.PublicBaseURL()+"/v1/confirm" ||
		confirmations[0]["ip"] != "127.0.0.0" || confirmations[0]["at"] == "" {
		t.Errorf("confirmation consents %v", confirmations)
	}
	e.linksEvent(id, "Subscription Confirmed")
}
