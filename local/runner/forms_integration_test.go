package runner_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// formsPost posts to the local API without following redirects, so a test
// sees the 303 a browser would follow.
func (e *env) formsPost(path, contentType, body string, headers map[string]string) (int, http.Header, string) {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.api.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range headers {
		req.Header.Set(k, v)
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

// formsJSON posts a script's JSON submission and decodes the answer.
func (e *env) formsJSON(formID, body string, headers map[string]string) (int, map[string]any, http.Header) {
	e.t.Helper()
	code, h, raw := e.formsPost("/v1/forms/"+formID, "application/json", body, headers)
	var out map[string]any
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		e.t.Fatalf("POST /v1/forms/%s: answer is not JSON: %d %s", formID, code, raw)
	}
	return code, out, h
}

// formsContact waits for the contact with this email to have at least n
// events, and returns it with its events.
func (e *env) formsContact(email string, n int) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if code, body := e.admin("/v1/contacts?email=" + url.QueryEscape(email)); code == 200 {
			if list, _ := body["contacts"].([]any); len(list) == 1 {
				id := list[0].(map[string]any)["id"].(string)
				if code, c := e.admin("/v1/contacts/" + id); code == 200 {
					if evs, _ := c["events"].([]any); len(evs) >= n {
						return c
					}
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("contact %s with %d events never appeared", email, n)
	return nil
}

// formsNoContact asserts that nothing was stored for an email.
func (e *env) formsNoContact(email string) {
	e.t.Helper()
	if code, body := e.admin("/v1/contacts?email=" + url.QueryEscape(email)); code != 200 || len(body["contacts"].([]any)) != 0 {
		e.t.Errorf("a contact exists for %s: %d %v", email, code, body)
	}
}

func formsEvent(t *testing.T, c map[string]any, event string) map[string]any {
	t.Helper()
	for _, ev := range c["events"].([]any) {
		m := ev.(map[string]any)
		if m["event"] == event || (event == "" && m["type"] == "identify") {
			return m
		}
	}
	t.Fatalf("no %q event in %v", event, c["events"])
	return nil
}

func formsStrs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestHTMLFormFillBecomesAPendingLead(t *testing.T) {
	e := newEnv(t)
	body := url.Values{
		"email": {" Ada@Example.COM "}, "first_name": {"Ada"}, "consent": {"on"},
		"utm_source": {"blog"}, "utm_medium": {"referral"}, "website_url": {""},
	}.Encode()
	code, h, raw := e.formsPost("/v1/forms/newsletter", "application/x-www-form-urlencoded", body, map[string]string{
		"Accept":  "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
		"Origin":  "https://www.example.com",
		"Referer": "https://www.example.com/blog/launch#comments",
	})
	if code != 303 || h.Get("Location") != "https://example.com/newsletter/thanks?status=pending" {
		t.Fatalf("POST = %d Location %q %s", code, h.Get("Location"), raw)
	}

	c := e.formsContact("ada@example.com", 2)
	if c["email"] != "ada@example.com" || c["status"] != "pending" {
		t.Errorf("email %v status %v", c["email"], c["status"])
	}
	if traits, _ := c["traits"].(map[string]any); traits["first_name"] != "Ada" || traits["email"] != "ada@example.com" {
		t.Errorf("traits %v", c["traits"])
	}
	if got := formsStrs(c["tags"]); len(got) != 1 || got[0] != "newsletter" {
		t.Errorf("tags %v", got)
	}
	if got := formsStrs(c["lists"]); len(got) != 1 || got[0] != "newsletter" {
		t.Errorf("lists %v", got)
	}
	consents, _ := c["consents"].([]any)
	if len(consents) != 1 {
		t.Fatalf("consents %v", c["consents"])
	}
	cs := consents[0].(map[string]any)
	if cs["purpose"] != "newsletter" || !strings.HasPrefix(cs["text"].(string), "Yes, send me the monthly newsletter") ||
		cs["page"] != "https://www.example.com/blog/launch" || cs["ip"] != "127.0.0.0" || cs["source"] != "form:newsletter" || cs["at"] == "" {
		t.Errorf("consent %v (page without fragment, IP truncated)", cs)
	}
	if ft, _ := c["first_touch"].(map[string]any); ft["source"] != "blog" || ft["medium"] != "referral" {
		t.Errorf("first_touch %v", c["first_touch"])
	}
	ev := formsEvent(t, c, "Form Submitted")
	props := ev["properties"].(map[string]any)
	if props["form_id"] != "newsletter" || props["form_name"] != "Newsletter sign-up" || props["consent"] != true {
		t.Errorf("properties %v", props)
	}
	if _, leaked := props["email"]; leaked {
		t.Error("the email is a trait, not an event property")
	}
	if ip := ev["context"].(map[string]any)["ip"]; ip != "127.0.0.0" {
		t.Errorf("event ip %v", ip)
	}
}

// The shipped demo-request form is bound to no site, so nothing tells its own
// pages from a forged post: a fill from anywhere (here the attack of issue 8,
// a cross-origin script) runs as a double opt-in. The contact stays pending,
// with no marketing, and the script cannot read the answer.
func TestForgedFormFillCannotSubscribe(t *testing.T) {
	e := newEnv(t)
	code, body, h := e.formsJSON("demo-request", `{"email":"victim@example.com","first_name":"V","company":"C","marketing":"on"}`,
		map[string]string{"Origin": "https://evil.example"})
	if code != 200 || body["status"] != "pending" {
		t.Fatalf("POST = %d %v", code, body)
	}
	if got := h.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("a page elsewhere got a CORS grant: %q", got)
	}
	if c := e.formsContact("victim@example.com", 2); c["status"] != "pending" {
		t.Errorf("status %v, want pending until the address's owner confirms", c["status"])
	}
}

// bindForm ties a repo form to the test site through the admin API, as a
// deployer binds a shipped form to their website.
func (e *env) bindForm(id string) {
	e.t.Helper()
	_, f := e.admin("/v1/forms/" + id)
	f["site_key"] = siteKey
	for _, k := range []string{"source", "created_at", "updated_at"} {
		delete(f, k)
	}
	raw, _ := json.Marshal(f)
	if code, body := e.adminDo("PUT", "/v1/forms/"+id, string(raw)); code != 200 && code != 201 {
		e.t.Fatalf("bind form %s = %d %v", id, code, body)
	}
}

func TestScriptFormFillSubscribes(t *testing.T) {
	e := newEnv(t)
	e.bindForm("demo-request")
	code, body, h := e.formsJSON("demo-request", `{"email":"grace@navy.example","first_name":"Grace","last_name":"Hopper",
		"company":"Navy","team_size":"51-200","phone":"+1 202 555 0100","message":"<b>COBOL</b> please","marketing":true,
		"page_url":"https://www.example.com/demo"}`, map[string]string{"Origin": "https://allowed.example"})
	if code != 200 || body["success"] != true || body["status"] != "subscribed" || body["redirect"] != "https://example.com/demo/thanks" {
		t.Fatalf("POST = %d %v", code, body)
	}
	if h.Get("Access-Control-Allow-Origin") != "https://allowed.example" {
		t.Errorf("a script on an allowed page must read the answer: ACAO %q", h.Get("Access-Control-Allow-Origin"))
	}
	c := e.formsContact("grace@navy.example", 2)
	traits, _ := c["traits"].(map[string]any)
	for k, v := range map[string]string{"first_name": "Grace", "last_name": "Hopper", "company": "Navy", "team_size": "51-200", "phone": "+1 202 555 0100"} {
		if traits[k] != v {
			t.Errorf("trait %s = %v, want %v", k, traits[k], v)
		}
	}
	if c["status"] != "subscribed" || strings.Join(formsStrs(c["tags"]), ",") != "demo-request,sales-lead" || strings.Join(formsStrs(c["lists"]), ",") != "product-news" {
		t.Errorf("status %v tags %v lists %v", c["status"], c["tags"], c["lists"])
	}
	props := formsEvent(t, c, "Form Submitted")["properties"].(map[string]any)
	// Free text is kept as typed (escaping is the reader's job); mapped fields
	// and the phone stay out of the event.
	if props["message"] != "<b>COBOL</b> please" || props["phone"] != nil || props["company"] != nil {
		t.Errorf("properties %v", props)
	}
	if cs := c["consents"].([]any)[0].(map[string]any); cs["purpose"] != "marketing" || cs["page"] != "https://www.example.com/demo" {
		t.Errorf("consent %v", cs)
	}
}

func TestFormFillMergesOntoTheVisitor(t *testing.T) {
	e := newEnv(t)
	e.track(`{"batch":[{"type":"page","anonymousId":"visitor-f","context":{"page":{"url":"https://www.example.com/pricing","path":"/pricing"}}}]}`)
	visitor := e.waitContact("visitor-f", 1)

	code, h, raw := e.formsPost("/v1/forms/newsletter", "multipart/form-data; boundary=b0undary",
		"--b0undary\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nlin@example.com\r\n"+
			"--b0undary\r\nContent-Disposition: form-data; name=\"consent\"\r\n\r\non\r\n"+
			"--b0undary\r\nContent-Disposition: form-data; name=\"anonymous_id\"\r\n\r\nvisitor-f\r\n--b0undary--\r\n",
		map[string]string{"Accept": "text/html"})
	if code != 303 {
		t.Fatalf("POST = %d %v %s", code, h, raw)
	}
	c := e.waitContact("visitor-f", 3)
	if c["id"] != visitor["id"] || c["email"] != "lin@example.com" || c["page_views"] != float64(1) || c["status"] != "pending" {
		t.Errorf("contact %v email %v page_views %v status %v; want the visitor's contact %v", c["id"], c["email"], c["page_views"], c["status"], visitor["id"])
	}
	if byEmail := e.formsContact("lin@example.com", 3); byEmail["id"] != visitor["id"] {
		t.Errorf("by email: %v, want %v", byEmail["id"], visitor["id"])
	}
}

func TestDoubleSubmitCountsOnce(t *testing.T) {
	e := newEnv(t)
	body := "email=mo%40example.com&first_name=Mo&consent=on"
	for i := 0; i < 2; i++ { // a double click
		if code, _, raw := e.formsPost("/v1/forms/newsletter", "application/x-www-form-urlencoded", body, nil); code != 303 {
			t.Fatalf("POST %d = %d %s", i, code, raw)
		}
	}
	e.settle()
	c := e.formsContact("mo@example.com", 2)
	if c["event_count"] != float64(2) || len(c["events"].([]any)) != 2 || len(c["consents"].([]any)) != 1 {
		t.Errorf("event_count %v events %d consents %d; want one fill (identify + track)", c["event_count"], len(c["events"].([]any)), len(c["consents"].([]any)))
	}
}

func TestHoneypotAndRejectedFormFillsStoreNothing(t *testing.T) {
	e := newEnv(t)
	// A form tied to the test site takes the site's allowed origins.
	if code, resp := e.adminDo("PUT", "/v1/forms/site-only", `{"name":"Site only","site_key":"`+siteKey+`",
		"fields":[{"name":"email","type":"email","required":true}],"thank_you_url":"https://allowed.example/thanks"}`); code != 201 {
		t.Fatalf("PUT form = %d %v", code, resp)
	}
	html := map[string]string{"Accept": "text/html", "Referer": "https://www.example.com/newsletter"}
	enc := "application/x-www-form-urlencoded"

	// The honeypot: answered exactly like the real thing.
	real := url.Values{"email": {"real@example.com"}, "consent": {"on"}}
	_, realH, _ := e.formsPost("/v1/forms/newsletter", enc, real.Encode()+"&website_url=", html)
	code, h, _ := e.formsPost("/v1/forms/newsletter", enc, "email=bot%40spam.example&consent=on&website_url=http%3A%2F%2Fspam.example", html)
	if code != 303 || h.Get("Location") != realH.Get("Location") {
		t.Errorf("honeypot answer %d %q, want the real answer's %q", code, h.Get("Location"), realH.Get("Location"))
	}
	code, body, _ := e.formsJSON("newsletter", `{"email":"bot2@spam.example","consent":true,"website_url":"x"}`, nil)
	if code != 200 || body["success"] != true || body["status"] != "pending" {
		t.Errorf("honeypot JSON answer %d %v", code, body)
	}

	tests := []struct {
		name, form, ct, body string
		headers              map[string]string
		status               int
		want                 string // in the page or the JSON error code
	}{
		{"missing required consent (page)", "newsletter", enc, "email=rejected%40example.com", html, 400, "Yes, send me the newsletter must be ticked"},
		{"invalid email (page)", "newsletter", enc, "email=rejected%40example&consent=on", html, 400, "is not an email address"},
		{"invalid email (script)", "newsletter", "application/json", `{"email":"rejected@","consent":true}`, nil, 400, "invalid_submission"},
		{"unknown field (script)", "newsletter", "application/json", `{"email":"rejected@example.com","consent":true,"admin":true}`, nil, 400, "invalid_submission"},
		{"markup in a trait", "newsletter", "application/json", `{"email":"rejected@example.com","consent":true,"first_name":"<script>alert(1)</script>"}`, nil, 400, "invalid_submission"},
		{"unknown form", "no-such-form", "application/json", `{"email":"rejected@example.com"}`, nil, 404, "unknown_form"},
		{"disallowed origin", "site-only", "application/json", `{"email":"rejected@example.com"}`, map[string]string{"Origin": "https://evil.example"}, 403, "origin_not_allowed"},
		{"file upload", "newsletter", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"email\"; filename=\"a.txt\"\r\n\r\nrejected@example.com\r\n--x--\r\n", map[string]string{"Accept": "application/json"}, 400, "invalid_body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, h, raw := e.formsPost("/v1/forms/"+tc.form, tc.ct, tc.body, tc.headers)
			if code != tc.status || !strings.Contains(raw, tc.want) {
				t.Errorf("%d %s, want %d with %q", code, raw, tc.status, tc.want)
			}
			if strings.HasPrefix(h.Get("Content-Type"), "text/html") && strings.Contains(raw, "<script>") {
				t.Error("the error page echoes markup unescaped")
			}
		})
	}
	e.settle()
	for _, email := range []string{"bot@spam.example", "bot2@spam.example", "rejected@example.com"} {
		e.formsNoContact(email)
	}
	e.formsContact("real@example.com", 2) // the real fill went through
}

func TestFormRateLimit(t *testing.T) {
	e := newEnv(t)
	// Counters are per minute: start well inside one so all six posts share it.
	if s := time.Now().Second(); s > 50 {
		time.Sleep(time.Duration(61-s) * time.Second)
	}
	for i := 0; i < 5; i++ {
		code, body, _ := e.formsJSON("demo-request", `{"email":"rl`+string(rune('a'+i))+`@example.com","first_name":"R","company":"L"}`, nil)
		if code != 200 {
			t.Fatalf("fill %d = %d %v", i+1, code, body)
		}
	}
	code, body, h := e.formsJSON("demo-request", `{"email":"rlz@example.com","first_name":"R","company":"L"}`, nil)
	if errObj, _ := body["error"].(map[string]any); code != 429 || errObj["code"] != "rate_limited" || h.Get("Retry-After") == "" {
		t.Fatalf("sixth fill from one IP = %d %v Retry-After %q", code, body, h.Get("Retry-After"))
	}
	// Another form has its own counter.
	if code, body, _ := e.formsJSON("newsletter", `{"email":"rl-other@example.com","consent":true}`, nil); code != 200 {
		t.Errorf("another form = %d %v", code, body)
	}
	e.settle()
	e.formsNoContact("rlz@example.com")
}

func TestAdminManagesForms(t *testing.T) {
	e := newEnv(t)
	sources := func() map[string]string {
		code, body := e.admin("/v1/forms")
		if code != 200 {
			t.Fatalf("GET /v1/forms = %d %v", code, body)
		}
		out := map[string]string{}
		for _, f := range body["forms"].([]any) {
			m := f.(map[string]any)
			out[m["id"].(string)] = m["source"].(string)
		}
		return out
	}
	if s := sources(); s["newsletter"] != "repo" || s["demo-request"] != "repo" {
		t.Fatalf("repo forms: %v", s)
	}

	webinar := `{"name":"Webinar","fields":[{"name":"email","type":"email","required":true},{"name":"name","type":"text","trait":"first_name"}],
	 "thank_you_url":"https://example.com/webinar/thanks","consent":{"purpose":"webinar","text":"Remind me of the webinar."},"tags":["webinar"]}`
	if code, body := e.adminDo("PUT", "/v1/forms/webinar", webinar); code != 201 || body["source"] != "api" || body["id"] != "webinar" || body["created_at"] == nil {
		t.Fatalf("create = %d %v", code, body)
	}
	code, body := e.adminDo("PUT", "/v1/forms/webinar", webinar)
	if code != 200 {
		t.Fatalf("update = %d %v", code, body)
	}
	// A GET, edit, PUT round trip is accepted as is.
	_, got := e.admin("/v1/forms/webinar")
	got["name"] = "Webinar (November)"
	raw, _ := json.Marshal(got)
	if code, body := e.adminDo("PUT", "/v1/forms/webinar", string(raw)); code != 200 || body["name"] != "Webinar (November)" {
		t.Fatalf("round trip = %d %v", code, body)
	}

	// An API form takes submissions at once.
	// (Bound to no site, its consent is confirmed by mail first.)
	if code, body, _ := e.formsJSON("webinar", `{"email":"web@example.com","name":"Wen"}`, nil); code != 200 || body["status"] != "pending" {
		t.Fatalf("submit to the API form = %d %v", code, body)
	}
	if c := e.formsContact("web@example.com", 2); strings.Join(formsStrs(c["tags"]), ",") != "webinar" || c["traits"].(map[string]any)["first_name"] != "Wen" {
		t.Errorf("contact %v", c)
	}

	for name, tc := range map[string]struct{ path, body, want string }{
		"invalid":       {"/v1/forms/broken", `{"name":"No email","fields":[{"name":"x","type":"text"}],"thank_you_url":"https://example.com/"}`, "exactly one email field"},
		"id mismatch":   {"/v1/forms/one", `{"id":"two","name":"x","fields":[{"name":"email","type":"email","required":true}],"thank_you_url":"https://example.com/"}`, "differs"},
		"unknown site":  {"/v1/forms/one", `{"name":"x","site_key":"no_such_site","fields":[{"name":"email","type":"email","required":true}],"thank_you_url":"https://example.com/"}`, "names no site"},
		"unknown key":   {"/v1/forms/one", `{"name":"x","thankYouUrl":"https://example.com/"}`, "unknown field"},
		"bad id in URL": {"/v1/forms/Bad%20Id", `{"name":"x","fields":[{"name":"email","type":"email","required":true}],"thank_you_url":"https://example.com/"}`, "id "},
	} {
		code, body := e.adminDo("PUT", tc.path, tc.body)
		errObj, _ := body["error"].(map[string]any)
		if msg, _ := errObj["message"].(string); code != 400 || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %v, want 400 mentioning %q", name, code, body, tc.want)
		}
	}

	// Override a repo form, then delete the override to restore it.
	override := `{"name":"Newsletter (API)","fields":[{"name":"email","type":"email","required":true}],"thank_you_url":"https://example.com/n"}`
	if code, body := e.adminDo("PUT", "/v1/forms/newsletter", override); code != 201 || body["overrides_repo"] != true {
		t.Fatalf("override = %d %v", code, body)
	}
	if s := sources(); s["newsletter"] != "api" || s["webinar"] != "api" || s["demo-request"] != "repo" {
		t.Errorf("sources after override: %v", s)
	}
	if code, body := e.adminDo("DELETE", "/v1/forms/newsletter", ""); code != 200 || body["repo_form_restored"] != true {
		t.Fatalf("delete override = %d %v", code, body)
	}
	if code, body := e.admin("/v1/forms/newsletter"); code != 200 || body["source"] != "repo" || body["name"] != "Newsletter sign-up" {
		t.Errorf("after deleting the override: %d %v", code, body)
	}
	code, body = e.adminDo("DELETE", "/v1/forms/newsletter", "")
	if errObj, _ := body["error"].(map[string]any); code != 409 || errObj["code"] != "repo_form" || !strings.Contains(errObj["message"].(string), "definitions/forms/newsletter.json") {
		t.Errorf("delete a repo form = %d %v", code, body)
	}
	if code, body := e.adminDo("DELETE", "/v1/forms/webinar", ""); code != 200 || body["repo_form_restored"] != false {
		t.Errorf("delete = %d %v", code, body)
	}
	for _, path := range []string{"/v1/forms/webinar"} {
		if code, _ := e.adminDo("DELETE", path, ""); code != 404 {
			t.Errorf("second delete = %d", code)
		}
		if code, _ := e.admin(path); code != 404 {
			t.Errorf("GET deleted = %d", code)
		}
	}
}
