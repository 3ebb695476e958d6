package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/fn/senderfn"
	"github.com/leadflow/leadflow/shared/localaws"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// sendEnv is a platform whose sender paces to rate messages per second
// (the local SES server cannot tell it the account's rate) and, when
// inDoubt is set, re-checks a send SES answered 5xx after inDoubt instead
// of ten minutes. The variables are read when the platform is built, so
// these tests cannot run in parallel with others (t.Setenv enforces it).
func sendEnv(t *testing.T, rate int, inDoubt time.Duration) *env {
	t.Helper()
	t.Setenv(senderfn.EnvMaxSendRate, strconv.Itoa(rate))
	if inDoubt > 0 {
		t.Setenv(senderfn.EnvInDoubtAfter, inDoubt.String())
	}
	return newEnv(t)
}

// addr is an address unique to this test's platform: the SES server is
// shared by every test in the package.
func (e *env) addr(local string) string {
	return local + "." + strings.TrimSuffix(e.table, "-leadflow") + "@example.com"
}

// daytimeZone is a fixed-offset zone where it is now about noon, so
// marketing mail is never held back by quiet hours, whenever the tests run.
func daytimeZone() string {
	off := 12 - time.Now().UTC().Hour()
	switch {
	case off > 12:
		off -= 24
	case off < -12:
		off += 24
	}
	switch {
	case off == 0:
		return "Etc/GMT"
	case off > 0:
		return "Etc/GMT-" + strconv.Itoa(off) // POSIX signs: GMT-5 is five hours east
	}
	return "Etc/GMT+" + strconv.Itoa(-off)
}

// seedContacts writes contacts straight into the table, as the processor
// would have left them.
func (e *env) seedContacts(ps ...*contact.Profile) {
	e.t.Helper()
	st := dynamo.New(dynamodb.NewFromConfig(e.platform.AWS()), e.table)
	var wg sync.WaitGroup
	errs := make(chan error, len(ps))
	sem := make(chan struct{}, 16)
	for _, p := range ps {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			now := time.Now().UTC()
			p.FirstSeen, p.LastSeen, p.CreatedAt, p.UpdatedAt = now, now, now, now
			if p.Traits == nil {
				p.Traits = map[string]any{}
			}
			p.Traits["email"] = p.Email
			if err := st.SaveProfile(context.Background(), p); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		e.t.Fatal(err)
	}
}

func (e *env) subscribed(id, local string) *contact.Profile {
	return &contact.Profile{ID: id, Email: e.addr(local), Status: "subscribed", Timezone: daytimeZone(),
		Traits: map[string]any{"first_name": strings.ToUpper(local[:1]) + local[1:]}}
}

func (e *env) postMessage(body string) (int, map[string]any) {
	e.t.Helper()
	return e.adminDo("POST", "/v1/messages", body)
}

// waitSend polls the send record until done says it is settled.
func (e *env) waitSend(id string, done func(map[string]any) bool) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last map[string]any
	for time.Now().Before(deadline) {
		code, rec := e.admin("/v1/messages/" + id)
		if code == 200 {
			last = rec
			if done(rec) {
				return rec
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("send %s never settled; last record %v", id, last)
	return nil
}

func inState(states ...string) func(map[string]any) bool {
	return func(r map[string]any) bool {
		for _, s := range states {
			if r["state"] == s {
				return true
			}
		}
		return false
	}
}

// mailsTo reads what the SES server stored for an address.
func mailsTo(t *testing.T, to string) []localaws.SentEmail {
	t.Helper()
	all, err := localaws.SentEmails(context.Background(), servers.SES.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var out []localaws.SentEmail
	for _, m := range all {
		for _, d := range m.Destination.To {
			if strings.EqualFold(d, to) {
				out = append(out, m)
			}
		}
	}
	return out
}

func header(m localaws.SentEmail, name string) string {
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// accepted returns the SendEmail calls SES accepted, by send id tag.
func accepted(p *runner.Platform) map[string][]runner.SESRequest {
	out := map[string][]runner.SESRequest{}
	for _, r := range p.SESRequests() {
		if r.Accepted {
			out[r.Tags[mail.TagSendID]] = append(out[r.Tags[mail.TagSendID]], r)
		}
	}
	return out
}

// localPath turns a link the platform put in a mail (on PUBLIC_BASE_URL)
// into a path on the test's API server.
func localPath(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func TestSendAPIDeliversACompliantMarketingMail(t *testing.T) {
	e := sendEnv(t, 20, 0)
	ada := e.subscribed("c_send_ada", "ada")
	e.seedContacts(ada)

	code, body := e.postMessage(`{"contact_id":"c_send_ada","template_id":"welcome","idempotency_key":"welcome-ada-1"}`)
	sendID := mail.APISendID("welcome-ada-1")
	if code != 202 || body["send_id"] != sendID {
		t.Fatalf("POST /v1/messages = %d %v", code, body)
	}
	rec := e.waitSend(sendID, inState(mail.Sent, mail.Delivered))
	if rec["contact_id"] != "c_send_ada" || rec["template_id"] != "welcome" || rec["kind"] != mail.Marketing || rec["message_id"] == "" {
		t.Errorf("record %v", rec)
	}

	mails := mailsTo(t, ada.Email)
	if len(mails) != 1 {
		t.Fatalf("%d mails to %s", len(mails), ada.Email)
	}
	m := mails[0]
	if m.MessageID != rec["message_id"] || m.Subject != "Welcome, Ada: here is what to expect" || !strings.Contains(m.From, "hello@example.com") {
		t.Errorf("message id %s (record %v), subject %q, from %q", m.MessageID, rec["message_id"], m.Subject, m.From)
	}
	// RFC 8058 one-click unsubscribe, and the same signed link in the body.
	lu := header(m, "List-Unsubscribe")
	unsub := strings.Trim(lu, "<>")
	if !strings.HasPrefix(lu, "<"+e.platform.PublicBaseURL()+"/v1/unsubscribe/") || header(m, "List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe %q, List-Unsubscribe-Post %q", lu, header(m, "List-Unsubscribe-Post"))
	}
	if !strings.Contains(m.Body.HTML, `href="`+unsub+`"`) || !strings.Contains(m.Body.Text, unsub) {
		t.Error("visible unsubscribe link missing or different from List-Unsubscribe (or tracked)")
	}
	settings, _ := senderfnSettings()
	if !strings.Contains(m.Body.HTML, settings) || !strings.Contains(m.Body.Text, settings) {
		t.Errorf("postal address %q missing", settings)
	}
	if !regexp.MustCompile(`href="` + regexp.QuoteMeta(e.platform.PublicBaseURL()) + `/v1/t/c/[^"]+"`).MatchString(m.Body.HTML) {
		t.Error("content links are not tracked")
	}
	if strings.Contains(m.Body.HTML, `href="https://example.com/guides/getting-started"`) {
		t.Error("a content link escaped tracking")
	}
	if !regexp.MustCompile(`<img src="` + regexp.QuoteMeta(e.platform.PublicBaseURL()) + `/v1/t/o/[^"]+" width="1" height="1"`).MatchString(m.Body.HTML) {
		t.Error("open pixel missing")
	}

	// What SES was asked: tags for attribution, the configuration set.
	acc := accepted(e.platform)[sendID]
	if len(acc) != 1 {
		t.Fatalf("%d accepted SendEmail calls for %s", len(acc), sendID)
	}
	want := map[string]string{mail.TagSendID: sendID, mail.TagContactID: "c_send_ada", mail.TagTemplate: "welcome", mail.TagKind: mail.Marketing}
	for k, v := range want {
		if acc[0].Tags[k] != v {
			t.Errorf("tag %s = %q, want %q", k, acc[0].Tags[k], v)
		}
	}
	if acc[0].ConfigSet != "leadflow" {
		t.Errorf("configuration set %q", acc[0].ConfigSet)
	}

	// A retried call with the same key is a no-op; the same key for
	// something else is refused.
	code, body = e.postMessage(`{"contact_id":"c_send_ada","template_id":"welcome","idempotency_key":"welcome-ada-1"}`)
	if code != 202 || body["send_id"] != sendID || body["duplicate"] != true {
		t.Errorf("retried call = %d %v", code, body)
	}
	if code, _ := e.postMessage(`{"contact_id":"c_send_ada","template_id":"lead-nurture-1","idempotency_key":"welcome-ada-1"}`); code != 409 {
		t.Errorf("key reused for another template = %d", code)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(mailsTo(t, ada.Email)); n != 1 {
		t.Errorf("%d mails after the retried call", n)
	}

	// The one-click POST unsubscribes; the next marketing send is skipped.
	if code, _, _ := e.linksFetch("POST", localPath(t, unsub), "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click"); code != 200 {
		t.Fatalf("one-click unsubscribe = %d", code)
	}
	code, body = e.postMessage(`{"contact_id":"c_send_ada","template_id":"lead-nurture-1"}`)
	if code != 202 {
		t.Fatalf("second send = %d %v", code, body)
	}
	rec = e.waitSend(body["send_id"].(string), inState(mail.Skipped, mail.Sent))
	if rec["state"] != mail.Skipped || rec["reason"] != mail.ReasonUnsubscribed {
		t.Errorf("send after unsubscribing: %v", rec)
	}
}

func senderfnSettings() (string, error) {
	cfg, err := senderfn.ConfigFromEnv(func(k string) string {
		return map[string]string{
			catalog.EnvTableName: "x", catalog.QueueURLEnv(catalog.SendsQueue): "x", catalog.EnvPublicBaseURL: "x",
			catalog.EnvSigningSecrets: strings.Repeat("s", 32),
		}[k]
	})
	if err != nil {
		return "", err
	}
	settings, err := cfg.Settings()
	return settings.Sender.PostalAddress, err
}

func TestNoMarketingWithoutConsentButTestAndTransactionalMailGoOut(t *testing.T) {
	e := sendEnv(t, 20, 0)
	out := &contact.Profile{ID: "c_send_out", Email: e.addr("out"), Status: "unsubscribed", Timezone: daytimeZone()}
	pending := &contact.Profile{ID: "c_send_pending", Email: e.addr("pending"), Status: "pending", Timezone: daytimeZone()}
	never := &contact.Profile{ID: "c_send_never", Email: e.addr("never"), Timezone: daytimeZone()}
	e.seedContacts(out, pending, never)

	for id, reason := range map[string]string{"c_send_out": mail.ReasonUnsubscribed, "c_send_pending": mail.ReasonPending, "c_send_never": mail.ReasonNoConsent} {
		code, body := e.postMessage(`{"contact_id":"` + id + `","template_id":"welcome"}`)
		if code != 202 {
			t.Fatalf("POST for %s = %d %v", id, code, body)
		}
		rec := e.waitSend(body["send_id"].(string), inState(mail.Skipped, mail.Sent))
		if rec["state"] != mail.Skipped || rec["reason"] != reason {
			t.Errorf("%s: %v, want skipped for %s", id, rec, reason)
		}
	}
	// A marketing template cannot be forced through as transactional.
	if code, body := e.postMessage(`{"contact_id":"c_send_out","template_id":"welcome","kind":"transactional"}`); code != 422 {
		t.Errorf("marketing as transactional = %d %v", code, body)
	}
	// Transactional mail reaches a pending contact.
	code, body := e.postMessage(`{"contact_id":"c_send_pending","template_id":"double-opt-in","kind":"transactional"}`)
	if code != 202 {
		t.Fatalf("transactional = %d %v", code, body)
	}
	e.waitSend(body["send_id"].(string), inState(mail.Sent, mail.Delivered))

	// A test send of the marketing template to the unsubscribed contact's
	// own address goes out: sample links, no tracking, no List-Unsubscribe.
	code, body = e.adminDo("POST", "/v1/templates/welcome/test", `{"to":"`+out.Email+`","contact_id":"c_send_out"}`)
	if code != 202 {
		t.Fatalf("test send = %d %v", code, body)
	}
	e.waitSend(body["send_id"].(string), inState(mail.Sent, mail.Delivered))
	mails := mailsTo(t, out.Email)
	if len(mails) != 1 {
		t.Fatalf("%d mails to the unsubscribed address (the test send only)", len(mails))
	}
	m := mails[0]
	if header(m, "List-Unsubscribe") != "" || strings.Contains(m.Body.HTML, "/v1/t/") || !strings.Contains(m.Body.HTML, "https://example.com/u/sample-unsubscribe-token") {
		t.Errorf("test send carries live links or tracking: %v", m.Headers)
	}
	if n := len(mailsTo(t, never.Email)); n != 0 {
		t.Errorf("%d mails to a contact never asked", n)
	}
	if acc := accepted(e.platform)[body["send_id"].(string)]; len(acc) != 1 || acc[0].Tags[mail.TagKind] != mail.TagKindTest {
		t.Errorf("test send tags %v", acc)
	}
}

func TestFrequencyCapDefersTheThirdMail(t *testing.T) {
	e := sendEnv(t, 20, 0)
	bo := e.subscribed("c_send_bo", "bo")
	e.seedContacts(bo)
	var ids []string
	for i, tpl := range []string{"welcome", "lead-nurture-1", "welcome"} {
		code, body := e.postMessage(fmt.Sprintf(`{"contact_id":"c_send_bo","template_id":%q,"idempotency_key":"cap-%d"}`, tpl, i))
		if code != 202 {
			t.Fatalf("POST %d = %d %v", i, code, body)
		}
		ids = append(ids, body["send_id"].(string))
		e.waitSend(ids[i], inState(mail.Sent, mail.Delivered, mail.Deferred))
	}
	// Two a day: the third is deferred to when the first leaves the window.
	rec := e.waitSend(ids[2], inState(mail.Deferred))
	nb, err := time.Parse(time.RFC3339Nano, rec["not_before"].(string))
	if err != nil || rec["reason"] != mail.ReasonFrequencyCap || time.Until(nb) < 23*time.Hour {
		t.Errorf("deferred record %v", rec)
	}
	if n := len(mailsTo(t, bo.Email)); n != 2 {
		t.Errorf("%d mails, want 2", n)
	}
	// Not dropped: the request waits in the sends queue, delayed.
	// (goaws counts delayed messages, and in-flight ones until deleted.)
	client := sqs.NewFromConfig(e.platform.AWS())
	held := ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && held != "1"; time.Sleep(100 * time.Millisecond) {
		res, err := client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
			QueueUrl:       aws.String(e.platform.QueueURL(catalog.SendsQueue)),
			AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages"},
		})
		if err != nil {
			t.Fatal(err)
		}
		held = res.Attributes["ApproximateNumberOfMessages"]
	}
	if held != "1" {
		t.Errorf("sends queue holds %s messages, want the deferred one", held)
	}
}

func TestDoubleOptInSendsOneConfirmation(t *testing.T) {
	e := sendEnv(t, 20, 0)
	email := e.addr("cy")
	code, body, _ := e.formsJSON("newsletter", `{"email":"`+email+`","first_name":"Cy","consent":true}`, map[string]string{"Origin": "https://www.example.com"})
	if code != 200 || body["status"] != "pending" {
		t.Fatalf("form = %d %v", code, body)
	}
	deadline := time.Now().Add(30 * time.Second)
	var mails []localaws.SentEmail
	for time.Now().Before(deadline) && len(mails) == 0 {
		time.Sleep(200 * time.Millisecond)
		mails = mailsTo(t, email)
	}
	time.Sleep(2 * time.Second) // room for a duplicate to show up
	mails = mailsTo(t, email)
	if len(mails) != 1 {
		t.Fatalf("%d confirmation mails", len(mails))
	}
	m := mails[0]
	link := regexp.MustCompile(`href="(` + regexp.QuoteMeta(e.platform.PublicBaseURL()) + `/v1/confirm/[^"]+)"`).FindStringSubmatch(m.Body.HTML)
	if m.Subject != "Please confirm your subscription" || link == nil || !strings.Contains(m.Body.Text, link[1]) {
		t.Fatalf("subject %q, confirm link %v", m.Subject, link)
	}
	if header(m, "List-Unsubscribe") != "" || strings.Contains(m.Body.HTML, "/v1/t/o/") {
		t.Error("the confirmation is transactional: no List-Unsubscribe, no tracking")
	}
	// The link (served by the links function) confirms the subscription.
	c := e.formsContact(email, 1)
	// The emailed link opens a page; its button (a POST) confirms.
	if code, _, _ := e.linksFetch("GET", localPath(t, link[1]), "", ""); code >= 400 {
		t.Fatalf("confirm link = %d", code)
	}
	if code, _, _ := e.linksFetch("POST", localPath(t, link[1]), "", ""); code >= 400 {
		t.Fatalf("confirm button = %d", code)
	}
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && e.linksProfile(c["id"].(string))["status"] != "subscribed" {
		time.Sleep(100 * time.Millisecond)
	}
	if s := e.linksProfile(c["id"].(string))["status"]; s != "subscribed" {
		t.Errorf("status after confirming %v", s)
	}
}

// TestFaultsNeverDuplicateOrLoseMail sends 300 messages while the SES
// proxy throttles a fifth of the calls, answers 500 to a tenth and drops
// the connection after SES accepted another tenth. Every send id must be
// accepted by SES exactly once, or be explicitly failed or skipped; a send
// whose answer was lost must stay in doubt (or be settled from SES's
// events), never be sent again.
func TestFaultsNeverDuplicateOrLoseMail(t *testing.T) {
	const n = 300
	e := sendEnv(t, 60, 3*time.Second)
	var ps []*contact.Profile
	for i := range n {
		ps = append(ps, e.subscribed(fmt.Sprintf("c_fault_%03d", i), fmt.Sprintf("f%03d", i)))
	}
	e.seedContacts(ps...)
	e.platform.SetSESFaults(runner.SESFaults{Throttle: 0.2, ServerError: 0.1, DropAfterAccept: 0.1})

	ids := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			code, body := e.postMessage(fmt.Sprintf(`{"contact_id":"c_fault_%03d","template_id":"welcome","idempotency_key":"fault-%03d"}`, i, i))
			if code != 202 {
				t.Errorf("POST %d = %d %v", i, code, body)
				return
			}
			ids[i] = body["send_id"].(string)
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// With a function on SES's events in the catalog, a send whose answer
	// was lost must end settled from SES's Send/Delivery events; without
	// one it stays in doubt.
	resolves := false
	for _, f := range catalog.Load().Functions {
		for _, r := range f.Events {
			resolves = resolves || r.Source == "aws.ses"
		}
	}
	settled := func(r map[string]any) bool {
		switch r["state"] {
		case mail.Sent, mail.Delivered, mail.Failed, mail.Skipped, mail.Bounced, mail.Complaint, mail.Rejected:
			return true
		case mail.InDoubt:
			// A 5xx is re-checked after the window; a lost answer waits
			// for SES's events when something consumes them.
			return r["in_doubt_cause"] != mail.CauseServerError && !resolves
		}
		return false
	}
	recs := make([]map[string]any, n)
	for i, id := range ids {
		recs[i] = e.waitSend(id, settled)
	}

	reqs := e.platform.SESRequests()
	faults := map[string]int{}
	calls := map[string][]runner.SESRequest{}
	for _, r := range reqs {
		faults[r.Fault]++
		calls[r.Tags[mail.TagSendID]] = append(calls[r.Tags[mail.TagSendID]], r)
	}
	if faults["throttle"] == 0 || faults["server_error"] == 0 || faults["drop_after_accept"] == 0 {
		t.Fatalf("faults injected %v: the test did not exercise them", faults)
	}
	states := map[string]int{}
	for i, id := range ids {
		rec := recs[i]
		states[fmt.Sprint(rec["state"], "/", rec["in_doubt_cause"])]++
		var acc []runner.SESRequest
		for j, c := range calls[id] {
			if c.Accepted {
				acc = append(acc, c)
				if j != len(calls[id])-1 {
					t.Errorf("%s: called SES again after it accepted the message: %+v", id, calls[id])
				}
			}
		}
		switch {
		case len(acc) > 1:
			t.Errorf("%s accepted %d times", id, len(acc))
		case len(acc) == 0 && rec["state"] != mail.Failed && rec["state"] != mail.Skipped:
			t.Errorf("%s lost: never accepted, record %v, calls %+v", id, rec, calls[id])
		case len(acc) == 0 && rec["reason"] == "":
			t.Errorf("%s %s without a reason", id, rec["state"])
		case acc[0].ResponseLost:
			// SES took it and the answer was lost: settled from SES's
			// events (or in doubt while nothing consumes them), never resent.
			want := rec["state"] == mail.Sent || rec["state"] == mail.Delivered
			if !resolves {
				want = want || rec["state"] == mail.InDoubt
			}
			if !want || (rec["state"] != mail.InDoubt && rec["message_id"] != acc[0].MessageID) {
				t.Errorf("%s: answer lost, record %v (SES message %s)", id, rec, acc[0].MessageID)
			}
		default:
			if rec["state"] != mail.Sent && rec["state"] != mail.Delivered {
				t.Errorf("%s accepted but recorded %v", id, rec)
			}
			if rec["message_id"] != acc[0].MessageID {
				t.Errorf("%s: record message id %v, SES said %s", id, rec["message_id"], acc[0].MessageID)
			}
		}
	}
	t.Logf("%d SendEmail calls for %d sends; faults %v; final records (state/in-doubt cause) %v; settled from SES events: %v", len(reqs), n, faults, states, resolves)
}

// TestPacingNeverExceedsTheRate sends 200 messages at a configured 20/s
// and checks, from the times the SES proxy received each call, that no
// second saw more than 20 and that the sends spread over at least ten.
func TestPacingNeverExceedsTheRate(t *testing.T) {
	const n, rate = 200, 20
	e := sendEnv(t, rate, 0)
	var ps []*contact.Profile
	for i := range n {
		ps = append(ps, &contact.Profile{ID: fmt.Sprintf("c_pace_%03d", i), Email: e.addr(fmt.Sprintf("p%03d", i)), Status: "pending"})
	}
	e.seedContacts(ps...)
	ids := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			code, body := e.postMessage(fmt.Sprintf(`{"contact_id":"c_pace_%03d","template_id":"double-opt-in"}`, i))
			if code != 202 {
				t.Errorf("POST %d = %d %v", i, code, body)
				return
			}
			ids[i] = body["send_id"].(string)
		})
	}
	wg.Wait()
	for _, id := range ids {
		e.waitSend(id, inState(mail.Sent, mail.Delivered))
	}
	perSecond := map[int64]int{}
	var first, last time.Time
	for _, r := range e.platform.SESRequests() {
		perSecond[r.At.Unix()]++
		if first.IsZero() || r.At.Before(first) {
			first = r.At
		}
		if r.At.After(last) {
			last = r.At
		}
	}
	secs := make([]int64, 0, len(perSecond))
	for s := range perSecond {
		secs = append(secs, s)
	}
	sort.Slice(secs, func(i, j int) bool { return secs[i] < secs[j] })
	var counts []int
	for _, s := range secs {
		counts = append(counts, perSecond[s])
		if perSecond[s] > rate {
			t.Errorf("second %d: %d SendEmail calls, limit %d", s, perSecond[s], rate)
		}
	}
	// n/rate seconds hold the sends; the first may start late in its
	// second, so the span from first to last call is at least n/rate-1 s.
	span := last.Sub(first)
	if len(secs) < n/rate || span < time.Duration(n/rate-1)*time.Second-time.Second {
		t.Errorf("%d sends at %d/s took %s over %d seconds", n, rate, span, len(secs))
	}
	t.Logf("%d sends over %d seconds (%s from first to last call): %.1f/s of a %d/s limit; calls per second %v",
		n, len(secs), span.Round(time.Millisecond), float64(n)/float64(len(secs)), rate, counts)
}

func TestTemplatesThroughTheAdminAPI(t *testing.T) {
	e := sendEnv(t, 20, 0)
	code, body := e.admin("/v1/templates")
	if code != 200 || len(body["templates"].([]any)) < 3 {
		t.Fatalf("GET /v1/templates = %d %v", code, body)
	}
	// One validator: a template that does not compile is refused with
	// every problem and where it is.
	bad := `{"name":"Promo","kind":"marketing","topic":"newsletter","from":{"address":"news@example.com"},
	  "subject":"Hi {{ contact.first_name }}","html":"<p>Hello</p>\n<p>{% if traits.plan %}pro</p>"}`
	code, body = e.adminDo("PUT", "/v1/templates/promo", bad)
	if code != 422 {
		t.Fatalf("invalid template = %d %v", code, body)
	}
	problems := body["error"].(map[string]any)["problems"].([]any)
	var where []string
	for _, p := range problems {
		m := p.(map[string]any)
		where = append(where, fmt.Sprintf("%v %v:%v %v", m["field"], m["line"], m["column"], m["message"]))
	}
	joined := strings.Join(where, "\n")
	for _, want := range []string{"subject 1:7 unknown field contact.first_name", "html 2:4 block is not closed"} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems lack %q:\n%s", want, joined)
		}
	}
	good := `{"name":"Promo","kind":"marketing","topic":"newsletter","from":{"name":"Leadflow","address":"news@example.com"},
	  "subject":"Hi {{ traits.first_name | default: 'there' }}",
	  "html":"<p>Hello {{ traits.first_name }}</p><p>{{ sender.address }} <a href=\"{{ unsubscribe_url }}\">Unsubscribe</a></p>"}`
	code, body = e.adminDo("PUT", "/v1/templates/promo", good)
	if code != 201 || body["source"] != "api" || len(body["warnings"].([]any)) == 0 {
		t.Fatalf("PUT = %d %v (a trait without a default is a warning)", code, body)
	}
	// Preview for a real contact, with sample (dead) links.
	e.seedContacts(e.subscribed("c_send_dee", "dee"))
	code, body = e.adminDo("POST", "/v1/templates/promo/preview", `{"contact_id":"c_send_dee"}`)
	if code != 200 || body["subject"] != "Hi Dee" || !strings.Contains(body["html"].(string), "https://example.com/u/sample-unsubscribe-token") {
		t.Errorf("preview = %d %v", code, body)
	}
	if code, body = e.adminDo("POST", "/v1/templates/promo/preview", ""); code != 200 || body["subject"] != "Hi Alex" {
		t.Errorf("sample preview = %d %v", code, body)
	}
	// Overriding a repo template, then deleting the override restores it.
	code, body = e.admin("/v1/templates/welcome")
	if code != 200 || body["source"] != "repo" {
		t.Fatalf("GET welcome = %d %v", code, body)
	}
	body["subject"] = "Welcome aboard"
	raw, _ := jsonMarshal(body)
	if code, body = e.adminDo("PUT", "/v1/templates/welcome", raw); code != 201 || body["overrides_repo"] != true {
		t.Fatalf("override = %d %v", code, body)
	}
	if code, body = e.adminDo("DELETE", "/v1/templates/welcome", ""); code != 200 || body["repo_template_restored"] != true {
		t.Errorf("delete override = %d %v", code, body)
	}
	if code, _ = e.adminDo("DELETE", "/v1/templates/welcome", ""); code != 409 {
		t.Errorf("deleting a repo template = %d", code)
	}
	if code, _ = e.adminDo("POST", "/v1/templates/nope/test", `{"to":"qa@example.com"}`); code != 404 {
		t.Errorf("test send of an unknown template = %d", code)
	}
	if code, _ = e.adminDo("POST", "/v1/templates/promo/test", `{"to":"not an address"}`); code != 400 {
		t.Errorf("test send to a bad address = %d", code)
	}
}

func jsonMarshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// One idempotency key, one request body, one outcome (issue 8.8): calls with
// the same key for two templates, sent at once, used to both get 202 with
// the same send id while only the last template was kept. Now exactly one
// wins; every other body is refused with 409, and the winner's body sent
// again is the same 202.
func TestIdempotencyKeyRaceHasOneOutcome(t *testing.T) {
	e := sendEnv(t, 20, 0)
	ada := e.subscribed("c_send_race", "ada")
	e.seedContacts(ada)

	templates := []string{"welcome", "lead-nurture-1"}
	const rounds = 4
	codes := make([]int, rounds*len(templates))
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = e.postMessage(fmt.Sprintf(`{"contact_id":"c_send_race","template_id":%q,"idempotency_key":"race-1"}`, templates[i%len(templates)]))
		}()
	}
	wg.Wait()
	won := map[string]bool{}
	for i, c := range codes {
		switch c {
		case 202:
			won[templates[i%len(templates)]] = true
		case 409:
		default:
			t.Fatalf("call %d answered %d", i, c)
		}
	}
	if len(won) != 1 {
		t.Fatalf("templates accepted for one key: %v (codes %v)", won, codes)
	}
	var winner string
	for w := range won {
		winner = w
	}
	rec := e.waitSend(mail.APISendID("race-1"), inState(mail.Sent, mail.Delivered))
	if rec["template_id"] != winner {
		t.Errorf("sent template %v, but %s was the accepted one", rec["template_id"], winner)
	}
}
