package ingestfn_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/shared/fn/ingestfn"
	"github.com/leadflow/leadflow/shared/form"
	"github.com/leadflow/leadflow/shared/ingest"
	"github.com/leadflow/leadflow/shared/site"
	"github.com/leadflow/leadflow/shared/tracking"
)

type formTestSites map[string]site.Site

func (s formTestSites) GetSite(_ context.Context, key string) (site.Site, error) {
	if st, ok := s[key]; ok {
		return st, nil
	}
	return site.Site{}, site.ErrNotFound
}

type formTestQueue struct {
	mu     sync.Mutex
	bodies []string
}

func (q *formTestQueue) Enqueue(_ context.Context, body string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.bodies = append(q.bodies, body)
	return nil
}

type formTestForms map[string]form.Form

func (f formTestForms) GetForm(_ context.Context, id string) (form.Form, error) {
	if x, ok := f[id]; ok {
		return x, nil
	}
	return form.Form{}, form.ErrNotFound
}

// formTestLimiter allows n hits per key.
type formTestLimiter struct {
	mu sync.Mutex
	n  int
	m  map[string]int
}

func (l *formTestLimiter) Allow(_ context.Context, key string, limit int, _ time.Duration, _ time.Time) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m[key] >= min(limit, l.n) {
		return false, nil
	}
	l.m[key]++
	return true, nil
}

func formHandler(t *testing.T, limit int) (*ingestfn.Handler, *formTestQueue) {
	t.Helper()
	at := time.Date(2026, 11, 24, 9, 0, 30, 0, time.UTC)
	q := &formTestQueue{}
	sites := formTestSites{"site_key_1": {Key: "site_key_1", Name: "s", AllowedOrigins: []string{"https://www.example.com"}}}
	svc := ingest.New(sites, q, time.Minute, func() time.Time { return at })
	forms := formTestForms{
		"news": {ID: "news", Name: "News", SiteKey: "site_key_1", ThankYouURL: "https://www.example.com/thanks",
			Fields:      []form.Field{{Name: "email", Type: form.TypeEmail, Label: "Email", Required: true}, {Name: "name", Type: form.TypeText, Label: "Name", Required: true, Trait: "first_name"}},
			DoubleOptIn: true, Consent: &form.Consent{Purpose: "news", Text: "Yes please"}},
		// Single opt-in, as the shipped demo-request form: open to any page
		// ("demo"), or bound to the site ("demo-site").
		"demo": {ID: "demo", Name: "Demo", ThankYouURL: "https://www.example.com/thanks",
			Fields:  []form.Field{{Name: "email", Type: form.TypeEmail, Label: "Email", Required: true}, {Name: "marketing", Type: form.TypeCheckbox, Label: "News"}},
			Consent: &form.Consent{Purpose: "marketing", Text: "Send me news", Field: "marketing"}},
		"demo-site": {ID: "demo-site", Name: "Demo", SiteKey: "site_key_1", ThankYouURL: "https://www.example.com/thanks",
			Fields:  []form.Field{{Name: "email", Type: form.TypeEmail, Label: "Email", Required: true}, {Name: "marketing", Type: form.TypeCheckbox, Label: "News"}},
			Consent: &form.Consent{Purpose: "marketing", Text: "Send me news", Field: "marketing"}},
	}
	log := slog.New(slog.DiscardHandler)
	fs, err := ingest.NewForms(svc, forms, &formTestLimiter{n: limit, m: map[string]int{}}, ingest.DefaultFormLimits, []byte(strings.Repeat("k", ingest.MinLimitSecret)), log)
	if err != nil {
		t.Fatal(err)
	}
	return ingestfn.NewWith(svc, log).WithForms(fs), q
}

// formEvent is a POST as HTTP API delivers it: lower-case headers, and a
// urlencoded body base64-encoded (it is not a text type to API Gateway).
func formEvent(method, id, contentType, body string, headers map[string]string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: method + " /v1/forms/{formId}", RawPath: "/v1/forms/" + id,
		Headers:        map[string]string{"content-type": contentType, "referer": "https://www.example.com/newsletter"},
		PathParameters: map[string]string{"formId": id},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "req-form-1", RouteKey: method + " /v1/forms/{formId}",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: "/v1/forms/" + id, SourceIP: "198.51.100.23", UserAgent: "Mozilla/5.0"},
		},
	}
	for k, v := range headers {
		ev.Headers[strings.ToLower(k)] = v
	}
	if strings.HasPrefix(contentType, "application/json") {
		ev.Body = body
	} else {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(body)), true
	}
	return ev
}

func TestFormHTMLSubmissionRedirects(t *testing.T) {
	h, q := formHandler(t, 5)
	ev := formEvent("POST", "news", "application/x-www-form-urlencoded", "email=Ada%40Example.com&name=Ada",
		map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Origin": "https://www.example.com"})
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 303 || resp.Headers["Location"] != "https://www.example.com/thanks?status=pending" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Headers)
	}
	if len(q.bodies) != 1 {
		t.Fatalf("%d queue messages", len(q.bodies))
	}
	b, _ := tracking.DecodeBatch(q.bodies[0])
	if b.SiteKey != "site_key_1" || b.RequestID != "req-form-1" || len(b.Messages) != 2 || b.Messages[1].Context.Leadflow.Consent.IP != "198.51.100.0" ||
		b.Messages[1].Context.Leadflow.Consent.Page != "https://www.example.com/newsletter" {
		t.Errorf("batch %+v", b)
	}
}

func TestFormScriptSubmissionGetsJSON(t *testing.T) {
	h, _ := formHandler(t, 5)
	for _, ev := range []events.APIGatewayV2HTTPRequest{
		formEvent("POST", "news", "application/json", `{"email":"ada@example.com","name":"Ada"}`, map[string]string{"Origin": "https://www.example.com"}),
		formEvent("POST", "news", "application/x-www-form-urlencoded", "email=ada@example.com&name=Ada", map[string]string{"Accept": "application/json"}),
	} {
		resp, _ := h.Handle(context.Background(), ev)
		var body map[string]any
		json.Unmarshal([]byte(resp.Body), &body)
		if resp.StatusCode != 200 || body["success"] != true || body["status"] != "pending" || body["redirect"] != "https://www.example.com/thanks?status=pending" {
			t.Errorf("%d %s", resp.StatusCode, resp.Body)
		}
		if o := ev.Headers["origin"]; o != "" && resp.Headers["Access-Control-Allow-Origin"] != o {
			t.Errorf("ACAO %q", resp.Headers["Access-Control-Allow-Origin"])
		}
	}
}

func TestFormErrors(t *testing.T) {
	h, q := formHandler(t, 5)
	html := map[string]string{"Accept": "text/html"}
	tests := []struct {
		name   string
		ev     events.APIGatewayV2HTTPRequest
		status int
		code   string // JSON answers
		page   string // HTML answers: a part of the page
	}{
		{"missing field, script", formEvent("POST", "news", "application/json", `{"email":"ada@example.com"}`, nil), 400, "invalid_submission", ""},
		{"missing field, page", formEvent("POST", "news", "application/x-www-form-urlencoded", "email=ada@example.com", html), 400, "", "Name is required"},
		{"script in an invalid email is escaped", formEvent("POST", "news", "application/x-www-form-urlencoded", "name=A&email=%3Cscript%3Ealert(1)%3C%2Fscript%3E", html), 400, "", "&lt;script&gt;"},
		{"unknown form", formEvent("POST", "nope", "application/json", `{"email":"ada@example.com"}`, nil), 404, "unknown_form", ""},
		{"refused origin", formEvent("POST", "news", "application/json", `{"email":"ada@example.com","name":"A"}`, map[string]string{"Origin": "https://evil.example"}), 403, "origin_not_allowed", ""},
		{"unsupported type", formEvent("POST", "news", "application/xml", `<a/>`, map[string]string{"Accept": "application/json"}), 415, "unsupported_media_type", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := h.Handle(context.Background(), tc.ev)
			if err != nil || resp.StatusCode != tc.status {
				t.Fatalf("%d %v %s", resp.StatusCode, err, resp.Body)
			}
			if tc.code != "" {
				var body struct {
					Error struct {
						Code    string            `json:"code"`
						Message string            `json:"message"`
						Fields  []form.FieldError `json:"fields"`
					} `json:"error"`
				}
				if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.Error.Code != tc.code || body.Error.Message == "" {
					t.Errorf("body %s", resp.Body)
				}
				if tc.code == "invalid_submission" && (len(body.Error.Fields) != 1 || body.Error.Fields[0].Field != "name") {
					t.Errorf("fields %+v", body.Error.Fields)
				}
			}
			if tc.page != "" {
				if !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") || !strings.Contains(resp.Body, tc.page) ||
					strings.Contains(resp.Body, "<script>") || !strings.Contains(resp.Body, `href="https://www.example.com/newsletter"`) {
					t.Errorf("page %v\n%s", resp.Headers, resp.Body)
				}
			}
			if o := tc.ev.Headers["origin"]; o != "" && resp.Headers["Access-Control-Allow-Origin"] != "" {
				t.Errorf("a refused origin must not be allowed to read the answer")
			}
		})
	}
	if len(q.bodies) != 0 {
		t.Errorf("%d messages queued by rejected fills", len(q.bodies))
	}
}

func TestFormRateLimitAnswers429(t *testing.T) {
	h, q := formHandler(t, 1)
	ev := formEvent("POST", "news", "application/json", `{"email":"ada@example.com","name":"Ada"}`, nil)
	if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != 200 {
		t.Fatalf("first fill: %d %s", resp.StatusCode, resp.Body)
	}
	resp, _ := h.Handle(context.Background(), ev)
	if resp.StatusCode != 429 || resp.Headers["Retry-After"] != "30" || !strings.Contains(resp.Body, `"rate_limited"`) {
		t.Fatalf("%d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	if len(q.bodies) != 1 {
		t.Errorf("%d queued", len(q.bodies))
	}
}

func TestFormPreflight(t *testing.T) {
	h, _ := formHandler(t, 5)
	for origin, allowed := range map[string]bool{"https://www.example.com": true, "https://evil.example": false} {
		resp, _ := h.Handle(context.Background(), formEvent("OPTIONS", "news", "", "", map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"}))
		if resp.StatusCode != 204 || (resp.Headers["Access-Control-Allow-Origin"] == origin) != allowed {
			t.Errorf("%s: %d %v", origin, resp.StatusCode, resp.Headers)
		}
		if allowed && !strings.Contains(resp.Headers["Access-Control-Allow-Headers"], "Content-Type") {
			t.Errorf("allow headers %v", resp.Headers)
		}
	}
}

// A fill that does not come from the form's own pages cannot grant consent:
// it runs as a double opt-in (the address's owner confirms by mail), and the
// page that sent it gets no CORS grant, so its script cannot read the answer.
// Only a form bound to a site, posted from one of the site's origins, may
// subscribe without confirmation.
func TestFormConsentOnlyFromOwnPages(t *testing.T) {
	body := `{"email":"victim@example.com","marketing":"on"}`
	for _, tc := range []struct {
		name, form, origin string
		status             int
		want               string // answered status; "" for a refusal
		grant              bool
	}{
		{"forged cross-origin post to an open form", "demo", "https://evil.example", 200, "pending", false},
		{"server post to an open form", "demo", "", 200, "pending", false},
		{"own page of an open form", "demo", "https://www.example.com", 200, "pending", false},
		{"bound form from its site", "demo-site", "https://www.example.com", 200, "subscribed", true},
		{"bound form from a server", "demo-site", "", 200, "pending", false},
		{"bound form from elsewhere", "demo-site", "https://evil.example", 403, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, q := formHandler(t, 5)
			headers := map[string]string{}
			if tc.origin != "" {
				headers["Origin"] = tc.origin
			}
			resp, _ := h.Handle(context.Background(), formEvent("POST", tc.form, "application/json", body, headers))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, resp.Body)
			}
			if got := resp.Headers["Access-Control-Allow-Origin"] != ""; got != tc.grant {
				t.Errorf("CORS grant %v, want %v (%v)", got, tc.grant, resp.Headers)
			}
			if tc.want == "" {
				if len(q.bodies) != 0 {
					t.Errorf("a refused fill was queued")
				}
				return
			}
			var ans map[string]any
			json.Unmarshal([]byte(resp.Body), &ans)
			if ans["status"] != tc.want {
				t.Errorf("answered %v, want %s", ans["status"], tc.want)
			}
			if len(q.bodies) != 1 {
				t.Fatalf("queued %d bodies", len(q.bodies))
			}
			// What the pipeline is told decides the contact's subscription.
			doi := strings.Contains(q.bodies[0], `"doubleOptIn":true`)
			if doi != (tc.want == "pending") {
				t.Errorf("queued double opt-in %v, want %v: %s", doi, tc.want == "pending", q.bodies[0])
			}
		})
	}
}

func TestFormPreflightOnlyForOwnPages(t *testing.T) {
	h, _ := formHandler(t, 5)
	for _, id := range []string{"demo", "missing"} {
		resp, _ := h.Handle(context.Background(), formEvent("OPTIONS", id, "", "", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}))
		if resp.Headers["Access-Control-Allow-Origin"] != "" {
			t.Errorf("%s: preflight granted %v", id, resp.Headers)
		}
	}
}

// Unmatched routes answer in the API's error shape, not API Gateway's own
// {"message":"Not Found"} (issue 8.11).
func TestUnmatchedRouteAnswersTheErrorShape(t *testing.T) {
	h, _ := formHandler(t, 5)
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "$default", RawPath: "/v1/nope",
		RequestContext: events.APIGatewayV2HTTPRequestContext{RouteKey: "$default", HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/v1/nope"}}}
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if resp.StatusCode != 404 || json.Unmarshal([]byte(resp.Body), &body) != nil || body.Error.Code != "not_found" || !strings.Contains(body.Error.Message, "/v1/nope") {
		t.Errorf("%d %s", resp.StatusCode, resp.Body)
	}
}

// The error page's back link is the browser's Referer, which a hostile page
// controls: a quote in it must not end the href attribute.
func TestFormErrorPageEscapesTheBackLink(t *testing.T) {
	h, _ := formHandler(t, 5)
	ev := formEvent("POST", "news", "application/x-www-form-urlencoded", "email=ada@example.com",
		map[string]string{"Accept": "text/html", "Referer": `https://www.example.com/x?a="><script>alert(1)</script>`})
	resp, err := h.Handle(context.Background(), ev)
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("%d %v %s", resp.StatusCode, err, resp.Body)
	}
	if strings.Contains(resp.Body, `"><script>`) || !strings.Contains(resp.Body, `href="https://www.example.com/x?a=&#34;&gt;&lt;script&gt;`) {
		t.Errorf("back link not escaped:\n%s", resp.Body)
	}
}
