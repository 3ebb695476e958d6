package awsapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdkeb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	sdksqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/leadflow/leadflow/shared/awsapi"
	"github.com/leadflow/leadflow/shared/awsapi/eventbridge"
	ebtypes "github.com/leadflow/leadflow/shared/awsapi/eventbridge/types"
	"github.com/leadflow/leadflow/shared/awsapi/internal/sdkconv"
	"github.com/leadflow/leadflow/shared/awsapi/sqs"
	sqstypes "github.com/leadflow/leadflow/shared/awsapi/sqs/types"
)

type capture struct {
	srv    *httptest.Server
	bodies [][]byte
	heads  []http.Header
	// methods and uris (path and query) of each request
	methods, uris []string
	// errorType, when set, is answered as X-Amzn-ErrorType.
	errorType string
}

// newCapture records requests and answers each with status and body.
func newCapture(t *testing.T, status int, body string) *capture {
	c := &capture{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.bodies = append(c.bodies, b)
		c.heads = append(c.heads, r.Header.Clone())
		c.methods = append(c.methods, r.Method)
		c.uris = append(c.uris, r.URL.RequestURI())
		w.Header().Set("Content-Type", "application/json")
		if c.errorType != "" {
			w.Header().Set("X-Amzn-ErrorType", c.errorType)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *capture) config() aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(c.srv.URL), Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")}
}

// sameRequests fails unless the last two requests carry the same JSON and
// X-Amz-Target / Content-Type.
func sameRequests(t *testing.T, c *capture) {
	t.Helper()
	if len(c.bodies) != 2 {
		t.Fatalf("%d requests, want 2", len(c.bodies))
	}
	var a, b any
	if err := json.Unmarshal(c.bodies[0], &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(c.bodies[1], &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("bodies differ\nSDK:  %s\nours: %s", c.bodies[0], c.bodies[1])
	}
	for _, h := range []string{"X-Amz-Target", "Content-Type"} {
		if c.heads[0].Get(h) != c.heads[1].Get(h) {
			t.Errorf("%s: SDK %q, ours %q", h, c.heads[0].Get(h), c.heads[1].Get(h))
		}
	}
}

func TestSQSRequestsMatchTheSDKsWire(t *testing.T) {
	ctx := context.Background()
	sdkClient := func(c *capture) *sdksqs.Client {
		return sdksqs.NewFromConfig(c.config(), func(o *sdksqs.Options) { o.DisableMessageChecksumValidation = true })
	}
	t.Run("SendMessage", func(t *testing.T) {
		c := newCapture(t, 200, `{"MessageId":"m1","MD5OfMessageBody":"x"}`)
		in := &sqs.SendMessageInput{QueueUrl: aws.String(c.srv.URL + "/000000000000/q"), MessageBody: aws.String(`{"a":"é\n\u0000"}`), DelaySeconds: 30}
		var sin sdksqs.SendMessageInput
		if err := sdkconv.Convert(&sin, in); err != nil {
			t.Fatal(err)
		}
		if _, err := sdkClient(c).SendMessage(ctx, &sin); err != nil {
			t.Fatal(err)
		}
		out, err := sqs.NewFromConfig(c.config()).SendMessage(ctx, in)
		if err != nil || aws.ToString(out.MessageId) != "m1" {
			t.Fatalf("%+v, %v", out, err)
		}
		sameRequests(t, c)
	})
	t.Run("SendMessageBatch", func(t *testing.T) {
		c := newCapture(t, 200, `{"Successful":[{"Id":"0","MessageId":"m1","MD5OfMessageBody":"x"}],"Failed":[{"Id":"1","SenderFault":false,"Code":"InternalError","Message":"try again"}]}`)
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(c.srv.URL + "/000000000000/q"), Entries: []sqstypes.SendMessageBatchRequestEntry{
			{Id: aws.String("0"), MessageBody: aws.String("one")}, {Id: aws.String("1"), MessageBody: aws.String("two"), DelaySeconds: 5},
		}}
		var sin sdksqs.SendMessageBatchInput
		if err := sdkconv.Convert(&sin, in); err != nil {
			t.Fatal(err)
		}
		if _, err := sdkClient(c).SendMessageBatch(ctx, &sin); err != nil {
			t.Fatal(err)
		}
		out, err := sqs.NewFromConfig(c.config()).SendMessageBatch(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "1" || aws.ToString(out.Failed[0].Code) != "InternalError" || len(out.Successful) != 1 {
			t.Errorf("decoded %+v", out)
		}
		sameRequests(t, c)
	})
	t.Run("QueueDoesNotExist", func(t *testing.T) {
		c := newCapture(t, 400, `{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}`)
		_, err := sqs.NewFromConfig(c.config()).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String("q"), MessageBody: aws.String("x")})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "QueueDoesNotExist" || ae.ErrorMessage() != "The specified queue does not exist." {
			t.Errorf("%v", err)
		}
		if len(c.bodies) != 1 {
			t.Errorf("%d attempts, a client error is not retried", len(c.bodies))
		}
	})
}

func TestEventBridgeRequestsMatchTheSDKsWire(t *testing.T) {
	ctx := context.Background()
	c := newCapture(t, 200, `{"FailedEntryCount":1,"Entries":[{"EventId":"e1"},{"ErrorCode":"InternalFailure","ErrorMessage":"x"}]}`)
	at := time.Date(2026, 12, 7, 16, 0, 1, 234_567_000, time.UTC)
	in := &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{EventBusName: aws.String("leadflow"), Source: aws.String("leadflow"), DetailType: aws.String("contact.stage"), Detail: aws.String(`{"id":"c1"}`), Time: &at, Resources: []string{"c1"}},
		{EventBusName: aws.String("leadflow"), Source: aws.String("leadflow"), DetailType: aws.String("x"), Detail: aws.String(`{}`)},
	}}
	var sin sdkeb.PutEventsInput
	if err := sdkconv.Convert(&sin, in); err != nil {
		t.Fatal(err)
	}
	if _, err := sdkeb.NewFromConfig(c.config()).PutEvents(ctx, &sin); err != nil {
		t.Fatal(err)
	}
	out, err := eventbridge.NewFromConfig(c.config()).PutEvents(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 1 || aws.ToString(out.Entries[0].EventId) != "e1" || aws.ToString(out.Entries[1].ErrorCode) != "InternalFailure" {
		t.Errorf("decoded %+v", out)
	}
	sameRequests(t, c)
}

// The endpoint comes from the config, else from a config source by
// service ID (as the local runner gives each service its server), else
// the regional default.
func TestEndpointResolution(t *testing.T) {
	src := endpoints{"SQS": "http://127.0.0.1:9324"}
	cases := []struct {
		cfg  aws.Config
		want string
	}{
		{aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String("http://x:1"), ConfigSources: []any{src}}, "http://x:1"},
		{aws.Config{Region: "eu-west-1", ConfigSources: []any{src}}, "http://127.0.0.1:9324"},
		{aws.Config{Region: "eu-west-1", ConfigSources: []any{endpoints{}}}, ""},
	}
	for _, c := range cases {
		got := aws.ToString(awsapi.FromConfig(c.cfg, "SQS").BaseEndpoint)
		if got != c.want {
			t.Errorf("%+v: %q, want %q", c.cfg, got, c.want)
		}
	}
}

type endpoints map[string]string

func (e endpoints) GetServiceBaseEndpoint(_ context.Context, id string) (string, bool, error) {
	v, ok := e[id]
	return v, ok, nil
}

// Backoff is full jitter under an exponential cap: 1 s base after
// throttling, 50 ms otherwise, never over 20 s.
func TestBackoff(t *testing.T) {
	cases := []struct {
		attempt  int
		throttle bool
		r        float64
		want     time.Duration
	}{
		{1, false, 0.5, 50 * time.Millisecond},
		{2, false, 0.999, time.Duration(0.999 * float64(200*time.Millisecond))},
		{1, true, 0.5, time.Second},
		{3, true, 1, 8 * time.Second},
		{10, true, 1, 20 * time.Second},
		{60, false, 0.5, 10 * time.Second},
		{1, true, 0, 0},
	}
	for _, c := range cases {
		if got := awsapi.Backoff(c.attempt, c.throttle, c.r); got != c.want {
			t.Errorf("Backoff(%d, %v, %v) = %v, want %v", c.attempt, c.throttle, c.r, got, c.want)
		}
	}
}
