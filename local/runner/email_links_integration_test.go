package runner_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/store/dynamo"
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
	id := e.linksSubscriber("una@example.com")
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
	if code, _, page := e.linksFetch("GET", link, "", ""); code != 200 || !strings.Contains(page, "Confirm my subscription") {
		t.Fatalf("confirm page: %d\n%s", code, page)
	}
	if c := e.linksProfile(id); c["status"] != "pending" {
		t.Fatalf("the GET (a scanner) confirmed: status %v", c["status"])
	}
	for i := 0; i < 2; i++ { // a second click changes nothing
		code, _, page := e.linksFetch("POST", link, "", "")
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

// linksSESEvent publishes an SES event onto the local default bus the way
// SES's EventBridge destination does (source aws.ses): the events/ses
// fixture's detail, with the message id, tags and recipient of this test.
func (e *env) linksSESEvent(fixture, detailType, messageID, sendID, contactID, email string, change func(d map[string]any)) {
	e.t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", "ses", fixture))
	if err != nil {
		e.t.Fatal(err)
	}
	var env struct {
		Detail map[string]any `json:"detail"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		e.t.Fatal(err)
	}
	d := env.Detail
	m := d["mail"].(map[string]any)
	m["messageId"], m["destination"], m["timestamp"] = messageID, []string{email}, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	m["tags"] = map[string][]string{"send_id": {sendID}, "contact_id": {contactID}, "ses:configuration-set": {"leadflow"}}
	for _, part := range []string{"bounce", "complaint"} {
		if p, ok := d[part].(map[string]any); ok {
			key := map[string]string{"bounce": "bouncedRecipients", "complaint": "complainedRecipients"}[part]
			p[key] = []map[string]any{{"emailAddress": email, "status": "5.1.1", "action": "failed"}}
			p["feedbackId"] = "fb-" + messageID
		}
	}
	if change != nil {
		change(d)
	}
	detail, _ := json.Marshal(d)
	out, err := eventbridge.NewFromConfig(e.platform.AWS()).PutEvents(context.Background(), &eventbridge.PutEventsInput{
		Entries: []ebtypes.PutEventsRequestEntry{{Source: aws.String("aws.ses"), DetailType: aws.String(detailType), Detail: aws.String(string(detail))}},
	})
	if err != nil || out.FailedEntryCount != 0 {
		e.t.Fatalf("put %s: %v %+v", detailType, err, out)
	}
}

func (e *env) linksStore() *dynamo.Store {
	return dynamo.New(dynamodb.NewFromConfig(e.platform.AWS()), e.table)
}

// linksWait polls until ok or fails the test after a bound that only
// keeps a broken pipeline from hanging.
func (e *env) linksWait(what string, ok func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("never: %s", what)
}

func (e *env) linksSubscriber(email string) string {
	e.t.Helper()
	// Single opt-in needs the form bound to the site and a fill from its page.
	e.bindForm("demo-request")
	if code, body, _ := e.formsJSON("demo-request", `{"email":"`+email+`","first_name":"Sub","company":"Acme","marketing":true}`,
		map[string]string{"Origin": "https://allowed.example"}); code != 200 || body["status"] != "subscribed" {
		e.t.Fatalf("form = %d %v", code, body)
	}
	return e.formsContact(email, 2)["id"].(string)
}

func TestSESEventsFromTheBus(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st := e.linksStore()
	bouncer := e.linksSubscriber("gone@example.net")
	complainer := e.linksSubscriber("angry@example.org")

	// A send the sender left in doubt (it crashed after calling SES).
	now := time.Now().UTC()
	doubt := mail.SendState{Record: mail.Record{SendID: "c-doubt", ContactID: bouncer, TemplateID: "welcome", Kind: mail.Marketing,
		State: mail.InDoubt, ClaimedAt: now, UpdatedAt: now}, Cause: mail.CauseNoAnswer}
	if _, err := st.SaveSend(ctx, doubt, 0); err != nil {
		t.Fatal(err)
	}
	e.linksSESEvent("delivery.json", "Email Delivered", "ses-msg-1", "c-doubt", bouncer, "gone@example.net", nil)
	e.linksWait("the in-doubt send settled by its Delivery event", func() bool {
		rec, err := st.GetSend(ctx, "c-doubt")
		return err == nil && rec.State == mail.Delivered && rec.MessageID == "ses-msg-1"
	})

	// A hard bounce, delivered twice by EventBridge.
	for i := 0; i < 2; i++ {
		e.linksSESEvent("bounce.json", "Email Bounced", "ses-msg-2", "c-bounce", bouncer, "gone@example.net", nil)
	}
	e.linksWait("the bounced address suppressed", func() bool {
		ok, err := st.IsSuppressed(ctx, "gone@example.net")
		return err == nil && ok
	})
	e.linksEvent(bouncer, "Email Bounced")

	e.linksSESEvent("complaint.json", "Email Complaint Received", "ses-msg-3", "c-complaint", complainer, "angry@example.org", nil)
	e.linksWait("the complainer unsubscribed", func() bool { return e.linksProfile(complainer)["status"] == "unsubscribed" })
	if reason, _, ok, err := st.Suppression(ctx, "angry@example.org"); err != nil || !ok || reason != "complaint" {
		t.Errorf("complainer suppression: %q %v %v", reason, ok, err)
	}
	if ev := e.linksEvent(complainer, "Email Marked as Spam"); ev["properties"].(map[string]any)["unsubscribed"] != true {
		t.Errorf("event %v", ev)
	}

	// Counted once, though delivered twice.
	var stats dynamo.MailStats
	e.linksWait("one bounce and one complaint counted", func() bool {
		var err error
		stats, err = st.MailStatsSince(ctx, now.Add(-2*time.Hour), time.Now())
		return err == nil && stats.Bounces >= 1 && stats.Complaints >= 1
	})
	e.settle()
	time.Sleep(500 * time.Millisecond) // let a wrongly counted duplicate land
	if stats, _ = st.MailStatsSince(ctx, now.Add(-2*time.Hour), time.Now()); stats.Bounces != 1 || stats.Complaints != 1 {
		t.Errorf("mail counters %+v, want one bounce and one complaint", stats)
	}
	n := 0
	for _, ev := range e.linksProfile(bouncer)["events"].([]any) {
		if ev.(map[string]any)["event"] == "Email Bounced" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d Email Bounced events, want 1", n)
	}
}

// TestSESSimulatorThroughTheSender sends real mail through the sender to
// SES's mailbox simulator: the SES proxy publishes the events SES would,
// and the sesevents function applies them.
func TestSESSimulatorThroughTheSender(t *testing.T) {
	e := sendEnv(t, 20, 0)
	ctx := context.Background()
	st := e.linksStore()
	const bounceAddr, complaintAddr = "bounce@simulator.amazonses.com", "complaint@simulator.amazonses.com"
	e.seedContacts(
		&contact.Profile{ID: "c_sim_bounce", Email: bounceAddr, Status: "subscribed", Timezone: daytimeZone()},
		&contact.Profile{ID: "c_sim_complaint", Email: complaintAddr, Status: "subscribed", Timezone: daytimeZone()},
	)
	send := func(contactID string) string {
		code, body := e.postMessage(`{"contact_id":"` + contactID + `","template_id":"welcome"}`)
		if code != 202 {
			t.Fatalf("POST /v1/messages for %s = %d %v", contactID, code, body)
		}
		return body["send_id"].(string)
	}

	bounced := send("c_sim_bounce")
	if rec := e.waitSend(bounced, inState(mail.Bounced)); !strings.Contains(rec["reason"].(string), "permanent") {
		t.Errorf("bounced record %v", rec)
	}
	e.linksWait("the bounced address suppressed", func() bool {
		reason, _, ok, err := st.Suppression(ctx, bounceAddr)
		return err == nil && ok && reason == "bounce"
	})
	if ev := e.linksEvent("c_sim_bounce", "Email Bounced"); ev["properties"].(map[string]any)["send_id"] != bounced {
		t.Errorf("event %v", ev)
	}

	complained := send("c_sim_complaint")
	e.waitSend(complained, inState(mail.Complaint))
	e.linksWait("the complainer unsubscribed", func() bool { return e.linksProfile("c_sim_complaint")["status"] == "unsubscribed" })
	if reason, _, ok, err := st.Suppression(ctx, complaintAddr); err != nil || !ok || reason != "complaint" {
		t.Errorf("complainer suppression %q %v %v", reason, ok, err)
	}
	e.linksEvent("c_sim_complaint", "Email Marked as Spam")

	// No mail of any kind goes to a suppressed address again.
	again := send("c_sim_bounce")
	if rec := e.waitSend(again, inState(mail.Skipped, mail.Sent)); rec["state"] != mail.Skipped || rec["reason"] != mail.ReasonSuppressed {
		t.Errorf("send to a bounced address: %v", rec)
	}
}
