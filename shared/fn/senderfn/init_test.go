package senderfn_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/fn/senderfn"
	"github.com/leadflow/leadflow/shared/mail"
)

// recordingHTTP stands in for every AWS endpoint: it records each request
// and fails it, so nothing leaves the test.
type recordingHTTP struct {
	mu    sync.Mutex
	calls []string
}

func (r *recordingHTTP) Do(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, req.URL.Host+" "+req.Header.Get("X-Amz-Target")+" "+req.URL.Path)
	return nil, errors.New("recordingHTTP: no network in this test")
}

// The sender's init (New, run once per cold start) makes no AWS call: SES's
// GetAccount used to be read here, a round trip (up to 3 s) on every cold
// start. The pacer reads it on the first batch instead (mail's
// TestReadingPacer* tests).
func TestNewMakesNoAWSCall(t *testing.T) {
	env := map[string]string{
		catalog.EnvTableName: "leadflow", catalog.QueueURLEnv(catalog.SendsQueue): "https://sqs.us-east-1.amazonaws.com/1/sends",
		catalog.EnvPublicBaseURL: "https://api.example.com", catalog.EnvSigningSecrets: strings.Repeat("a", 32),
		catalog.EnvSESConfigSet: "leadflow-cs",
	}
	cfg, err := senderfn.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingHTTP{}
	awsCfg := aws.Config{
		Region:     "us-east-1",
		HTTPClient: rec,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		}),
	}
	h := senderfn.New(awsCfg, cfg, slog.New(slog.DiscardHandler))
	if h == nil {
		t.Fatal("New returned nil")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.calls) != 0 {
		t.Errorf("init made %d AWS calls, want none: %v", len(rec.calls), rec.calls)
	}
}

func initEnv() map[string]string {
	return map[string]string{
		catalog.EnvTableName: "leadflow", catalog.QueueURLEnv(catalog.SendsQueue): "https://sqs.us-east-1.amazonaws.com/1/sends",
		catalog.EnvPublicBaseURL: "https://api.example.com", catalog.EnvSigningSecrets: strings.Repeat("a", 32),
	}
}

func offlineAWS(rec *recordingHTTP) aws.Config {
	return aws.Config{
		Region: "us-east-1", HTTPClient: rec, RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		}),
	}
}

// The repo's sending settings are not read at the cold start: the pipeline
// built around them is, on the first batch, once, however many batches
// arrive at the same time.
func TestSettingsAreReadOnceOnTheFirstBatch(t *testing.T) {
	env := initEnv()
	cfg, err := senderfn.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	// ConfigFromEnv's are the repo's.
	repo, err := cfg.Settings()
	if err != nil || repo.Sender.PostalAddress == "" {
		t.Fatalf("repo settings %+v, %v", repo, err)
	}
	var calls atomic.Int32
	cfg.Settings = func() (mail.Settings, error) {
		calls.Add(1)
		return repo, nil
	}
	h := senderfn.New(offlineAWS(&recordingHTTP{}), cfg, slog.New(slog.DiscardHandler))
	if n := calls.Load(); n != 0 {
		t.Fatalf("New read the settings %d times, want none", n)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := h.Handle(context.Background(), events.SQSEvent{}); err != nil {
				t.Errorf("Handle: %v", err)
			}
		})
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("settings read %d times, want once", n)
	}
}

// Sending settings that do not load (a broken build: CI and the stack's
// synth refuse one) fail every batch with the reason, and every message
// comes back, as a failed cold start did; nothing is sent or claimed.
func TestBrokenSettingsFailEveryBatchWithTheReason(t *testing.T) {
	env := initEnv()
	cfg, err := senderfn.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	broken := errors.New(`definitions/sending.json: default_timezone: unknown time zone "Mars/Olympus"`)
	var calls atomic.Int32
	cfg.Settings = func() (mail.Settings, error) {
		calls.Add(1)
		return mail.Settings{}, fmt.Errorf("sender: the repo's sending settings (definitions/sending.json): %w", broken)
	}
	rec := &recordingHTTP{}
	var logs bytes.Buffer
	h := senderfn.New(offlineAWS(rec), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: `{"send_id":"s1","contact_id":"c1","template_id":"welcome"}`}}}
	for range 2 {
		_, err := h.Handle(context.Background(), ev)
		if !errors.Is(err, broken) || !strings.Contains(err.Error(), "sending settings") {
			t.Errorf("Handle: %v", err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("settings read %d times, want once", n)
	}
	if !strings.Contains(logs.String(), "Mars/Olympus") {
		t.Errorf("the reason is not logged: %s", logs.String())
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.calls) != 0 {
		t.Errorf("AWS calls without settings: %v", rec.calls)
	}
}
