package runner_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/site"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

// servers are shared by every test in the package: the JVM takes seconds to
// start. Each test gets its own table and queues.
var servers *runner.Servers

// userPool is the console's pool on the shared Cognito server; every test
// platform accepts its tokens.
var userPool runner.UserPool

func TestMain(m *testing.M) {
	// The servers live as long as this context: localaws stops them when it
	// ends, so it must outlive the tests.
	srv, err := runner.StartServers(context.Background(), runner.ServerOptions{Cognito: true})
	if err != nil {
		// Fail, never skip: a missing server is a broken set-up, not a pass.
		fmt.Fprintln(os.Stderr, "integration tests need the local servers:", err)
		os.Exit(1)
	}
	servers = srv
	if userPool, err = runner.ProvisionUserPool(context.Background(), srv.Cognito.Endpoint); err != nil {
		fmt.Fprintln(os.Stderr, "provision the local user pool:", err)
		srv.Stop()
		os.Exit(1)
	}
	code := m.Run()
	if err := srv.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop servers:", err)
	}
	os.Exit(code)
}

const (
	adminToken = "test-admin-token"
	siteKey    = "test_site_key_1"
)

var platformSeq atomic.Int64

// testLog discards function logs unless LEADFLOW_TEST_LOG is set, when
// they go to stderr for debugging a failing test.
func testLog() *slog.Logger {
	if os.Getenv("LEADFLOW_TEST_LOG") != "" {
		return slog.New(runner.NewLogHandler(os.Stderr))
	}
	return slog.New(slog.NewJSONHandler(io.Discard, nil))
}

type env struct {
	t        *testing.T
	platform *runner.Platform
	api      *httptest.Server
	table    string
}

// newEnv starts a platform with its own table and queues on the shared
// servers; tweaks adjust its options (webhook endpoints, say).
func newEnv(t *testing.T, tweaks ...func(*runner.Options)) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n := platformSeq.Add(1)
	prefix := fmt.Sprintf("t%d-%d-", time.Now().UnixNano()%1e9, n)
	opts := runner.Options{
		Endpoints:         servers.Endpoints(),
		Table:             prefix + "leadflow",
		QueuePrefix:       prefix,
		AdminToken:        adminToken,
		Site:              site.Site{Key: siteKey, Name: "Test site", AllowedOrigins: []string{"https://allowed.example"}},
		VisibilityTimeout: time.Second,
		BatchWindow:       100 * time.Millisecond,
		NoSchedules:       true,
		Log:               testLog(),
		UserPool:          &userPool,
		Denied:            denials(t),
	}
	for _, tweak := range tweaks {
		tweak(&opts)
	}
	p, err := runner.New(ctx, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	p.Start(ctx)
	api := httptest.NewServer(p)
	t.Cleanup(func() {
		api.Close()
		cancel()
		p.Wait()
	})
	return &env{t: t, platform: p, api: api, table: prefix + "leadflow"}
}

func (e *env) do(method, path, body string, headers map[string]string) (int, map[string]any, http.Header) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.api.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s %s: body is not JSON: %s", method, path, raw)
		}
	}
	return resp.StatusCode, out, resp.Header
}

func (e *env) admin(path string) (int, map[string]any) {
	code, body, _ := e.do("GET", path, "", map[string]string{"Authorization": "Bearer " + adminToken})
	return code, body
}

// waitContact polls the admin API until the contact for an anonymous id has
// at least n events. The bound only keeps a broken pipeline from hanging
// the test; it asserts nothing about speed.
func (e *env) waitContact(anon string, n int) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		code, body := e.admin("/v1/contacts?anonymous_id=" + anon)
		if code == 200 {
			if list, _ := body["contacts"].([]any); len(list) == 1 {
				id := list[0].(map[string]any)["id"].(string)
				if code, c := e.admin("/v1/contacts/" + id); code == 200 {
					if evs, _ := c["events"].([]any); len(evs) >= n {
						// The timeline chunk is written before the profile:
						// the profile is whole only once the message that
						// carried these events is done (deleted from the queue).
						e.settle()
						if code, c := e.admin("/v1/contacts/" + id); code == 200 {
							return c
						}
					}
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("contact for %s with %d events never appeared", anon, n)
	return nil
}

// settle waits until the events queue is empty and nothing is in flight.
func (e *env) settle() {
	e.t.Helper()
	client := sqs.NewFromConfig(e.platform.AWS())
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
			QueueUrl:       aws.String(e.platform.QueueURL(catalog.EventsQueue)),
			AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"},
		})
		if err != nil {
			e.t.Fatal(err)
		}
		if res.Attributes["ApproximateNumberOfMessages"] == "0" && res.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0" {
			time.Sleep(300 * time.Millisecond)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatal("events queue never drained")
}

// batchTime is minute i of the first batch: an hour ago, since event times
// more than 7 days old are replaced by the receive time.
func batchTime(i int) string {
	return batchBase.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
}

var batchBase = time.Now().UTC().Truncate(time.Minute).Add(-time.Hour)

var firstBatch = strings.NewReplacer("2026-11-24T08:00:00Z", batchTime(0), "2026-11-24T08:01:00Z", batchTime(1),
	"2026-11-24T08:02:00Z", batchTime(2), "2026-11-24T08:03:00Z", batchTime(3)).Replace(firstBatchAt)

const firstBatchAt = `{"batch":[
 {"type":"page","messageId":"p-1","anonymousId":"visitor-1","name":"Pricing","timestamp":"2026-11-24T08:00:00Z",
  "context":{"page":{"url":"https://example.com/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=launch","title":"Pricing","path":"/pricing","referrer":"https://mail.example.net/"},"userAgent":"Mozilla/5.0","ip":"203.0.113.50"}},
 {"type":"track","messageId":"t-1","anonymousId":"visitor-1","event":"Demo Requested","properties":{"plan":"pro"},"timestamp":"2026-11-24T08:01:00Z"},
 {"type":"page","messageId":"p-2","anonymousId":"visitor-1","timestamp":"2026-11-24T08:02:00Z",
  "context":{"page":{"url":"https://example.com/docs","title":"Docs","path":"/docs","referrer":"https://example.com/pricing"}}},
 {"type":"identify","messageId":"i-1","anonymousId":"visitor-1","userId":"user-42","traits":{"email":"Ada@Example.com","first_name":"Ada"},"timestamp":"2026-11-24T08:03:00Z"}
]}`

func TestTrackedEventsReachTheContact(t *testing.T) {
	e := newEnv(t)
	code, body, _ := e.do("POST", "/v1/batch", firstBatch, map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(siteKey+":"))})
	if code != 200 || body["success"] != true {
		t.Fatalf("POST /v1/batch = %d %v", code, body)
	}
	c := e.waitContact("visitor-1", 4)

	if c["email"] != "ada@example.com" || c["user_id"] != "user-42" {
		t.Errorf("email %v user_id %v", c["email"], c["user_id"])
	}
	if ids, _ := c["anonymous_ids"].([]any); len(ids) != 1 || ids[0] != "visitor-1" {
		t.Errorf("anonymous_ids %v", c["anonymous_ids"])
	}
	if traits, _ := c["traits"].(map[string]any); traits["first_name"] != "Ada" {
		t.Errorf("traits %v", c["traits"])
	}
	if c["page_views"] != float64(2) || c["first_seen"] != batchTime(0) || c["last_seen"] != batchTime(3) {
		t.Errorf("page_views %v first_seen %v last_seen %v", c["page_views"], c["first_seen"], c["last_seen"])
	}
	if lp, _ := c["last_page"].(map[string]any); lp["url"] != "https://example.com/docs" {
		t.Errorf("last_page %v", c["last_page"])
	}
	for _, k := range []string{"first_touch", "last_touch"} {
		tp, _ := c[k].(map[string]any)
		if tp["source"] != "newsletter" || tp["medium"] != "email" || tp["name"] != "launch" {
			t.Errorf("%s %v", k, c[k])
		}
	}
	evs := c["events"].([]any)
	var order []string
	for _, ev := range evs {
		order = append(order, ev.(map[string]any)["messageId"].(string))
	}
	if strings.Join(order, ",") != "i-1,p-2,t-1,p-1" {
		t.Errorf("events not most recent first: %v", order)
	}
	if ip := evs[3].(map[string]any)["context"].(map[string]any)["ip"]; ip != "203.0.113.0" {
		t.Errorf("stored ip %v, want it truncated", ip)
	}

	// The same contact is found by user id and by email.
	for _, q := range []string{"user_id=user-42", "email=ADA@example.com"} {
		code, body := e.admin("/v1/contacts?" + q)
		list, _ := body["contacts"].([]any)
		if code != 200 || len(list) != 1 || list[0].(map[string]any)["id"] != c["id"] {
			t.Errorf("GET /v1/contacts?%s = %d %v", q, code, body)
		}
	}
}

func TestAClientRetryAndAnSQSRedeliveryCountOnce(t *testing.T) {
	e := newEnv(t)
	hdr := map[string]string{"X-Site-Key": siteKey}
	for i := 0; i < 2; i++ { // the client retries the same batch
		if code, body, _ := e.do("POST", "/v1/batch", firstBatch, hdr); code != 200 {
			t.Fatalf("POST = %d %v", code, body)
		}
	}
	e.settle()
	// Redeliver: put the very same queue message on the queue again, as SQS
	// does when a delete is lost.
	parsed, err := tracking.Parse(tracking.Request{Body: []byte(firstBatch), ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	bodies, err := tracking.EncodeBatches(tracking.Batch{SiteKey: siteKey, Messages: parsed.Messages})
	if err != nil {
		t.Fatal(err)
	}
	client := sqs.NewFromConfig(e.platform.AWS())
	if _, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(e.platform.QueueURL(catalog.EventsQueue)), MessageBody: aws.String(bodies[0])}); err != nil {
		t.Fatal(err)
	}
	e.settle()
	c := e.waitContact("visitor-1", 4)
	if c["page_views"] != float64(2) || c["event_count"] != float64(4) || len(c["events"].([]any)) != 4 {
		t.Errorf("after retry and redelivery: page_views %v event_count %v events %d", c["page_views"], c["event_count"], len(c["events"].([]any)))
	}
}

func TestRejectedBatchStoresNothing(t *testing.T) {
	e := newEnv(t)
	hdr := map[string]string{"X-Site-Key": siteKey}
	tests := []struct {
		name, path, body string
		headers          map[string]string
		status           int
		code             string
	}{
		{"malformed JSON", "/v1/batch", `{"batch":[{"type":"page"`, hdr, 400, "invalid_json"},
		{"one bad message spoils the batch", "/v1/batch", `{"batch":[{"type":"page","anonymousId":"rejected-1"},{"type":"track","anonymousId":"rejected-1"}]}`, hdr, 400, "missing_event"},
		{"no identity", "/v1/track", `{"event":"x"}`, hdr, 400, "missing_identity"},
		{"event over 32 KB", "/v1/batch", `{"batch":[{"type":"track","event":"e","anonymousId":"rejected-1","properties":{"x":"` + strings.Repeat("a", 33*1024) + `"}}]}`, hdr, 400, "message_too_large"},
		{"batch over 500 KB", "/v1/batch", `{"batch":[` + strings.Repeat(`{"type":"track","event":"e","anonymousId":"rejected-1","properties":{"x":"`+strings.Repeat("a", 20*1024)+`"}},`, 25) + `{"type":"page","anonymousId":"rejected-1"}]}`, hdr, 400, "batch_too_large"},
		{"no write key", "/v1/batch", `{"batch":[{"type":"page","anonymousId":"rejected-1"}]}`, nil, 401, "missing_write_key"},
		{"unknown write key", "/v1/batch", `{"batch":[{"type":"page","anonymousId":"rejected-1"}]}`, map[string]string{"X-Site-Key": "nope_nope_nope"}, 401, "unknown_write_key"},
		{"disallowed origin", "/v1/batch", `{"batch":[{"type":"page","anonymousId":"rejected-1"}]}`, map[string]string{"X-Site-Key": siteKey, "Origin": "https://evil.example"}, 403, "origin_not_allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := e.do("POST", tc.path, tc.body, tc.headers)
			errObj, _ := body["error"].(map[string]any)
			if code != tc.status || errObj["code"] != tc.code || errObj["message"] == "" {
				t.Errorf("got %d %v, want %d %s", code, body, tc.status, tc.code)
			}
		})
	}
	e.settle()
	if code, body := e.admin("/v1/contacts?anonymous_id=rejected-1"); code != 200 || len(body["contacts"].([]any)) != 0 {
		t.Errorf("a rejected batch left a contact behind: %d %v", code, body)
	}
	if inv, _ := e.platform.Stats().Snapshot(); inv["processor"] != 0 {
		t.Errorf("the processor ran %d times; nothing should have been queued", inv["processor"])
	}
}

func TestWriteKeyWaysAndBrowserRequests(t *testing.T) {
	e := newEnv(t)
	// Body writeKey with text/plain, as browsers send to skip a preflight.
	req, _ := http.NewRequest("POST", e.api.URL+"/v1/page", strings.NewReader(`{"writeKey":"`+siteKey+`","anonymousId":"browser-1","context":{"page":{"url":"https://allowed.example/"}}}`))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Origin", "https://allowed.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://allowed.example" {
		t.Fatalf("text/plain beacon: %d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	code, _, h := e.do("OPTIONS", "/v1/batch", "", map[string]string{"Origin": "https://allowed.example", "Access-Control-Request-Method": "POST"})
	if code != 204 || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "X-Site-Key") {
		t.Errorf("preflight %d %v", code, h)
	}
	c := e.waitContact("browser-1", 1)
	if c["page_views"] != float64(1) {
		t.Errorf("page_views %v", c["page_views"])
	}
}

func TestAdminNeedsTheToken(t *testing.T) {
	e := newEnv(t)
	for _, h := range []map[string]string{nil, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic " + adminToken}} {
		code, body, _ := e.do("GET", "/v1/contacts", "", h)
		if errObj, _ := body["error"].(map[string]any); code != 401 || errObj["code"] != "unauthorized" {
			t.Errorf("headers %v: %d %v", h, code, body)
		}
	}
	if code, body := e.admin("/v1/contacts/c_doesnotexist"); code != 404 {
		t.Errorf("unknown contact: %d %v", code, body)
	}
	if code, body := e.admin("/v1/contacts?email=not-an-email"); code != 400 {
		t.Errorf("bad email filter: %d %v", code, body)
	}
	code, body, _ := e.do("PUT", "/v1/sites/new_site_key", `{"name":"Blog","allowed_origins":["https://blog.example"]}`, map[string]string{"Authorization": "Bearer " + adminToken})
	if code != 201 || body["key"] != "new_site_key" {
		t.Errorf("create site: %d %v", code, body)
	}
	code, body, _ = e.do("PUT", "/v1/sites/x", `{"name":""}`, map[string]string{"Authorization": "Bearer " + adminToken})
	if code != 400 {
		t.Errorf("invalid site: %d %v", code, body)
	}
	if code, _, _ := e.do("POST", "/v1/batch", `{"batch":[{"type":"page","anonymousId":"blog-1"}]}`, map[string]string{"X-Site-Key": "new_site_key", "Origin": "https://blog.example"}); code != 200 {
		t.Errorf("new site key not accepted: %d", code)
	}
}

func TestPoisonMessageIsDeadLettered(t *testing.T) {
	e := newEnv(t)
	client := sqs.NewFromConfig(e.platform.AWS())
	ctx := context.Background()
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(e.platform.QueueURL(catalog.EventsQueue)), MessageBody: aws.String("not a batch")}); err != nil {
		t.Fatal(err)
	}
	// A good message alongside it must still be processed.
	if code, _, _ := e.do("POST", "/v1/batch", `{"batch":[{"type":"page","anonymousId":"beside-poison"}]}`, map[string]string{"X-Site-Key": siteKey}); code != 200 {
		t.Fatal("good batch rejected")
	}
	e.waitContact("beside-poison", 1)
	q, _ := catalog.Load().QueueByName(catalog.EventsQueue)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		res, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.platform.DLQURL(catalog.EventsQueue)), WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) == 1 {
			if aws.ToString(res.Messages[0].Body) != "not a batch" {
				t.Fatalf("dead letter %q", aws.ToString(res.Messages[0].Body))
			}
			_, fails := e.platform.Stats().Snapshot()
			if fails["processor:items"] != q.MaxReceiveCount {
				t.Errorf("poison message failed %d times before dead-lettering, want maxReceiveCount %d", fails["processor:items"], q.MaxReceiveCount)
			}
			return
		}
	}
	t.Fatal("poison message never reached the dead-letter queue")
}

func TestDueTimersFireIntoTheContactTimelineOnce(t *testing.T) {
	e := newEnv(t)
	if code, _, _ := e.do("POST", "/v1/page", `{"anonymousId":"waiting-1"}`, map[string]string{"X-Site-Key": siteKey}); code != 200 {
		t.Fatal("page rejected")
	}
	c := e.waitContact("waiting-1", 1)
	cid := c["id"].(string)

	ctx := context.Background()
	store := dynamo.New(dynamodb.NewFromConfig(e.platform.AWS()), e.table)
	wheel := timer.NewWheel(store, nil, time.Now)
	due := time.Now().Add(-3 * time.Minute)
	if err := wheel.Schedule(ctx, timer.Timer{ID: "wait-1", ContactID: cid, Event: "Wait Finished", Properties: map[string]any{"journey": "onboarding"}, Due: due}); err != nil {
		t.Fatal(err)
	}
	// Fired twice, as an overlapping retry of the schedule would: still once.
	for i := 0; i < 2; i++ {
		if err := e.platform.FireSchedule(ctx, "timers", "timers-tick"); err != nil {
			t.Fatal(err)
		}
	}
	// The cursor lags a minute behind now so late writes are not missed; a
	// timer due three minutes ago is past it.
	c = e.waitContact("waiting-1", 2)
	evs := c["events"].([]any)
	got := evs[0].(map[string]any)
	if got["event"] != "Wait Finished" || got["messageId"] != "timer:wait-1" {
		t.Errorf("newest event %v", got)
	}
	e.settle()
	_, c2 := e.admin("/v1/contacts/" + cid)
	copies := 0
	for _, ev := range c2["events"].([]any) {
		if ev.(map[string]any)["messageId"] == "timer:wait-1" {
			copies++
		}
	}
	if copies != 1 {
		t.Errorf("the fired timer is %d times on the timeline, want once", copies)
	}
	// A fired timer is Leadflow acting, not the contact: not counted as
	// the contact's activity (contact.Profile.Apply).
	if c2["event_count"] != float64(1) {
		t.Errorf("event_count %v, want 1 (the page view only)", c2["event_count"])
	}
}

func TestEventsWithoutTimestampsListNewestFirst(t *testing.T) {
	e := newEnv(t)
	body := `{"batch":[{"type":"page","messageId":"first","anonymousId":"same-time"},{"type":"track","messageId":"second","event":"Clicked","anonymousId":"same-time"},{"type":"identify","messageId":"third","anonymousId":"same-time","traits":{"plan":"pro"}}]}`
	if code, _, _ := e.do("POST", "/v1/batch", body, map[string]string{"X-Site-Key": siteKey}); code != 200 {
		t.Fatal("batch rejected")
	}
	c := e.waitContact("same-time", 3)
	var order []string
	for _, ev := range c["events"].([]any) {
		order = append(order, ev.(map[string]any)["messageId"].(string))
	}
	if strings.Join(order, ",") != "third,second,first" {
		t.Errorf("events %v, want the last sent first", order)
	}
}

// Drain returns only once accepted events are processed: right after it,
// with no waiting, the contact carries every event (what `make dev` relies
// on to lose nothing on Ctrl-C).
func TestDrainProcessesEverythingAccepted(t *testing.T) {
	e := newEnv(t)
	const n = 5
	for i := 0; i < n; i++ {
		if code, _, _ := e.do("POST", "/v1/batch", fmt.Sprintf(`{"batch":[{"type":"page","anonymousId":"drain-1","name":"P%d"}]}`, i), map[string]string{"X-Site-Key": siteKey}); code != 200 {
			t.Fatalf("batch %d: status %d", i, code)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.platform.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	code, body := e.admin("/v1/contacts?anonymous_id=drain-1")
	list, _ := body["contacts"].([]any)
	if code != 200 || len(list) != 1 {
		t.Fatalf("after Drain: status %d, contacts %v", code, body)
	}
	id := list[0].(map[string]any)["id"].(string)
	if _, c := e.admin("/v1/contacts/" + id); len(c["events"].([]any)) != n {
		t.Fatalf("after Drain: %d events, want %d", len(c["events"].([]any)), n)
	}
}

// Drain waits for what the platform can process now, not for a deferred
// send due in 15 minutes: that one stays queued (the SQS server's journal
// keeps it across the restart when it has a data dir).
func TestDrainDoesNotWaitForDeferredMessages(t *testing.T) {
	e := newEnv(t)
	client := sqs.NewFromConfig(e.platform.AWS())
	if _, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: aws.String(e.platform.QueueURL(catalog.SendsQueue)), MessageBody: aws.String(`{"deferred":true}`), DelaySeconds: 900,
	}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := e.do("POST", "/v1/batch", `{"batch":[{"type":"page","anonymousId":"drain-deferred"}]}`, map[string]string{"X-Site-Key": siteKey}); code != 200 {
		t.Fatal("batch rejected")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.platform.Drain(ctx); err != nil {
		t.Fatalf("Drain with a message deferred 15 minutes: %v", err)
	}
	code, body := e.admin("/v1/contacts?anonymous_id=drain-deferred")
	if list, _ := body["contacts"].([]any); code != 200 || len(list) != 1 {
		t.Fatalf("after Drain the accepted event is not on a contact: %d %v", code, body)
	}
	res, err := client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(e.platform.QueueURL(catalog.SendsQueue)), AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages"},
	})
	if err != nil || res.Attributes["ApproximateNumberOfMessages"] != "1" {
		t.Fatalf("the deferred send is no longer queued: %v %v", res, err)
	}
}

// denials fails the test for every DynamoDB call the local IAM check
// refused: a handler that logs an error and carries on (as the operator's
// journey stop did when the catalog lacked a grant) must not pass.
func denials(t *testing.T) func(function, why string) {
	return func(function, why string) {
		t.Errorf("local IAM refused a call of %s: %s", function, why)
	}
}
