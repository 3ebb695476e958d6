// Package awsapi is a small client for AWS's JSON protocols (JSON 1.0 and
// 1.1: DynamoDB, SQS, EventBridge, Cognito; REST-JSON: SES v2, Scheduler)
// and for S3's REST-XML (whose requests package s3 builds, through
// DoHTTP), signed with aws/signer/v4 and sent with net/http.
//
// Why not the SDK's service clients: their package initialisation (a
// smithy schema per shape, endpoint tables, type registries: 3,000+
// allocations for DynamoDB alone) ran on every cold start of every
// function and was most of what kept them above 1.3× a hello-world Lambda
// (BENCHMARKS.md, "Cold start"). The signer and aws.Config, which this
// package uses, cost nothing measurable at start.
//
// The service packages under it (dynamodb, sqs, eventbridge, sesv2,
// scheduler, cognitoidentityprovider, s3) mirror the
// names of the SDK's for the subset Leadflow uses, so that adapters change
// only their import lines. What it keeps from the SDK: credentials from
// aws.Config (Lambda's environment), the base endpoint (aws.Config's, or a
// config source's per service, as the local runner gives), the standard
// retryer's behaviour (throttling, 5xx and connection errors retried with
// jittered exponential backoff, 3 attempts unless RetryMaxAttempts says
// otherwise), context deadlines, errors as smithy.OperationError wrapping
// a smithy.APIError, and the APIOptions middleware's Initialize and
// Finalize steps (the local runner's IAM check and the benches' meters).
package awsapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Service describes one AWS service. REST-JSON services leave
// TargetPrefix and ContentType empty (their operations go through DoREST),
// and so does S3 (DoHTTP).
type Service struct {
	// ID is the SDK's service ID ("DynamoDB"): config sources and
	// middleware know services by it.
	ID string
	// SigningName is SigV4's service name ("dynamodb").
	SigningName string
	// EndpointPrefix makes the default endpoint https://<prefix>.<region>.amazonaws.com.
	EndpointPrefix string
	// TargetPrefix is X-Amz-Target's operation prefix ("DynamoDB_20120810").
	TargetPrefix string
	// ContentType is "application/x-amz-json-1.0" or "-1.1".
	ContentType string
	// Error maps an error response to the service's typed error; nil means
	// a smithy.GenericAPIError.
	Error func(code, message string, body []byte) error
	// ErrorCode, when set, reads an error response's code and message
	// instead of the JSON protocols' rules (S3 answers XML, or nothing to
	// a HEAD).
	ErrorCode func(status int, body []byte) (code, message string)
	// S3 signs as S3 does: the path as sent (keys are escaped once, not
	// twice) and the payload's hash in X-Amz-Content-Sha256.
	S3 bool
}

// Options configure a Client, with the fields of the SDK's per-service
// Options that Leadflow sets.
type Options struct {
	Region       string
	BaseEndpoint *string
	Credentials  aws.CredentialsProvider
	HTTPClient   aws.HTTPClient
	// RetryMaxAttempts is the number of attempts, the first included (0: 3).
	RetryMaxAttempts int
	// APIOptions add SDK middleware. Two steps run: Initialize once per
	// call (with its input and output) and Finalize once per attempt (with
	// the *smithyhttp.Request); Serialize, Build and Deserialize do not.
	APIOptions []func(*middleware.Stack) error
	// DisableValidateResponseChecksum is accepted for the SDK's sake: this
	// client does not check DynamoDB's CRC32 header.
	DisableValidateResponseChecksum bool
}

// FromConfig takes the options from an aws.Config, the way the SDK's
// NewFromConfig does: the base endpoint is the config's, else one a config
// source gives for the service ID (GetServiceBaseEndpoint, as
// AWS_ENDPOINT_URL_<SERVICE> does).
func FromConfig(cfg aws.Config, serviceID string) Options {
	o := Options{
		Region: cfg.Region, BaseEndpoint: cfg.BaseEndpoint, Credentials: cfg.Credentials,
		HTTPClient: cfg.HTTPClient, RetryMaxAttempts: cfg.RetryMaxAttempts,
		APIOptions: cfg.APIOptions,
	}
	if o.BaseEndpoint == nil {
		for _, src := range cfg.ConfigSources {
			if r, ok := src.(interface {
				GetServiceBaseEndpoint(context.Context, string) (string, bool, error)
			}); ok {
				if ep, found, err := r.GetServiceBaseEndpoint(context.Background(), serviceID); err == nil && found {
					o.BaseEndpoint = aws.String(ep)
					break
				}
			}
		}
	}
	return o
}

// Client sends one service's requests.
type Client struct {
	svc      Service
	opts     Options
	endpoint string
	signer   *v4.Signer
}

// New returns a client for svc.
func New(svc Service, o Options) *Client {
	if o.HTTPClient == nil {
		o.HTTPClient = defaultHTTPClient()
	}
	if o.RetryMaxAttempts <= 0 {
		o.RetryMaxAttempts = 3
	}
	ep := aws.ToString(o.BaseEndpoint)
	if ep == "" {
		ep = defaultEndpoint(svc.EndpointPrefix, o.Region)
	}
	return &Client{svc: svc, opts: o, endpoint: strings.TrimRight(ep, "/") + "/", signer: v4.NewSigner()}
}

func defaultEndpoint(prefix, region string) string {
	suffix := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://" + prefix + "." + region + "." + suffix
}

// defaultHTTPClient is the SDK's default transport, in its settings that
// matter here: keep-alive connections, bounded dial and TLS handshakes.
func defaultHTTPClient() *http.Client {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: t}
}

// Options returns a copy of the client's options.
func (c *Client) Options() Options { return c.opts }

// Do runs one operation of a JSON-RPC protocol (X-Amz-Target): params is
// the input (for middleware), body its JSON, decode turns a 2xx response
// body into the output.
func (c *Client) Do(ctx context.Context, op string, params any, body []byte, decode func([]byte) (any, error)) (any, error) {
	return c.do(ctx, call{op: op, body: body}, params, decode)
}

// DoREST runs one operation of the REST-JSON protocol (SES v2, Scheduler):
// method and path (escaped, with its query) instead of X-Amz-Target, body
// nil when the operation has no payload (a GET, a DELETE).
func (c *Client) DoREST(ctx context.Context, op, method, path string, params any, body []byte, decode func([]byte) (any, error)) (any, error) {
	return c.do(ctx, call{op: op, method: method, path: path, body: body}, params, decode)
}

// HTTPRequest is the request of an operation whose service package builds
// it itself (S3's REST-XML: the bucket may be in the host, the inputs in
// headers).
type HTTPRequest struct {
	Method string
	// URL is absolute and escaped; "" is the client's endpoint.
	URL    string
	Header http.Header
	// Body is nil when the operation has no payload.
	Body []byte
}

// DoHTTP runs one operation with retries, signing and middleware like Do,
// and hands a 2xx response to decode unread: decode must close its body,
// or return an output that owns it (an object's contents are streamed).
func (c *Client) DoHTTP(ctx context.Context, op string, params any, r HTTPRequest, decode func(*http.Response) (any, error)) (any, error) {
	return c.do(ctx, call{op: op, method: r.Method, url: r.URL, header: r.Header, body: r.Body, stream: decode}, params, nil)
}

// call is one operation's request.
type call struct {
	op string
	// method and path are set for REST protocols; empty means a POST to /
	// with X-Amz-Target.
	method, path string
	body         []byte
	// url, header and stream are DoHTTP's.
	url    string
	header http.Header
	stream func(*http.Response) (any, error)
}

func (c *Client) do(ctx context.Context, cl call, params any, decode func([]byte) (any, error)) (any, error) {
	op := cl.op
	if len(c.opts.APIOptions) == 0 {
		return c.send(ctx, nil, cl, decode)
	}
	// Both families of getters are in use (aws/middleware's and smithy's).
	ctx = middleware.WithServiceID(ctx, c.svc.ID)
	ctx = middleware.WithOperationName(ctx, op)
	ctx = awsmiddleware.SetServiceID(ctx, c.svc.ID)
	ctx = awsmiddleware.SetOperationName(ctx, op)
	stack := middleware.NewStack(op, func() any { return nil })
	for _, fn := range c.opts.APIOptions {
		if err := fn(stack); err != nil {
			return nil, c.opError(op, err)
		}
	}
	h := middleware.DecorateHandler(middleware.HandlerFunc(func(ctx context.Context, _ any) (any, middleware.Metadata, error) {
		out, err := c.send(ctx, stack, cl, decode)
		return out, middleware.Metadata{}, err
	}), stack.Initialize) // the later steps would put the output in RawResponse
	out, _, err := h.Handle(ctx, params)
	if err != nil {
		var oe *smithy.OperationError
		if !errors.As(err, &oe) {
			err = c.opError(op, err)
		}
		return nil, err
	}
	return out, nil
}

func (c *Client) opError(op string, err error) error {
	return &smithy.OperationError{ServiceID: c.svc.ID, OperationName: op, Err: err}
}

// send makes up to RetryMaxAttempts attempts; stack (nil without
// APIOptions) has its Finalize step run around each attempt's HTTP call,
// where the SDK runs it (after its retry middleware).
func (c *Client) send(ctx context.Context, stack *middleware.Stack, cl call, decode func([]byte) (any, error)) (any, error) {
	op := cl.op
	sum := sha256.Sum256(cl.body)
	hash := hex.EncodeToString(sum[:])
	for attempt := 1; ; attempt++ {
		out, err := c.attempt(ctx, stack, cl, hash, decode)
		if err == nil {
			return out, nil
		}
		if attempt >= c.opts.RetryMaxAttempts || ctx.Err() != nil || !Retryable(err) {
			return nil, c.opError(op, err)
		}
		if err := sleep(ctx, Backoff(attempt, IsThrottle(err), rand.Float64())); err != nil {
			return nil, c.opError(op, err)
		}
	}
}

func (c *Client) attempt(ctx context.Context, stack *middleware.Stack, cl call, hash string, decode func([]byte) (any, error)) (any, error) {
	op := cl.op
	method, url := http.MethodPost, c.endpoint
	if cl.method != "" {
		method, url = cl.method, c.endpoint+strings.TrimPrefix(cl.path, "/")
	}
	if cl.url != "" {
		url = cl.url
	}
	var body io.Reader = http.NoBody
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if cl.method == "" {
		req.Header.Set("Content-Type", c.svc.ContentType)
		req.Header.Set("X-Amz-Target", c.svc.TargetPrefix+"."+op)
	} else if cl.body != nil && cl.stream == nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range cl.header {
		req.Header[k] = vs
	}
	if c.svc.S3 {
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	if c.opts.Credentials == nil {
		return nil, errors.New("no credentials")
	}
	creds, err := c.opts.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("retrieve credentials: %w", err)
	}
	if err := c.signer.SignHTTP(ctx, creds, req, hash, c.svc.SigningName, c.opts.Region, time.Now().UTC(), func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = c.svc.S3
	}); err != nil {
		return nil, fmt.Errorf("sign request: %w", err)
	}
	resp, err := c.roundTrip(ctx, stack, req)
	if err != nil {
		return nil, &connError{err}
	}
	if cl.stream != nil && resp.StatusCode/100 == 2 {
		out, err := cl.stream(resp)
		if err != nil {
			return nil, &smithy.DeserializationError{Err: fmt.Errorf("decode %s response: %w", op, err)}
		}
		return out, nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &connError{fmt.Errorf("read response: %w", err)}
	}
	if resp.StatusCode/100 != 2 {
		return nil, &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: c.apiError(resp, data)}
	}
	out, err := decode(data)
	if err != nil {
		// As the SDK's: an answer came that could not be read (for SES, the
		// message may have been sent all the same).
		return nil, &smithy.DeserializationError{Err: fmt.Errorf("decode %s response: %w", op, err)}
	}
	return out, nil
}

// roundTrip sends req, through the stack's Finalize middleware if any.
func (c *Client) roundTrip(ctx context.Context, stack *middleware.Stack, req *http.Request) (*http.Response, error) {
	if stack == nil || len(stack.Finalize.List()) == 0 {
		return c.opts.HTTPClient.Do(req)
	}
	h := middleware.DecorateHandler(middleware.HandlerFunc(func(ctx context.Context, in any) (any, middleware.Metadata, error) {
		r, ok := in.(*smithyhttp.Request)
		if !ok {
			return nil, middleware.Metadata{}, fmt.Errorf("finalize middleware passed %T, not *smithyhttp.Request", in)
		}
		resp, err := c.opts.HTTPClient.Do(r.Request.WithContext(ctx))
		return resp, middleware.Metadata{}, err
	}), stack.Finalize)
	out, _, err := h.Handle(ctx, &smithyhttp.Request{Request: req})
	if err != nil {
		return nil, err
	}
	resp, ok := out.(*http.Response)
	if !ok || resp == nil {
		return nil, fmt.Errorf("finalize middleware returned %T, not the response", out)
	}
	return resp, nil
}

// apiError reads an error response: the code from X-Amzn-ErrorType or the
// body's __type (its part after '#'), the message from message/Message.
func (c *Client) apiError(resp *http.Response, body []byte) error {
	if c.svc.ErrorCode != nil {
		code, msg := c.svc.ErrorCode(resp.StatusCode, body)
		if c.svc.Error != nil {
			if err := c.svc.Error(code, msg, body); err != nil {
				return err
			}
		}
		return &smithy.GenericAPIError{Code: code, Message: msg}
	}
	var e struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(body, &e)
	code := resp.Header.Get("X-Amzn-ErrorType")
	if code == "" {
		code = e.Type
		if code == "" {
			code = e.Code
		}
	}
	code = ErrorCode(code)
	if code == "" {
		code = http.StatusText(resp.StatusCode)
	}
	msg := e.Message
	if msg == "" {
		msg = e.MessageU
	}
	if c.svc.Error != nil {
		if err := c.svc.Error(code, msg, body); err != nil {
			return err
		}
	}
	// As the SDK's: a code it has no type for has no fault either.
	return &smithy.GenericAPIError{Code: code, Message: msg}
}

// ErrorCode trims an error type to its code: what follows '#', before ':'.
func ErrorCode(t string) string {
	if i := strings.IndexByte(t, ':'); i >= 0 {
		t = t[:i]
	}
	if i := strings.LastIndexByte(t, '#'); i >= 0 {
		t = t[i+1:]
	}
	return t
}

// connError marks a failure to get a response, retried like the SDK's
// RetryableConnectionError does.
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

var throttleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"RequestThrottledException": true, "TooManyRequestsException": true,
	"ProvisionedThroughputExceededException": true, "TransactionInProgressException": true,
	"RequestLimitExceeded": true, "BandwidthLimitExceeded": true, "LimitExceededException": true,
	"RequestThrottled": true, "SlowDown": true, "PriorRequestNotComplete": true,
	"EC2ThrottledException": true,
}

// IsThrottle reports an API error whose code is one of the SDK's
// throttling codes.
func IsThrottle(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && throttleCodes[ae.ErrorCode()]
}

// Retryable reports whether the SDK's standard retryer retries err:
// connection errors (not a cancelled or expired context), HTTP 500, 502,
// 503, 504, throttling and request-timeout codes.
func Retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ce *connError
	if errors.As(err, &ce) {
		return true
	}
	if IsThrottle(err) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "RequestTimeout" || ae.ErrorCode() == "RequestTimeoutException") {
		return true
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case 500, 502, 503, 504:
			return true
		}
	}
	return false
}

// MaxBackoff caps the delay before a retry, as the SDK's does.
const MaxBackoff = 20 * time.Second

// Backoff is the delay before retry number attempt (1 for the first retry):
// full jitter r·min(base·2^attempt, 20 s), r in [0,1), with base 1 s after
// throttling and 50 ms otherwise (the SDK's standard retryer).
func Backoff(attempt int, throttle bool, r float64) time.Duration {
	base := 50 * time.Millisecond
	if throttle {
		base = time.Second
	}
	d := MaxBackoff
	if attempt < 20 {
		d = min(base<<attempt, MaxBackoff)
	}
	return time.Duration(r * float64(d))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
