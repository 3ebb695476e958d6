package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	sqsapi "github.com/leadflow/leadflow/shared/awsapi/sqs"

	"github.com/leadflow/leadflow/local/runner"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/fn/webhooksfn"
	"github.com/leadflow/leadflow/shared/queue/sqsqueue"
	"github.com/leadflow/leadflow/shared/routing"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/webhook"
)

// webhookSecret signs the test platform's webhooks; the receivers verify
// with it.
const webhookSecret = "test-webhook-secret-0123456789abcdef"

// testBackoff makes 4 attempts about a second apart (SQS delays count in
// whole seconds), instead of 8 over 53 minutes. The runner reads it from
// its environment: the stack never sets it, so it is not a catalog
// variable.
const testBackoff = "200ms,200ms,200ms"

// newEnvWith is newEnv with webhook endpoints and the short retry schedule.
// It sets WEBHOOK_BACKOFF with t.Setenv, so these tests cannot run in
// parallel (none in this package do).
func newEnvWith(t *testing.T, urls ...string) *env {
	t.Helper()
	t.Setenv(webhooksfn.EnvBackoff, testBackoff)
	return newEnv(t, func(o *runner.Options) {
		o.WebhookURLs = strings.Join(urls, ",")
		o.WebhookSecret = webhookSecret
	})
}

// receiver is a webhook endpoint that answers each call with the status
// its script gives for the call's number (1-based) and keeps every request.
type receiver struct {
	srv    *httptest.Server
	script func(call int) int
	mu     sync.Mutex
	calls  []call
}

type call struct {
	at     time.Time
	header http.Header
	body   []byte
	status int
}

func newReceiver(t *testing.T, script func(call int) int) *receiver {
	r := &receiver{script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := r.script(len(r.calls) + 1)
		r.calls = append(r.calls, call{at: time.Now(), header: req.Header.Clone(), body: body, status: status})
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// url carries a path token, as chat and automation hooks do.
func (r *receiver) url() string { return r.srv.URL + "/hooks/leadflow-token-abc123" }

func (r *receiver) got() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// waitCalls waits until the receiver has had at least n calls.
func (r *receiver) waitCalls(t *testing.T, n int, within time.Duration) []call {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if c := r.got(); len(c) >= n {
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("receiver got %d calls, want %d", len(r.got()), n)
	return nil
}

func always(status int) func(int) int { return func(int) int { return status } }

// qualifyingBatch takes a new contact to MQL through the repo's scoring
// model: a "Demo Requested" track (rule mql-demo) from a VP (fit
// senior-title) at a 300-person company with a corporate address, which no
// territory but the default ("growth") takes.
func qualifyingBatch(anon string) string {
	return `{"batch":[
	 {"type":"identify","messageId":"` + anon + `-i","anonymousId":"` + anon + `","traits":{"email":"` + anon + `@acme-widgets.example","title":"VP Marketing","employees":300}},
	 {"type":"track","messageId":"` + anon + `-t","anonymousId":"` + anon + `","event":"Demo Requested","properties":{"plan":"pro"}}]}`
}

// waitRouted polls the admin API until the contact has an owner.
func (e *env) waitRouted(anon string) map[string]any {
	e.t.Helper()
	c := e.waitContact(anon, 2)
	id := c["id"].(string)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if code, c := e.admin("/v1/contacts/" + id); code == 200 && c["owner"] != nil && c["owner"] != "" {
			return c
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("contact %s (stage %v) never got an owner", id, c["stage"])
	return nil
}

// qualified returns the lead.qualified events on the local bus.
func (e *env) qualified() []runner.PublishedEvent {
	var out []runner.PublishedEvent
	for _, ev := range e.platform.Published() {
		if ev.DetailType == scoring.QualifiedType {
			out = append(out, ev)
		}
	}
	return out
}

// waitQueueEmpty waits until a queue has nothing visible, delayed or in
// flight.
func (e *env) waitQueueEmpty(queue string) {
	e.t.Helper()
	client := sqs.NewFromConfig(e.platform.AWS())
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(e.platform.QueueURL(queue)),
			AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages",
				"ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"},
		})
		if err != nil {
			e.t.Fatal(err)
		}
		// goaws counts delayed messages in ApproximateNumberOfMessages and
		// reports no Delayed attribute; SQS reports them apart.
		a := res.Attributes
		delayed := a["ApproximateNumberOfMessagesDelayed"]
		if a["ApproximateNumberOfMessages"] == "0" && a["ApproximateNumberOfMessagesNotVisible"] == "0" && (delayed == "" || delayed == "0") {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("queue %s never drained", queue)
}

func TestAQualifiedLeadIsRoutedPublishedAndSignedOnce(t *testing.T) {
	ok := newReceiver(t, always(200))
	// The second endpoint is down for two attempts, then recovers.
	flaky := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	e := newEnvWith(t, ok.url(), flaky.url())
	e.track(qualifyingBatch("routed-1"))

	// The processor moves the contact to MQL and queues a routing request;
	// the router gives it the growth team's first member (round-robin
	// starts at the top of the list).
	c := e.waitRouted("routed-1")
	id := c["id"].(string)
	if c["stage"] != "mql" || c["team"] != "growth" || c["owner"] != "chloe@leadflow.example" {
		t.Fatalf("stage %v team %v owner %v, want mql / growth / chloe@leadflow.example", c["stage"], c["team"], c["owner"])
	}

	// Exactly one lead.qualified on the bus, about this contact.
	evs := e.qualified()
	if len(evs) != 1 {
		t.Fatalf("%d lead.qualified events, want 1", len(evs))
	}
	ev := evs[0]
	var q scoring.QualifiedEvent
	if err := json.Unmarshal(ev.Detail, &q); err != nil {
		t.Fatal(err)
	}
	if ev.Source != "leadflow" || ev.Bus != "leadflow" || len(ev.Resources) != 1 || ev.Resources[0] != id {
		t.Errorf("envelope: source %s bus %s resources %v", ev.Source, ev.Bus, ev.Resources)
	}
	if q.ContactID != id || q.Type != "lead.qualified" || q.Stage != scoring.MQL || q.Owner != "chloe@leadflow.example" ||
		q.Team != "growth" || q.Email != "routed-1@acme-widgets.example" || c["routed_id"] != q.ID ||
		q.StageReason == "" || !strings.HasPrefix(q.RoutingReason, "default territory") {
		t.Errorf("lead.qualified %+v (contact routed_id %v)", q, c["routed_id"])
	}
	points := map[string]float64{}
	for _, b := range q.Breakdown {
		points[b.RuleID] = b.Points
	}
	if points["demo-requested"] < 29.9 || points["senior-title"] != 20 || points["company-mid-market"] != 15 || q.Score.Total < 65 {
		t.Errorf("score %+v breakdown %v", q.Score, points)
	}
	// The id is the one the processor derived from the stage change.
	history, _ := c["stage_history"].([]any)
	last, _ := history[len(history)-1].(map[string]any)
	at, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(last["at"]))
	if want := scoring.QualifiedID(id, scoring.MQL, at); q.ID != want {
		t.Errorf("event id %s, want QualifiedID of the stage change %s", q.ID, want)
	}

	// The healthy endpoint got it once: the bus detail, byte for byte, with
	// a signature the shared secret verifies and a tampered body fails.
	got := ok.waitCalls(t, 1, 15*time.Second)
	h, body := got[0].header, got[0].body
	if !bytes.Equal(body, ev.Detail) {
		t.Errorf("webhook body differs from the bus detail:\n%s\n%s", body, ev.Detail)
	}
	for k, want := range map[string]string{
		"Content-Type": "application/json", "Leadflow-Event": "lead.qualified",
		"Leadflow-Delivery": q.ID + "/0", "User-Agent": "Leadflow-Webhooks/1",
	} {
		if h.Get(k) != want {
			t.Errorf("header %s = %q, want %q", k, h.Get(k), want)
		}
	}
	sig := h.Get(scoring.SignatureHeader)
	if err := scoring.Verify([]byte(webhookSecret), sig, body, time.Now(), 0); err != nil {
		t.Errorf("signature %q does not verify: %v", sig, err)
	}
	tampered := bytes.Replace(body, []byte("chloe@"), []byte("mallory@"), 1)
	if err := scoring.Verify([]byte(webhookSecret), sig, tampered, time.Now(), 0); !errors.Is(err, scoring.ErrSignatureMismatch) {
		t.Errorf("tampered body: %v, want ErrSignatureMismatch", err)
	}
	if err := scoring.Verify([]byte("another-secret-of-at-least-32-chars!"), sig, body, time.Now(), 0); !errors.Is(err, scoring.ErrSignatureMismatch) {
		t.Errorf("wrong secret: %v, want ErrSignatureMismatch", err)
	}

	// The flaky endpoint: two failures, each retried after a delay, then
	// exactly one success, all the same delivery with a fresh signature.
	calls := flaky.waitCalls(t, 3, 20*time.Second)
	for i, cl := range calls {
		if cl.header.Get("Leadflow-Delivery") != q.ID+"/1" || !bytes.Equal(cl.body, ev.Detail) {
			t.Errorf("call %d: delivery %q", i+1, cl.header.Get("Leadflow-Delivery"))
		}
		if err := scoring.Verify([]byte(webhookSecret), cl.header.Get(scoring.SignatureHeader), cl.body, cl.at, 0); err != nil {
			t.Errorf("call %d: signature: %v", i+1, err)
		}
		if i > 0 && cl.at.Sub(calls[i-1].at) < 900*time.Millisecond {
			t.Errorf("call %d came %s after the previous one; the retry should wait for its delay", i+1, cl.at.Sub(calls[i-1].at))
		}
	}

	// Redeliver the routing request, as SQS does when a delete is lost: the
	// finished route makes it a no-op.
	e.waitQueueEmpty(catalog.WebhooksQueue)
	inv, _ := e.platform.Stats().Snapshot()
	req := routing.Request{ID: q.ID, ContactID: id, Change: scoring.StageChange{
		From: scoring.Stage(fmt.Sprint(last["from"])), To: scoring.MQL, At: at, Reason: fmt.Sprint(last["reason"]), By: fmt.Sprint(last["by"]),
	}}
	queue := sqsqueue.New(sqsapi.NewFromConfig(e.platform.AWS()), e.platform.QueueURL(catalog.RoutingQueue))
	if err := routing.Send(context.Background(), queue, req); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for now, _ := e.platform.Stats().Snapshot(); now["router"] == inv["router"]; now, _ = e.platform.Stats().Snapshot() {
		if time.Now().After(deadline) {
			t.Fatal("the router never took the redelivered request")
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.waitQueueEmpty(catalog.RoutingQueue)
	e.waitQueueEmpty(catalog.WebhooksQueue)
	time.Sleep(300 * time.Millisecond)
	if n := len(e.qualified()); n != 1 {
		t.Errorf("after redelivery: %d lead.qualified events, want still 1", n)
	}
	if n, m := len(ok.got()), len(flaky.got()); n != 1 || m != 3 {
		t.Errorf("after redelivery: receivers got %d and %d calls, want still 1 and 3", n, m)
	}
	if _, again := e.admin("/v1/contacts/" + id); again["owner"] != "chloe@leadflow.example" || again["routed_id"] != q.ID {
		t.Errorf("after redelivery: owner %v routed_id %v", again["owner"], again["routed_id"])
	}
	// And no round-robin turn was drawn twice: the next lead gets the next
	// member.
	e.track(qualifyingBatch("routed-2"))
	if c2 := e.waitRouted("routed-2"); c2["owner"] != "dan@leadflow.example" {
		t.Errorf("next lead's owner %v, want dan@leadflow.example (the second turn)", c2["owner"])
	}
}

func TestAWebhookThatKeepsFailingEndsInTheDeadLetterQueue(t *testing.T) {
	down := newReceiver(t, always(http.StatusInternalServerError))
	gone := newReceiver(t, always(http.StatusGone))
	e := newEnvWith(t, down.url(), gone.url())
	e.track(qualifyingBatch("unreachable-1"))
	c := e.waitRouted("unreachable-1")

	schedule, err := webhook.ParseSchedule(testBackoff)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := catalog.Load().QueueByName(catalog.WebhooksQueue)
	client := sqs.NewFromConfig(e.platform.AWS())
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		res, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.platform.DLQURL(catalog.WebhooksQueue)), WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) == 0 {
			continue
		}
		d, err := webhook.Decode(aws.ToString(res.Messages[0].Body))
		if err != nil {
			t.Fatalf("dead letter is not a delivery: %v", err)
		}
		evs := e.qualified()
		if len(evs) != 1 {
			t.Fatalf("%d lead.qualified events, want 1 (the bus does not depend on webhooks)", len(evs))
		}
		var ev scoring.QualifiedEvent
		json.Unmarshal(evs[0].Detail, &ev)
		if d.ID != ev.ID+"/0" || d.Attempt != schedule.MaxAttempts() || d.LastError != "HTTP 500" || ev.ContactID != c["id"] {
			t.Errorf("dead letter %s attempt %d last error %q; want %s/0, attempt %d, HTTP 500", d.ID, d.Attempt, d.LastError, ev.ID, schedule.MaxAttempts())
		}
		// Every scheduled attempt, then the last one once per receive
		// until SQS's redrive gave up on it.
		if n, want := len(down.got()), schedule.MaxAttempts()-1+q.MaxReceiveCount; n != want {
			t.Errorf("failing endpoint got %d calls, want %d", n, want)
		}
		// 410 Gone is the receiver saying "stop": one call, no retry.
		if n := len(gone.got()); n != 1 {
			t.Errorf("gone endpoint got %d calls, want 1", n)
		}
		more, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.platform.DLQURL(catalog.WebhooksQueue)), WaitTimeSeconds: 1})
		if err != nil || len(more.Messages) != 0 {
			t.Errorf("more dead letters than the one delivery: %v %v", more.Messages, err)
		}
		return
	}
	t.Fatalf("the failing delivery never reached the webhooks DLQ (endpoint got %d calls)", len(down.got()))
}
