package form

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime/multipart"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/tracking"
)

const (
	urlencoded = "application/x-www-form-urlencoded"
	jsonType   = "application/json"
	referer    = "https://example.com/signup?utm_source=ads&utm_medium=cpc"
)

var now = time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)

func parse(t *testing.T, f Form, ct, body string) (Submission, error) {
	t.Helper()
	return Parse(f, ct, []byte(body), now, referer, "203.0.113.77", "Mozilla/5.0 (Macintosh)")
}

func multipartBody(t *testing.T, fields [][2]string, file string) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, kv := range fields {
		w.WriteField(kv[0], kv[1])
	}
	if file != "" {
		fw, _ := w.CreateFormFile(file, "cv.pdf")
		fw.Write([]byte("%PDF"))
	}
	w.Close()
	return w.FormDataContentType(), buf.String()
}

func TestParseAccepts(t *testing.T) {
	mpType, mpBody := multipartBody(t, [][2]string{{"email", "ada@example.com"}, {"first_name", "Ada"}, {"consent", "on"}}, "")
	tests := []struct {
		name, ct, body string
		check          func(t *testing.T, s Submission)
	}{
		{"urlencoded", urlencoded, "email=+Ada%40Example.COM+&first_name=Ada&consent=on&anonymous_id=v-1", func(t *testing.T, s Submission) {
			if s.Email != "ada@example.com" || s.Values["first_name"] != "Ada" || s.AnonymousID != "v-1" || !s.Consented {
				t.Errorf("got %+v", s)
			}
		}},
		{"multipart", mpType, mpBody, func(t *testing.T, s Submission) {
			if s.Email != "ada@example.com" || s.Values["first_name"] != "Ada" || !s.Consented {
				t.Errorf("got %+v", s)
			}
		}},
		{"JSON with typed values", jsonType, `{"email":"ada@example.com","seats":12,"consent":true,"anonymousId":"v-2","team_size":"11-50"}`, func(t *testing.T, s Submission) {
			if s.Values["seats"] != 12.0 || s.Values["consent"] != true || s.AnonymousID != "v-2" || s.Values["team_size"] != "11-50" {
				t.Errorf("got %+v", s.Values)
			}
		}},
		{"JSON as text/plain (no preflight)", "text/plain;charset=UTF-8", `{"email":"ada@example.com"}`, func(t *testing.T, s Submission) {
			if s.Email != "ada@example.com" {
				t.Errorf("got %+v", s)
			}
		}},
		{"JSON null is an absent field", jsonType, `{"email":"ada@example.com","first_name":null}`, func(t *testing.T, s Submission) {
			if _, ok := s.Values["first_name"]; ok {
				t.Errorf("null kept: %+v", s.Values)
			}
		}},
		{"unticked consent: accepted, no consent", urlencoded, "email=ada@example.com", func(t *testing.T, s Submission) {
			if s.Consented || s.Status() != StatusReceived {
				t.Errorf("consented %v status %s", s.Consented, s.Status())
			}
		}},
		{"ticked consent on a double opt-in form is pending", urlencoded, "email=ada@example.com&consent=on", func(t *testing.T, s Submission) {
			if s.Status() != StatusPending {
				t.Errorf("status %s", s.Status())
			}
		}},
		{"script in an unmapped value is kept as text", urlencoded, "email=ada@example.com&message=" + url.QueryEscape("<script>x</script>"), func(t *testing.T, s Submission) {
			if s.Values["message"] != "<script>x</script>" {
				t.Errorf("got %q", s.Values["message"])
			}
		}},
		{"control characters are stripped, lines kept in a textarea", urlencoded,
			"email=ada@example.com&first_name=" + url.QueryEscape("A\x00d\u202ea\x07") + "&message=" + url.QueryEscape("line 1\r\nline\t2\x1b"), func(t *testing.T, s Submission) {
				if s.Values["first_name"] != "Ada" || s.Values["message"] != "line 1\nline\t2" {
					t.Errorf("first_name %q message %q", s.Values["first_name"], s.Values["message"])
				}
			}},
		{"newlines in a text field become spaces", jsonType, `{"email":"ada@example.com","company":"Acme\nLtd"}`, func(t *testing.T, s Submission) {
			if s.Values["company"] != "Acme Ltd" {
				t.Errorf("company %q", s.Values["company"])
			}
		}},
		{"page, campaign and IP", urlencoded, "email=ada@example.com&page_url=" + url.QueryEscape("https://example.com/p?utm_source=x#frag") + "&utm_source=mail&utm_campaign=launch", func(t *testing.T, s Submission) {
			if s.Page == nil || s.Page.URL != "https://example.com/p?utm_source=x" || s.Page.Path != "/p" {
				t.Errorf("page %+v", s.Page)
			}
			if s.Campaign == nil || s.Campaign.Source != "mail" || s.Campaign.Name != "launch" {
				t.Errorf("campaign %+v", s.Campaign)
			}
			if s.IP != "203.0.113.0" {
				t.Errorf("ip %q, want it truncated", s.IP)
			}
		}},
		{"page from the Referer, campaign from its URL", urlencoded, "email=ada@example.com", func(t *testing.T, s Submission) {
			if s.Page == nil || s.Page.URL != referer || s.Campaign == nil || s.Campaign.Source != "ads" || s.Campaign.Medium != "cpc" {
				t.Errorf("page %+v campaign %+v", s.Page, s.Campaign)
			}
		}},
		{"the honeypot may be sent empty", urlencoded, "email=ada@example.com&website_url=", func(t *testing.T, s Submission) {
			if s.Spam {
				t.Error("an empty honeypot is not spam")
			}
		}},
		{"checkbox sent twice (hidden + box)", urlencoded, "email=ada@example.com&consent=0&consent=1", func(t *testing.T, s Submission) {
			if !s.Consented {
				t.Error("consent not recorded")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := parse(t, newsletter(), tc.ct, tc.body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tc.check(t, s)
		})
	}
}

func TestParseHoneypot(t *testing.T) {
	// A bot filling every field, even invalid ones, gets no hint.
	s, err := parse(t, newsletter(), urlencoded, "email=not-an-email&website_url=http://spam.example&zzz=1")
	if err != nil || !s.Spam {
		t.Fatalf("Parse = %+v, %v; want spam without error", s, err)
	}
	if msgs := s.Messages(); len(msgs) != 0 {
		t.Errorf("spam produced %d messages", len(msgs))
	}
	f := newsletter()
	f.HoneypotField = "nickname"
	if s, err := parse(t, f, jsonType, `{"email":"a@example.com","nickname":"bot"}`); err != nil || !s.Spam {
		t.Errorf("custom honeypot: %+v, %v", s, err)
	}
}

func TestParseRejects(t *testing.T) {
	mpType, mpBody := multipartBody(t, [][2]string{{"email", "ada@example.com"}}, "cv")
	tests := []struct {
		name, ct, body string
		code           string
		field          string // a field the error must name
	}{
		{"empty body", urlencoded, "", CodeInvalidBody, ""},
		{"too large", urlencoded, "email=a@example.com&message=" + strings.Repeat("a", MaxBodyBytes), CodeBodyTooLarge, ""},
		{"unsupported type", "application/xml", "<x/>", CodeUnsupportedType, ""},
		{"no content type", "", "email=a@example.com", CodeUnsupportedType, ""},
		{"bad escapes", urlencoded, "email=%zz", CodeInvalidBody, ""},
		{"JSON array", jsonType, `[1]`, CodeInvalidBody, ""},
		{"JSON trailing data", jsonType, `{"email":"a@example.com"} {}`, CodeInvalidBody, ""},
		{"JSON nested value", jsonType, `{"email":"a@example.com","first_name":{"x":1}}`, CodeInvalidSubmission, "first_name"},
		{"file upload", mpType, mpBody, CodeInvalidBody, ""},
		{"multipart without boundary", "multipart/form-data", "x", CodeInvalidBody, ""},
		{"missing email", urlencoded, "first_name=Ada", CodeInvalidSubmission, "email"},
		{"invalid email", urlencoded, "email=ada%40example", CodeInvalidSubmission, "email"},
		{"email with a display name", jsonType, `{"email":"Ada <ada@example.com>"}`, CodeInvalidSubmission, "email"},
		{"email with two @", jsonType, `{"email":"a@b@example.com"}`, CodeInvalidSubmission, "email"},
		{"unknown field", urlencoded, "email=a@example.com&admin=1", CodeInvalidSubmission, "admin"},
		{"too long", urlencoded, "email=a@example.com&first_name=" + strings.Repeat("é", 21), CodeInvalidSubmission, "first_name"},
		{"default length limit", urlencoded, "email=a@example.com&company=" + strings.Repeat("a", 501), CodeInvalidSubmission, "company"},
		{"markup in a trait", urlencoded, "email=a@example.com&first_name=" + url.QueryEscape("<img src=x>"), CodeInvalidSubmission, "first_name"},
		{"javascript URL in a trait", urlencoded, "email=a@example.com&company=javascript:alert(1)", CodeInvalidSubmission, "company"},
		{"select outside options", urlencoded, "email=a@example.com&team_size=huge", CodeInvalidSubmission, "team_size"},
		{"not a number", urlencoded, "email=a@example.com&seats=12abc", CodeInvalidSubmission, "seats"},
		{"hex number", urlencoded, "email=a@example.com&seats=0x10", CodeInvalidSubmission, "seats"},
		{"not a phone", urlencoded, "email=a@example.com&phone=call+me", CodeInvalidSubmission, "phone"},
		{"field sent twice", urlencoded, "email=a@example.com&first_name=A&first_name=B", CodeInvalidSubmission, "first_name"},
		{"bad checkbox value", urlencoded, "email=a@example.com&consent=maybe", CodeInvalidSubmission, "consent"},
		{"invalid UTF-8", urlencoded, "email=a@example.com&first_name=%ff", CodeInvalidSubmission, "first_name"},
		{"anonymous id too long", urlencoded, "email=a@example.com&anonymous_id=" + strings.Repeat("a", 201), CodeInvalidSubmission, "anonymous_id"},
		{"two different anonymous ids", urlencoded, "email=a@example.com&anonymous_id=a&anonymousId=b", CodeInvalidSubmission, "anonymous_id"},
		{"page_url not http", urlencoded, "email=a@example.com&page_url=javascript:alert(1)", CodeInvalidSubmission, "page_url"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := parse(t, newsletter(), tc.ct, tc.body)
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Parse = %+v, %v; want *Error %s", s, err, tc.code)
			}
			if fe.Code != tc.code || fe.Message == "" {
				t.Fatalf("code %q message %q, want %q", fe.Code, fe.Message, tc.code)
			}
			if tc.field != "" {
				found := false
				for _, x := range fe.Fields {
					found = found || x.Field == tc.field
				}
				if !found {
					t.Errorf("fields %+v do not name %q", fe.Fields, tc.field)
				}
			}
		})
	}
}

func TestParseRequiredCheckboxAndAllProblems(t *testing.T) {
	f := newsletter()
	f.Fields[8].Required = true
	_, err := parse(t, f, urlencoded, "first_name="+strings.Repeat("x", 30)+"&bogus=1")
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatal(err)
	}
	var got []string
	for _, x := range fe.Fields {
		got = append(got, x.Field+":"+x.Code)
	}
	// Every problem at once, in the form's field order, extras last.
	want := []string{"email:required", "first_name:too_long", "consent:required", "bogus:unknown_field"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems %v, want %v", got, want)
	}
	if !strings.Contains(fe.Message, "Yes, send me news must be ticked") {
		t.Errorf("message %q does not use the label", fe.Message)
	}
}

func TestMessages(t *testing.T) {
	f := newsletter()
	body := "email=Ada@Example.com&first_name=Ada&company=Acme&phone=%2B44+20+7946+0000&team_size=11-50&seats=3&message=Hi&source=ad&consent=on&anonymous_id=visitor-9"
	s, err := parse(t, f, urlencoded, body)
	if err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	id, tr := msgs[0], msgs[1]
	if id.Type != tracking.TypeIdentify || tr.Type != tracking.TypeTrack || tr.Event != EventName {
		t.Fatalf("types %s %s %s", id.Type, tr.Type, tr.Event)
	}
	wantTraits := map[string]any{"email": "ada@example.com", "first_name": "Ada", "company": "Acme"}
	if !reflect.DeepEqual(id.Traits, wantTraits) {
		t.Errorf("traits %v, want %v", id.Traits, wantTraits)
	}
	// Unmapped fields are event properties, except email and tel.
	wantProps := map[string]any{"form_id": "newsletter", "form_name": "Newsletter", "team_size": "11-50", "seats": 3.0, "message": "Hi", "source": "ad", "consent": true}
	if !reflect.DeepEqual(tr.Properties, wantProps) {
		t.Errorf("properties %v, want %v", tr.Properties, wantProps)
	}
	for _, m := range msgs {
		if m.AnonymousID != "visitor-9" || m.Context.IP != "203.0.113.0" || m.Context.Page == nil || m.Context.Page.URL != referer ||
			m.Context.Campaign == nil || m.Context.Campaign.Source != "ads" || !m.Timestamp.Equal(now) || m.Context.UserAgent == "" {
			t.Errorf("%s message %+v", m.Type, m)
		}
		if !strings.HasPrefix(m.MessageID, "form:") {
			t.Errorf("message id %q", m.MessageID)
		}
	}
	if id.Context.Leadflow != nil {
		t.Error("the identify must not carry the form's instructions (consent would be recorded twice)")
	}
	if tr.Email() != "ada@example.com" {
		t.Errorf("track email %q", tr.Email())
	}
	in := tr.Context.Leadflow
	if in == nil || in.FormID != "newsletter" || !in.DoubleOptIn || !reflect.DeepEqual(in.Tags, []string{"newsletter"}) || !reflect.DeepEqual(in.Lists, []string{"news"}) {
		t.Fatalf("internal %+v", in)
	}
	want := tracking.Consent{Purpose: "newsletter", Text: "Send me the newsletter.", At: now, Page: referer, IP: "203.0.113.0", Source: "form:newsletter"}
	if in.Consent == nil || *in.Consent != want {
		t.Errorf("consent %+v, want %+v", in.Consent, want)
	}

	// The messages survive the queue encoding.
	bodies, err := tracking.EncodeBatches(tracking.Batch{SiteKey: "form", Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tracking.DecodeBatch(bodies[0])
	if err != nil || b.Messages[1].Context.Leadflow.Consent.Purpose != "newsletter" {
		t.Fatalf("round trip: %v %+v", err, b)
	}
}

func TestMessagesApplyToAProfile(t *testing.T) {
	s, err := parse(t, newsletter(), urlencoded, "email=ada@example.com&first_name=Ada&consent=on")
	if err != nil {
		t.Fatal(err)
	}
	p := &contact.Profile{}
	p.Apply(s.Messages(), now)
	if p.Email != "ada@example.com" || p.Status != "pending" || len(p.Consents) != 1 || p.Traits["first_name"] != "Ada" ||
		!reflect.DeepEqual(p.Tags, []string{"newsletter"}) || !reflect.DeepEqual(p.Lists, []string{"news"}) {
		t.Errorf("profile %+v", p)
	}
	// A double submit produces the same messages and changes nothing.
	again, _ := parse(t, newsletter(), urlencoded, "first_name=Ada&email=ADA@example.com&consent=on")
	if fresh := p.Apply(again.Messages(), now.Add(time.Second)); len(fresh) != 0 || p.EventCount != 2 {
		t.Errorf("double submit applied %d messages; event_count %d", len(fresh), p.EventCount)
	}
}

func TestMessageIDs(t *testing.T) {
	ids := func(body string, at time.Time) string {
		s, err := Parse(newsletter(), urlencoded, []byte(body), at, "", "198.51.100.1", "")
		if err != nil {
			t.Fatal(err)
		}
		return s.Messages()[1].MessageID
	}
	base := ids("email=a@example.com&first_name=A", now)
	if ids("first_name=A&email=A@EXAMPLE.com", now.Add(time.Hour)) != base {
		t.Error("the same answers on the same day must have the same message id")
	}
	if ids("email=a@example.com&first_name=B", now) == base {
		t.Error("different answers must have different message ids")
	}
	if ids("email=a@example.com&first_name=A", now.Add(24*time.Hour)) == base {
		t.Error("the same answers on another day count again")
	}
	if ids("email=a@example.com&first_name=A&anonymous_id=x", now) == base {
		t.Error("another visitor's identical answers must count")
	}
}

func FuzzParseSubmission(f *testing.F) {
	seeds := []struct {
		kind byte
		body string
	}{
		{0, "email=ada%40example.com&first_name=Ada&consent=on"},
		{0, "email=x&website_url=bot"},
		{0, "email=a@b.co&seats=1.5&team_size=1-10&message=hi%0Athere&phone=%2B1+555+0100"},
		{1, `{"email":"ada@example.com","seats":3,"consent":true,"anonymousId":"v"}`},
		{1, `{"email":"a@b.c","first_name":"<script>alert(1)</script>"}`},
		{2, "email=a@b.co"},
	}
	for _, s := range seeds {
		f.Add(s.kind, []byte(s.body), "https://example.com/?utm_source=x", "192.0.2.1")
	}
	form := newsletter()
	f.Fuzz(func(t *testing.T, kind byte, body []byte, page, ip string) {
		ct := []string{urlencoded, jsonType, "multipart/form-data; boundary=XyZ", "text/plain"}[int(kind)%4]
		if kind%4 == 2 {
			// Wrap the fuzzed bytes as one multipart value, so the fuzzer
			// reaches the field checks through the multipart reader too.
			body = append(append([]byte("--XyZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n"), body...), "\r\n--XyZ--\r\n"...)
		}
		s, err := Parse(form, ct, body, now, page, ip, "ua")
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) || fe.Code == "" || fe.Message == "" {
				t.Fatalf("error %v is not a *form.Error with a code and a message", err)
			}
			return
		}
		if s.Spam {
			return
		}
		if s.Email == "" || contact.NormalizeEmail(s.Email) != s.Email || !utf8.ValidString(s.Email) {
			t.Fatalf("accepted email %q", s.Email)
		}
		for name, v := range s.Values {
			x, ok := form.Field(name)
			if !ok {
				t.Fatalf("value for unknown field %q", name)
			}
			if str, ok := v.(string); ok {
				if !utf8.ValidString(str) || hasControl(strings.NewReplacer("\n", "", "\t", "").Replace(str)) || utf8.RuneCountInString(str) > x.limit() || str == "" {
					t.Fatalf("field %s value %q", name, str)
				}
			}
		}
		if len(s.AnonymousID) > maxIDLen*utf8.UTFMax || hasControl(s.AnonymousID) {
			t.Fatalf("anonymous id %q", s.AnonymousID)
		}
		if s.IP != "" && s.IP != tracking.TruncateIP(s.IP) {
			t.Fatalf("ip %q not truncated", s.IP)
		}
		msgs := s.Messages()
		if len(msgs) != 2 {
			t.Fatalf("%d messages", len(msgs))
		}
		if err := tracking.ValidateTraits(msgs[0].Traits); err != nil {
			t.Fatalf("identify traits the tracking API would refuse: %v", err)
		}
		raw, err := json.Marshal(msgs)
		if err != nil {
			t.Fatal(err)
		}
		var back []tracking.Message
		if err := json.Unmarshal(raw, &back); err != nil || back[1].Email() != s.Email {
			t.Fatalf("messages do not round-trip: %v", err)
		}
	})
}
