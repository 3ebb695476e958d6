package tracking

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/timezone"
)

var received = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name  string
		typ   string
		body  string
		check func(t *testing.T, p Parsed)
	}{
		{
			name: "batch of page, track, identify",
			body: `{"writeKey":"wk_1","batch":[
				{"type":"page","messageId":"m1","anonymousId":"a1","name":"Pricing","context":{"page":{"url":"https://x.io/pricing?utm_source=google&utm_medium=cpc","title":"Pricing","path":"/pricing"}}},
				{"type":"track","messageId":"m2","anonymousId":"a1","event":"Signed Up","properties":{"plan":"pro"}},
				{"type":"identify","messageId":"m3","anonymousId":"a1","userId":"u1","traits":{"email":"Ann@X.io"}}]}`,
			check: func(t *testing.T, p Parsed) {
				if p.WriteKey != "wk_1" || len(p.Messages) != 3 {
					t.Fatalf("writeKey %q, %d messages", p.WriteKey, len(p.Messages))
				}
				c := p.Messages[0].Context.Campaign
				if c == nil || c.Source != "google" || c.Medium != "cpc" {
					t.Errorf("campaign from URL = %+v", c)
				}
				if p.Messages[1].Properties["plan"] != "pro" {
					t.Errorf("properties = %v", p.Messages[1].Properties)
				}
				if p.Messages[2].Email() != "Ann@X.io" {
					t.Errorf("email = %q", p.Messages[2].Email())
				}
				for _, m := range p.Messages {
					if !m.ReceivedAt.Equal(received) || !m.Timestamp.Equal(received) {
						t.Errorf("%s: receivedAt %v timestamp %v", m.MessageID, m.ReceivedAt, m.Timestamp)
					}
				}
			},
		},
		{
			name: "single track call implies its type",
			typ:  TypeTrack,
			body: `{"userId":42,"event":"Demo Requested","writeKey":"wk_2"}`,
			check: func(t *testing.T, p Parsed) {
				m := p.Messages[0]
				if m.Type != TypeTrack || m.UserID != "42" || p.WriteKey != "wk_2" {
					t.Errorf("got %+v, writeKey %q", m, p.WriteKey)
				}
				if !strings.HasPrefix(m.MessageID, "lf-") {
					t.Errorf("generated messageId = %q", m.MessageID)
				}
			},
		},
		{
			name: "clock skew is corrected from sentAt",
			body: `{"sentAt":"2026-11-24T12:10:00Z","batch":[{"type":"track","event":"e","anonymousId":"a","timestamp":"2026-11-24T12:09:00Z"}]}`,
			check: func(t *testing.T, p Parsed) {
				want := received.Add(-time.Minute)
				if got := p.Messages[0].Timestamp; !got.Equal(want) {
					t.Errorf("timestamp = %v, want %v", got, want)
				}
			},
		},
		{
			name: "timestamp without sentAt is kept",
			body: `{"batch":[{"type":"page","anonymousId":"a","timestamp":"2026-11-20T08:00:00.123Z"}]}`,
			check: func(t *testing.T, p Parsed) {
				if got := p.Messages[0].Timestamp; !got.Equal(time.Date(2026, 11, 20, 8, 0, 0, 123e6, time.UTC)) {
					t.Errorf("timestamp = %v", got)
				}
			},
		},
		{
			name: "a future timestamp falls back to receivedAt",
			body: `{"batch":[{"type":"page","anonymousId":"a","timestamp":"2030-01-01T00:00:00Z"}]}`,
			check: func(t *testing.T, p Parsed) {
				if got := p.Messages[0].Timestamp; !got.Equal(received) {
					t.Errorf("timestamp = %v", got)
				}
			},
		},
		{
			name: "ip is truncated and unknown context keys are kept",
			body: `{"batch":[{"type":"page","anonymousId":"a","context":{"ip":"203.0.113.77","os":{"name":"iOS"}}}]}`,
			check: func(t *testing.T, p Parsed) {
				c := p.Messages[0].Context
				if c.IP != "203.0.113.0" {
					t.Errorf("ip = %q", c.IP)
				}
				if _, ok := c.Extra["os"]; !ok {
					t.Errorf("extra = %v", c.Extra)
				}
			},
		},
		{
			name: "source ip fills a missing context.ip, truncated",
			typ:  TypePage,
			body: `{"anonymousId":"a"}`,
			check: func(t *testing.T, p Parsed) {
				if got := p.Messages[0].Context.IP; got != "2001:db8:1::" {
					t.Errorf("ip = %q", got)
				}
			},
		},
		{
			name: "a server library's page properties become the page context",
			body: `{"batch":[{"type":"page","anonymousId":"a","properties":{"url":"https://x.io/p?utm_source=ads","path":"/p","title":"P"}}]}`,
			check: func(t *testing.T, p Parsed) {
				pg := p.Messages[0].Context.Page
				if pg == nil || pg.Path != "/p" || pg.Title != "P" || p.Messages[0].Context.Campaign == nil || p.Messages[0].Context.Campaign.Source != "ads" {
					t.Errorf("page %+v campaign %+v", pg, p.Messages[0].Context.Campaign)
				}
			},
		},
		{
			name: "same bytes without messageId get the same id",
			body: `{"batch":[{"type":"track","event":"e","anonymousId":"a"},{"type":"track","event":"e","anonymousId":"a"},{"type":"track","event":"f","anonymousId":"a"}]}`,
			check: func(t *testing.T, p Parsed) {
				if p.Messages[0].MessageID != p.Messages[1].MessageID || p.Messages[0].MessageID == p.Messages[2].MessageID {
					t.Errorf("ids %q %q %q", p.Messages[0].MessageID, p.Messages[1].MessageID, p.Messages[2].MessageID)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ip := "198.51.100.9"
			if tc.typ == TypePage {
				ip = "2001:db8:1:2::9"
			}
			p, err := Parse(Request{Type: tc.typ, Body: []byte(tc.body), ReceivedAt: received, SourceIP: ip})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tc.check(t, p)
		})
	}
}

func TestParseRejects(t *testing.T) {
	big := `{"batch":[{"type":"track","event":"e","anonymousId":"a","properties":{"x":"` + strings.Repeat("y", MaxMessageBytes) + `"}}]}`
	var huge strings.Builder
	huge.WriteString(`{"batch":[`)
	for i := 0; huge.Len() < MaxBatchBytes+10; i++ {
		if i > 0 {
			huge.WriteString(",")
		}
		huge.WriteString(`{"type":"track","event":"e","anonymousId":"a","properties":{"x":"` + strings.Repeat("y", 1000) + `"}}`)
	}
	huge.WriteString(`]}`)
	tests := []struct {
		name, typ, body, code, inMessage string
	}{
		{"empty body", "", ``, "invalid_body", "empty"},
		{"malformed json", "", `{"batch":[`, "invalid_json", "not valid JSON"},
		{"not an object", "", `[1,2]`, "invalid_json", "JSON object"},
		{"no batch array", "", `{"writeKey":"x"}`, "invalid_batch", `"batch"`},
		{"empty batch", "", `{"batch":[]}`, "invalid_batch", "empty"},
		{"no identity", "", `{"batch":[{"type":"page","anonymousId":"a"},{"type":"track","event":"e"}]}`, "missing_identity", "batch[1]"},
		{"track without event", "", `{"batch":[{"type":"track","userId":"u"}]}`, "missing_event", "event name"},
		{"unknown type", "", `{"batch":[{"type":"explode","userId":"u"}]}`, "invalid_type", "explode"},
		{"missing type", "", `{"batch":[{"userId":"u"}]}`, "invalid_type", "required"},
		{"type mismatch on single path", TypeTrack, `{"type":"page","userId":"u","event":"e"}`, "invalid_type", "does not match"},
		{"properties not an object", "", `{"batch":[{"type":"track","event":"e","userId":"u","properties":[1]}]}`, "invalid_field", "properties"},
		{"userId an object", "", `{"batch":[{"type":"track","event":"e","userId":{"a":1}}]}`, "invalid_field", "userId"},
		{"bad timestamp", "", `{"batch":[{"type":"track","event":"e","userId":"u","timestamp":"yesterday"}]}`, "invalid_timestamp", "yesterday"},
		{"bad ip", "", `{"batch":[{"type":"page","userId":"u","context":{"ip":"not-an-ip"}}]}`, "invalid_field", "ip"},
		{"page url not a string", "", `{"batch":[{"type":"page","userId":"u","context":{"page":{"url":5}}}]}`, "invalid_field", "page"},
		{"message over 32KB", "", big, "message_too_large", "batch[0]"},
		{"batch over 500KB", "", huge.String(), "batch_too_large", "limit"},
		{"event name too long", "", `{"batch":[{"type":"track","userId":"u","event":"` + strings.Repeat("e", 201) + `"}]}`, "invalid_field", "event"},
		{"group without groupId", "", `{"batch":[{"type":"group","userId":"u"}]}`, "missing_field", "groupId"},
		{"alias without previousId", "", `{"batch":[{"type":"alias","userId":"u"}]}`, "missing_field", "previousId"},
		{"script in traits", "", `{"batch":[{"type":"identify","userId":"u","traits":{"name":"<script>alert(1)</script>"}}]}`, "invalid_traits", "markup"},
		{"javascript url in context traits", "", `{"batch":[{"type":"track","event":"e","userId":"u","context":{"traits":{"site":"javascript:alert(1)"}}}]}`, "invalid_traits", "context.traits"},
		{"invalid email trait", "", `{"batch":[{"type":"identify","userId":"u","traits":{"email":"not-an-email"}}]}`, "invalid_traits", "email"},
		{"oversize trait", "", `{"batch":[{"type":"identify","userId":"u","traits":{"bio":"` + strings.Repeat("b", 2001) + `"}}]}`, "invalid_traits", "limit"},
		{"invalid utf-8", "", "{\"batch\":[{\"type\":\"page\",\"userId\":\"\xff\"}]}", "invalid_json", "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(Request{Type: tc.typ, Body: []byte(tc.body), ReceivedAt: received})
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("want *Error, got %v", err)
			}
			if te.Code != tc.code || !strings.Contains(te.Message, tc.inMessage) {
				t.Errorf("got %s %q; want code %s with %q", te.Code, te.Message, tc.code, tc.inMessage)
			}
		})
	}
}

func TestClientCannotSendInternalInstructions(t *testing.T) {
	p, err := Parse(Request{Body: []byte(`{"batch":[{"type":"track","event":"e","userId":"u","context":{"leadflow":{"consent":{"purpose":"marketing"},"tags":["vip"]}}}]}`), ReceivedAt: received})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Messages[0].Context
	if c.Leadflow != nil {
		t.Fatalf("a client set internal instructions: %+v", c.Leadflow)
	}
	if _, kept := c.Extra["leadflow"]; !kept {
		t.Error("the client's data should be kept as plain context")
	}
}

func TestPathType(t *testing.T) {
	tests := []struct {
		path, want string
		ok         bool
	}{
		{"/v1/batch", "", true}, {"/v1/import", "", true}, {"/v1/t", TypeTrack, true},
		{"/v1/identify", TypeIdentify, true}, {"/v1/p", TypePage, true}, {"/v1/contacts", "", false},
	}
	for _, tc := range tests {
		got, ok := PathType(tc.path)
		if got != tc.want || ok != tc.ok {
			t.Errorf("PathType(%q) = %q, %v", tc.path, got, ok)
		}
	}
}

func TestTruncateIP(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.200": "192.0.2.0", "::ffff:192.0.2.7": "192.0.2.0",
		"2001:db8:abcd:12::1": "2001:db8:abcd::", "junk": "", "": "",
	} {
		if got := TruncateIP(in); got != want {
			t.Errorf("TruncateIP(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReferrerHost(t *testing.T) {
	tests := []struct {
		page *Page
		want string
	}{
		{&Page{URL: "https://x.io/a", Referrer: "https://www.Google.com/search"}, "google.com"},
		{&Page{URL: "https://x.io/a", Referrer: "https://x.io/b"}, ""},
		{&Page{URL: "https://x.io/a"}, ""},
		{nil, ""},
	}
	for _, tc := range tests {
		if got := ReferrerHost(tc.page); got != tc.want {
			t.Errorf("ReferrerHost(%+v) = %q, want %q", tc.page, got, tc.want)
		}
	}
}

// FuzzParse checks that no input panics, that whatever is accepted
// satisfies the invariants the processor relies on, and that Parse (the
// single-pass decoder, falling back to encoding/json) answers exactly as
// parseExact does: the same messages, or the same error.
//
//	go test ./shared/tracking/ -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	for _, typ := range []string{"", "track", "page", "identify"} {
		for _, body := range parseSeeds {
			f.Add(typ, body)
		}
	}
	f.Add("", `{"batch":[{"type":"track","event":"e","anonymousId":"a"}]}`)
	f.Add("track", `{"userId":"u","event":"x","timestamp":"2026-01-01T00:00:00Z","context":{"ip":"1.2.3.4"}}`)
	f.Add("", `{"sentAt":"2026-01-01","batch":[{"type":"identify","userId":1,"traits":{"email":"a@b.c"}}]}`)
	f.Add("page", `{"anonymousId":"a","timestamp":"0001-01-01T00:00:00Z","sentAt":"9999-12-31T23:59:59Z"}`)
	// One zone cache for every input, as the ingest function keeps one for
	// its lifetime: answers remembered from one input serve the next.
	zones := &timezone.Cache{}
	f.Fuzz(func(t *testing.T, typ, body string) {
		req := Request{Type: typ, Body: []byte(body), ReceivedAt: received, SourceIP: "198.51.100.7"}
		p, err := Parse(req)
		want, wantErr := parseExact(req)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("Parse error %v, parseExact error %v", err, wantErr)
		}
		if !reflect.DeepEqual(p, want) {
			g, _ := json.Marshal(p)
			w, _ := json.Marshal(want)
			t.Fatalf("Parse and parseExact differ:\n%s\n%s\n%+v\n%+v", g, w, p, want)
		}
		// The ingest function's way in: the body as a string, zones
		// remembered. Same answer.
		text := Request{Type: typ, BodyText: body, ReceivedAt: received, SourceIP: "198.51.100.7", Zones: zones}
		if tp, terr := Parse(text); fmt.Sprint(terr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(tp, want) {
			t.Fatalf("Parse with BodyText and Zones: %v, %+v; want %v, %+v", terr, tp, wantErr, want)
		}
		if err == nil {
			checkMarshalBatch(t, Batch{RequestID: "r<&>", SiteKey: "k", ReceivedAt: received, Messages: p.Messages})
		}
		if err != nil {
			var te *Error
			if !errors.As(err, &te) || te.Code == "" || te.Message == "" {
				t.Fatalf("error without code/message: %v", err)
			}
			return
		}
		if len(p.Messages) == 0 {
			t.Fatal("accepted a request with no messages")
		}
		for _, m := range p.Messages {
			if m.MessageID == "" || (m.UserID == "" && m.AnonymousID == "") || m.Timestamp.IsZero() {
				t.Fatalf("accepted message breaks invariants: %+v", m)
			}
			if m.Type == TypeTrack && m.Event == "" {
				t.Fatalf("track without event accepted")
			}
		}
	})
}

// An event's time is bounded around its receipt, so the public write key
// cannot backdate a contact's first seen or first touch (issue 8.2), nor pin
// last seen in the future.
func TestTimestampBounds(t *testing.T) {
	for _, tc := range []struct {
		name, fields string
		want         time.Time
	}{
		{"year 1", `"timestamp":"0001-01-01T00:00:00Z"`, received},
		{"year 1 with sentAt", `"originalTimestamp":"0001-01-01T00:00:00Z","sentAt":"2026-01-01T00:00:00Z"`, received},
		{"eight days ago", `"timestamp":"` + received.Add(-8*24*time.Hour).Format(time.RFC3339) + `"`, received},
		{"six days ago (an offline client's queue)", `"timestamp":"` + received.Add(-6*24*time.Hour).Format(time.RFC3339) + `"`, received.Add(-6 * 24 * time.Hour)},
		{"two days ahead", `"timestamp":"` + received.Add(48*time.Hour).Format(time.RFC3339) + `"`, received},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"type":"page","anonymousId":"a-1","context":{"page":{"url":"https://x.example/?utm_source=attacker"}},` + tc.fields + `}`
			p, err := Parse(Request{Type: "page", Body: []byte(body), ReceivedAt: received})
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Messages[0].Timestamp; !got.Equal(tc.want) {
				t.Errorf("timestamp %v, want %v", got, tc.want)
			}
		})
	}
}

// Input hygiene on the public tracking path (issue 8.11): deep nesting is
// refused, and control, bidi and line-break characters never reach a stored
// trait (forms already cleaned theirs).
func TestHygiene(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000)
	_, err := Parse(Request{Type: "track", Body: []byte(`{"event":"e","anonymousId":"a","properties":` + deep + `}`), ReceivedAt: received})
	var te *Error
	if !errors.As(err, &te) || te.Code != "too_deep" {
		t.Errorf("depth 5000: %v", err)
	}
	// A string that looks deep is not.
	if _, err := Parse(Request{Type: "track", Body: []byte(`{"event":"e","anonymousId":"a","properties":{"q":"` + strings.Repeat(`{[`, 100) + `\""}}`), ReceivedAt: received}); err != nil {
		t.Errorf("braces in a string: %v", err)
	}
	p, err := Parse(Request{Body: []byte(`{"batch":[{"type":"identify","userId":"u","traits":{"first_name":"Ad\u0000a\u202e","last\u200b_name":"Love\r\nBcc: x@evil.example","address":{"city":"Lon\u0007don"}},` +
		`"context":{"traits":{"title":"C\u202eEO"}}}]}`), ReceivedAt: received})
	if err != nil {
		t.Fatal(err)
	}
	m := p.Messages[0]
	if m.Traits["first_name"] != "Ada" || m.Traits["last_name"] != "Love  Bcc: x@evil.example" || m.Traits["address"].(map[string]any)["city"] != "London" {
		t.Errorf("traits %q", m.Traits)
	}
	if m.Context.Traits["title"] != "CEO" {
		t.Errorf("context traits %q", m.Context.Traits)
	}
}

// Half a surrogate pair is not Unicode: encoding/json would store U+FFFD in
// its place, so it is refused like invalid UTF-8 (issue 8.11).
func TestLoneSurrogatesAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		ok          bool
	}{
		{"a pair (an emoji)", `\ud83d\ude00`, true},
		{"an ordinary escape", `\u00e9\n`, true},
		{"an escaped backslash before u", `\\ud800`, true},
		{"a lone high half", `x\ud800y`, false},
		{"a lone low half", `\udc00`, false},
		{"halves reversed", `\ude00\ud83d`, false},
		{"a high half at the end", `\ud83d`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"event":"e","anonymousId":"a","properties":{"q":"` + tc.value + `"}}`
			p, err := Parse(Request{Type: "track", Body: []byte(body), ReceivedAt: received})
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				if q, _ := p.Messages[0].Properties["q"].(string); strings.ContainsRune(q, '\uFFFD') {
					t.Errorf("replaced: %q", q)
				}
				return
			}
			var te *Error
			if !errors.As(err, &te) || te.Code != "invalid_json" {
				t.Errorf("got %v, want invalid_json", err)
			}
		})
	}
}

// RudderStack's browser SDK sends an identify's traits only in
// context.traits (issue 9); the spec's place is the top level.
func TestIdentifyReadsTraitsWhereClientsPutThem(t *testing.T) {
	tests := []struct {
		name, body string
		want       map[string]any
	}{
		{"top level (spec, analytics.js)", `{"userId":"u","traits":{"email":"a@example.com","first_name":"Ada"}}`,
			map[string]any{"email": "a@example.com", "first_name": "Ada"}},
		{"context.traits only (RudderStack)", `{"userId":"u-r","anonymousId":"a-r","context":{"traits":{"email":"r@example.com","first_name":"Ada"}}}`,
			map[string]any{"email": "r@example.com", "first_name": "Ada"}},
		{"both: top level wins per key", `{"userId":"u","traits":{"first_name":"Ada","plan":"pro"},"context":{"traits":{"first_name":"Old","company":"Acme"}}}`,
			map[string]any{"first_name": "Ada", "plan": "pro", "company": "Acme"}},
		{"a null on top removes, even over the context", `{"userId":"u","traits":{"plan":null},"context":{"traits":{"plan":"free"}}}`,
			map[string]any{"plan": nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(Request{Type: "identify", Body: []byte(tc.body), ReceivedAt: received})
			if err != nil {
				t.Fatal(err)
			}
			m := p.Messages[0]
			if !reflect.DeepEqual(m.Traits, tc.want) {
				t.Errorf("traits %v, want %v", m.Traits, tc.want)
			}
		})
	}
	// Other calls keep context.traits as context: a track does not set traits.
	p, err := Parse(Request{Type: "track", Body: []byte(`{"userId":"u","event":"e","context":{"traits":{"first_name":"Ada"}}}`), ReceivedAt: received})
	if err != nil {
		t.Fatal(err)
	}
	if m := p.Messages[0]; m.Traits != nil || m.Context.Traits["first_name"] != "Ada" {
		t.Errorf("track: traits %v context.traits %v", m.Traits, m.Context.Traits)
	}
	// Context traits are checked like top-level ones, alone and together.
	for _, body := range []string{
		`{"userId":"u","context":{"traits":{"first_name":"<b>x</b>"}}}`,
		`{"userId":"u","context":{"traits":{"email":"not an email"}}}`,
		`{"userId":"u","traits":` + manyTraits("a", 150) + `,"context":{"traits":` + manyTraits("b", 150) + `}}`,
	} {
		if _, err := Parse(Request{Type: "identify", Body: []byte(body), ReceivedAt: received}); err == nil || !strings.Contains(err.Error(), "invalid_traits") {
			t.Errorf("%.80s: err %v, want invalid_traits", body, err)
		}
	}
}

func manyTraits(prefix string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`"%s%d":1`, prefix, i)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// Time zones are kept when they are zones, normalised when they are fixed
// offsets (RudderStack's "GMT+0000"), and dropped otherwise (issue 9).
func TestContextTimezoneIsNormalised(t *testing.T) {
	for in, want := range map[string]string{
		`"Europe/Berlin"`: "Europe/Berlin",
		`"GMT+0000"`:      "UTC",
		`"GMT+0200"`:      "Etc/GMT-2",
		`"GMT+0530"`:      "UTC+05:30",
		`"NA"`:            "",
		`"Mars/Base"`:     "",
	} {
		p, err := Parse(Request{Type: "page", Body: []byte(`{"anonymousId":"a","context":{"timezone":` + in + `}}`), ReceivedAt: received})
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := p.Messages[0].Context.Timezone; got != want {
			t.Errorf("timezone %s stored as %q, want %q", in, got, want)
		}
	}
}
