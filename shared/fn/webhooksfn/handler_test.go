package webhooksfn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/fn/webhooksfn"
	"github.com/leadflow/leadflow/shared/webhook"
)

// fakeSender answers each endpoint host with a fixed result.
type fakeSender struct {
	mu     sync.Mutex
	byHost map[string]webhook.Result
	sent   []webhook.Delivery
}

func (f *fakeSender) Send(_ context.Context, d webhook.Delivery) webhook.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, d)
	return f.byHost[webhook.Redact(d.URL)]
}

type queued struct {
	body  string
	delay time.Duration
}

type fakeRetries struct {
	mu   sync.Mutex
	sent []queued
	err  error
}

func (f *fakeRetries) EnqueueDelayed(_ context.Context, body string, delay time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.sent = append(f.sent, queued{body, delay})
	return nil
}

// fixture reads testdata/webhooks-batch.json the way the Lambda runtime
// decodes it: record 0 is a first attempt to a CRM, record 1 the last
// (8th) attempt to a chat hook whose path holds a secret, record 2 is not a
// delivery.
func fixture(t *testing.T) events.SQSEvent {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "webhooks-batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

const (
	crm  = "https://crm.acme-widgets.com"
	chat = "https://hooks.example.net"
)

func failedIDs(resp events.SQSEventResponse) string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return strings.Join(ids, ",")
}

func TestHandleFixture(t *testing.T) {
	const (
		first   = "7c1e9d2a-4b3f-4e8a-9d61-2f5a7c9e1b03"
		last    = "a3f0c6d1-8e2b-4c7d-b5a9-6e1f3d8c2a47"
		garbage = "e9b2d4f6-1a3c-4e5b-8d7f-0c2e4a6b8d10"
	)
	ok := webhook.Result{Outcome: webhook.Delivered, Status: 200}
	fail503 := webhook.Result{Outcome: webhook.Failed, Status: 503, Reason: "HTTP 503"}
	tests := []struct {
		name       string
		byHost     map[string]webhook.Result
		enqueueErr error
		wantFailed string
		// wantRetry is the re-queued attempt of the CRM delivery, if any.
		wantRetry *queued
	}{
		{"both delivered: only the garbage record fails", map[string]webhook.Result{crm: ok, chat: ok}, nil, garbage, nil},
		{"410 Gone is dropped, not retried", map[string]webhook.Result{crm: {Outcome: webhook.Gone, Status: 410, Reason: "HTTP 410"}, chat: ok}, nil, garbage, nil},
		{"a failed first attempt is re-queued as attempt 2 after 10 s",
			map[string]webhook.Result{crm: fail503, chat: ok}, nil, garbage, &queued{delay: 10 * time.Second}},
		{"Retry-After lengthens the wait",
			map[string]webhook.Result{crm: {Outcome: webhook.Failed, Status: 429, Reason: "HTTP 429", RetryAfter: time.Minute}, chat: ok}, nil, garbage, &queued{delay: time.Minute}},
		{"a timeout is retried like a 5xx",
			map[string]webhook.Result{crm: {Outcome: webhook.Failed, Reason: "timeout"}, chat: ok}, nil, garbage, &queued{delay: 10 * time.Second}},
		{"a failed last attempt is left for the dead-letter queue",
			map[string]webhook.Result{crm: ok, chat: fail503}, nil, last + "," + garbage, nil},
		{"a retry that cannot be queued fails the message, so SQS brings it back",
			map[string]webhook.Result{crm: fail503, chat: ok}, errors.New("sqs down"), first + "," + garbage, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sender := &fakeSender{byHost: tc.byHost}
			retries := &fakeRetries{err: tc.enqueueErr}
			var logs bytes.Buffer
			h := webhooksfn.NewWith(sender, retries, webhook.DefaultSchedule, slog.New(slog.NewJSONHandler(&logs, nil)))
			resp, err := h.Handle(context.Background(), fixture(t))
			if err != nil {
				t.Fatal(err)
			}
			// Failures come back in any order (deliveries run concurrently).
			got := strings.Split(failedIDs(resp), ",")
			want := strings.Split(tc.wantFailed, ",")
			if len(got) != len(want) || !containsAll(got, want) {
				t.Errorf("batch item failures %v, want %v", got, want)
			}
			if len(sender.sent) != 2 {
				t.Errorf("%d attempts made, want 2 (the garbage record is never sent)", len(sender.sent))
			}
			if tc.wantRetry == nil {
				if len(retries.sent) != 0 {
					t.Errorf("unexpected retries %v", retries.sent)
				}
			} else {
				if len(retries.sent) != 1 || retries.sent[0].delay != tc.wantRetry.delay {
					t.Fatalf("retries %v, want one after %s", retries.sent, tc.wantRetry.delay)
				}
				next, err := webhook.Decode(retries.sent[0].body)
				if err != nil {
					t.Fatal(err)
				}
				if next.Attempt != 2 || next.ID != "5d0c8f8f2f1b6a3e9c4d7b2a1e0f9c8d/0" || next.LastError != tc.byHost[crm].Reason ||
					!strings.Contains(string(next.Body), `"owner":"chloe@leadflow.example"`) {
					t.Errorf("re-queued delivery %+v", next)
				}
			}
			// Logs name the endpoint by host only and never carry the body.
			for _, leak := range []string{"XyZsecretPathToken", "ada@acme-widgets.com", "/hooks/leadflow"} {
				if strings.Contains(logs.String(), leak) {
					t.Errorf("logs contain %q:\n%s", leak, logs.String())
				}
			}
		})
	}
}

func containsAll(got, want []string) bool {
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			return false
		}
	}
	return true
}

func TestConfigFromEnv(t *testing.T) {
	secret := strings.Repeat("ab", 32)
	base := map[string]string{
		catalog.QueueURLEnv(catalog.WebhooksQueue): "https://sqs.us-east-1.amazonaws.com/123456789012/webhooks",
		catalog.EnvWebhookSecret:                   secret,
	}
	with := func(k, v string) func(string) string {
		return func(name string) string {
			if name == k {
				return v
			}
			return base[name]
		}
	}
	c, err := webhooksfn.ConfigFromEnv(with("", ""))
	if err != nil || string(c.Secret) != secret || c.Backoff.MaxAttempts() != 8 {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	c, err = webhooksfn.ConfigFromEnv(with(webhooksfn.EnvBackoff, "100ms,200ms"))
	if err != nil || c.Backoff.String() != "100ms,200ms" {
		t.Errorf("backoff override: %v, %v", c.Backoff, err)
	}
	for name, getenv := range map[string]func(string) string{
		"no queue":      with(catalog.QueueURLEnv(catalog.WebhooksQueue), ""),
		"no secret":     with(catalog.EnvWebhookSecret, ""),
		"short secret":  with(catalog.EnvWebhookSecret, "too-short-secret-value"),
		"bad backoff":   with(webhooksfn.EnvBackoff, "soon"),
		"backoff > 15m": with(webhooksfn.EnvBackoff, "1h"),
	} {
		_, err := webhooksfn.ConfigFromEnv(getenv)
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "too-short-secret-value") {
			t.Errorf("%s: error echoes the secret: %v", name, err)
		}
	}
}
