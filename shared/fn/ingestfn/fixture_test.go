package ingestfn_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/shared/fn/ingestfn"
	"github.com/leadflow/leadflow/shared/ingest"
	"github.com/leadflow/leadflow/shared/site"
	"github.com/leadflow/leadflow/shared/tracking"
)

// The site the fixtures in events/apigw were sent for.
const (
	fixtureKey    = "wk_live_4f9c2e7a1b"
	fixtureOrigin = "https://www.acme-widgets.com"
)

func fixturePath(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "..", "events"}, parts...)...)
}

func readEventFixture(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(fixturePath(name))
	if err != nil {
		t.Fatal(err)
	}
	// What the Lambda runtime does with the payload before calling Handle.
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func apigwEvent(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	readEventFixture(t, filepath.Join("apigw", name), &ev)
	return ev
}

type fixtureSites map[string]site.Site

func (s fixtureSites) GetSite(_ context.Context, key string) (site.Site, error) {
	if st, ok := s[key]; ok {
		return st, nil
	}
	return site.Site{}, site.ErrNotFound
}

type fixtureQueue struct {
	mu     sync.Mutex
	bodies []string
}

func (q *fixtureQueue) Enqueue(_ context.Context, body string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.bodies = append(q.bodies, body)
	return nil
}

// serve runs one fixture through the real handler, with the clock at the
// instant API Gateway received the request.
func serveFixture(t *testing.T, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, *fixtureQueue) {
	t.Helper()
	sites := fixtureSites{fixtureKey: {Key: fixtureKey, Name: "Acme Widgets", AllowedOrigins: []string{fixtureOrigin}}}
	q := &fixtureQueue{}
	at := time.UnixMilli(ev.RequestContext.TimeEpoch).UTC()
	h := ingestfn.NewWith(ingest.New(sites, q, time.Minute, func() time.Time { return at }), slog.New(slog.DiscardHandler))
	// Through Invoke, as the Lambda runtime calls it: the event's bytes.
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke returned an error instead of a response: %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("Invoke answered %s: %v", out, err)
	}
	return resp, q
}

func fixtureQueued(t *testing.T, q *fixtureQueue) tracking.Batch {
	t.Helper()
	if len(q.bodies) != 1 {
		t.Fatalf("%d queue messages, want 1", len(q.bodies))
	}
	b, err := tracking.DecodeBatch(q.bodies[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixtureTime(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

type fixtureMessage struct {
	typ, id, ip, userAgent, userID, event string
	campaign                              *tracking.Campaign
	// timestamp is the client's, before clock-skew correction.
	timestamp string
}

var (
	springCampaign = &tracking.Campaign{Source: "newsletter", Medium: "email", Name: "spring_launch", Content: "hero_button"}
	macChrome      = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36"
)

// batchFixtureMessages is what batch.json and batch-base64.json carry: the page
// names the visitor's IP in context.ip and its campaign in context.campaign;
// the track's campaign comes from its page URL; the others' IP is the
// server's, the request source. The identify has no userAgent: the request's
// User-Agent is the server library's, never stamped on the visitor.
var batchFixtureMessages = []fixtureMessage{
	{typ: "page", id: "node-next-1741597468201-9d2f6b1e-4c7a-4f0e-8b3d-2e5a7c9f1b04", ip: "198.51.100.0", userAgent: macChrome, campaign: springCampaign, timestamp: "2025-03-10T09:04:28.201Z"},
	{typ: "track", id: "node-next-1741597469950-1a8c3e5d-7b2f-4d91-a6e0-3c4b8f2d7e19", ip: "203.0.113.0", userAgent: macChrome, campaign: springCampaign, event: "Demo Requested", timestamp: "2025-03-10T09:04:29.950Z"},
	{typ: "identify", id: "node-next-1741597470412-6e0b2d4f-9c3a-4b7e-8f15-7d9e1a3c5b28", ip: "203.0.113.0", userID: "usr_8d41c7", timestamp: "2025-03-10T09:04:30.412Z"},
}

func TestFixturesAreAccepted(t *testing.T) {
	tests := []struct {
		fixture string
		sentAt  string
		want    []fixtureMessage
		cors    string
	}{
		{fixture: "batch.json", sentAt: "2025-03-10T09:04:30.950Z", want: batchFixtureMessages},
		{fixture: "batch-base64.json", sentAt: "2025-03-10T09:04:30.950Z", want: batchFixtureMessages},
		{fixture: "track-beacon.json", sentAt: "2025-03-10T09:06:12.309Z", cors: fixtureOrigin, want: []fixtureMessage{{
			typ: "track", id: "ajs-next-1741597572301-c1d7e4a9-3b6f-4e28-9d05-8a2c6f1e4b73", event: "Whitepaper Downloaded",
			// IPv6 is cut to its /48.
			ip:        "2001:db8:85a3::",
			userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
			timestamp: "2025-03-10T09:06:12.301Z",
		}}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			ev := apigwEvent(t, tc.fixture)
			resp, q := serveFixture(t, ev)
			if resp.StatusCode != http.StatusOK || resp.Body != `{"success":true}` {
				t.Fatalf("status %d body %s", resp.StatusCode, resp.Body)
			}
			if got := resp.Headers["Access-Control-Allow-Origin"]; got != tc.cors {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tc.cors)
			}
			if resp.Headers["Vary"] != "Origin" {
				t.Errorf("Vary %q, want Origin", resp.Headers["Vary"])
			}

			b := fixtureQueued(t, q)
			received := time.UnixMilli(ev.RequestContext.TimeEpoch).UTC()
			if b.RequestID != ev.RequestContext.RequestID || b.SiteKey != fixtureKey || !b.ReceivedAt.Equal(received) {
				t.Errorf("envelope request %q site %q received %s", b.RequestID, b.SiteKey, b.ReceivedAt)
			}
			if len(b.Messages) != len(tc.want) {
				t.Fatalf("%d messages, want %d", len(b.Messages), len(tc.want))
			}
			sent := fixtureTime(t, tc.sentAt)
			for i, w := range tc.want {
				m := b.Messages[i]
				if m.Type != w.typ || m.MessageID != w.id || m.UserID != w.userID || m.Event != w.event {
					t.Errorf("message %d: %s %s user %q event %q, want %s %s %q %q", i, m.Type, m.MessageID, m.UserID, m.Event, w.typ, w.id, w.userID, w.event)
				}
				if m.Context.IP != w.ip {
					t.Errorf("message %d: ip %q, want %q (never the full address)", i, m.Context.IP, w.ip)
				}
				if m.Context.UserAgent != w.userAgent {
					t.Errorf("message %d: userAgent %q, want %q", i, m.Context.UserAgent, w.userAgent)
				}
				if !reflect.DeepEqual(m.Context.Campaign, w.campaign) {
					t.Errorf("message %d: campaign %+v, want %+v", i, m.Context.Campaign, w.campaign)
				}
				// The spec's skew correction: received - (sentAt - timestamp).
				if want := received.Add(-sent.Sub(fixtureTime(t, w.timestamp))); !m.Timestamp.Equal(want) {
					t.Errorf("message %d: timestamp %s, want %s", i, m.Timestamp, want)
				}
			}
		})
	}
}

// TestQueuedBodiesAreTheSQSFixture closes the chain: the SQS fixture the
// processor's tests use holds exactly what ingest queues for the API fixtures.
func TestQueuedBodiesAreTheSQSFixture(t *testing.T) {
	var sqs events.SQSEvent
	readEventFixture(t, filepath.Join("sqs", "events-batch.json"), &sqs)
	for i, name := range []string{"batch.json", "track-beacon.json"} {
		_, q := serveFixture(t, apigwEvent(t, name))
		got := fixtureQueued(t, q)
		want, err := tracking.DecodeBatch(sqs.Records[i].Body)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("events/sqs/events-batch.json record %d is not what ingest queues for %s; ingest now queues:\n%s", i, name, q.bodies[0])
		}
	}
}

// TestModifiedFixturesAreRejected: the same requests, each with one thing
// wrong, are refused with the right status and queue nothing.
func TestModifiedFixturesAreRejected(t *testing.T) {
	basic := func(key string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":")) }
	tests := []struct {
		name    string
		fixture string
		modify  func(ev *events.APIGatewayV2HTTPRequest)
		status  int
		code    string
	}{
		{"bad JSON", "batch.json", func(ev *events.APIGatewayV2HTTPRequest) { ev.Body = ev.Body[:len(ev.Body)/2] }, http.StatusBadRequest, "invalid_json"},
		{"bad base64", "batch-base64.json", func(ev *events.APIGatewayV2HTTPRequest) { ev.Body = "%%" + ev.Body }, http.StatusBadRequest, "invalid_body"},
		{"base64 flag lost", "batch-base64.json", func(ev *events.APIGatewayV2HTTPRequest) { ev.IsBase64Encoded = false }, http.StatusBadRequest, "invalid_json"},
		{"unknown key", "batch.json", func(ev *events.APIGatewayV2HTTPRequest) { ev.Headers["authorization"] = basic("wk_live_unknown01") }, http.StatusUnauthorized, "unknown_write_key"},
		{"no key", "batch.json", func(ev *events.APIGatewayV2HTTPRequest) { delete(ev.Headers, "authorization") }, http.StatusUnauthorized, "missing_write_key"},
		{"wrong identity secret as the Basic password", "batch.json", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Headers["authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(fixtureKey+":not-the-secret"))
		}, http.StatusUnauthorized, "invalid_secret"},
		{"unknown key in body", "track-beacon.json", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Body = replaceInFixture(t, ev.Body, `"writeKey":"`+fixtureKey+`"`, `"writeKey":"wk_live_unknown01"`)
		}, http.StatusUnauthorized, "unknown_write_key"},
		{"other origin", "track-beacon.json", func(ev *events.APIGatewayV2HTTPRequest) { ev.Headers["origin"] = "https://evil.example" }, http.StatusForbidden, "origin_not_allowed"},
		{"invalid message", "track-beacon.json", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Body = replaceInFixture(t, ev.Body, `"event":"Whitepaper Downloaded",`, ``)
		}, http.StatusBadRequest, "missing_event"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := apigwEvent(t, tc.fixture)
			tc.modify(&ev)
			resp, q := serveFixture(t, ev)
			var got struct {
				Error struct{ Code string } `json:"error"`
			}
			if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
				t.Fatalf("body %s: %v", resp.Body, err)
			}
			if resp.StatusCode != tc.status || got.Error.Code != tc.code {
				t.Errorf("status %d code %q, want %d %q (%s)", resp.StatusCode, got.Error.Code, tc.status, tc.code, resp.Body)
			}
			if len(q.bodies) != 0 {
				t.Errorf("a rejected request queued %d messages", len(q.bodies))
			}
			if _, ok := resp.Headers["Access-Control-Allow-Origin"]; ok && ev.Headers["origin"] != fixtureOrigin {
				t.Errorf("CORS allowed for origin %q", ev.Headers["origin"])
			}
		})
	}
}

func replaceInFixture(t *testing.T, s, old, new string) string {
	t.Helper()
	i := strings.Index(s, old)
	if i < 0 {
		t.Fatalf("fixture no longer contains %s", old)
	}
	return s[:i] + new + s[i+len(old):]
}
