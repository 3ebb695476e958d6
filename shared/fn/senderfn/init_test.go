package senderfn_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/fn/senderfn"
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
