// Package ingestfn is the Lambda handler of the public tracking endpoints:
// it decodes the API Gateway request, calls ingest, and encodes the answer.
package ingestfn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/sqs"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/ingest"
	"github.com/leadflow/leadflow/shared/queue/sqsqueue"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/tracking"
)

// Config is read from the environment once, at cold start.
type Config struct {
	Table    string
	QueueURL string
	// RateLimitSecret keys the form rate-limit counters' hashes of IP
	// addresses and emails.
	RateLimitSecret []byte
}

// ConfigFromEnv reads the function's settings.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Table: getenv(catalog.EnvTableName), QueueURL: getenv(catalog.QueueURLEnv(catalog.EventsQueue)),
		RateLimitSecret: []byte(getenv(catalog.EnvRateLimitSecret))}
	if c.Table == "" || c.QueueURL == "" {
		return c, fmt.Errorf("ingest: %s and %s must be set", catalog.EnvTableName, catalog.QueueURLEnv(catalog.EventsQueue))
	}
	if len(c.RateLimitSecret) < ingest.MinLimitSecret {
		return c, fmt.Errorf("ingest: %s must hold at least %d characters", catalog.EnvRateLimitSecret, ingest.MinLimitSecret)
	}
	return c, nil
}

// Handler serves the tracking routes.
type Handler struct {
	svc *ingest.Service
	// forms serves /v1/forms/{formId}; nil answers 503 (see form.go).
	forms *ingest.FormService
	log   *slog.Logger
}

// New wires the handler with only the clients it uses.
func New(awsCfg aws.Config, cfg Config, log *slog.Logger) *Handler {
	store := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	queue := sqsqueue.New(sqs.NewFromConfig(awsCfg), cfg.QueueURL)
	svc := ingest.New(store, queue, time.Minute, nil)
	return NewWith(svc, log).WithForms(newFormService(svc, store, cfg.RateLimitSecret, log))
}

// NewWith builds a handler around a service (tests, benchmarks).
func NewWith(svc *ingest.Service, log *slog.Logger) *Handler {
	return &Handler{svc: svc, log: log}
}

// Invoke serves one Lambda invocation: the handler is a lambda.Handler, so
// the runtime hands it the event's bytes and httpapi.DecodeRequest reads
// them in one pass, instead of the runtime's reflection path (json.Decoder,
// which scans the escaped 25 KB body twice before unquoting it).
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	req, err := httpapi.DecodeRequest(payload)
	if err != nil {
		return nil, err // as the runtime's own decoding failure
	}
	resp, err := h.Handle(ctx, req)
	if err != nil {
		return nil, err
	}
	return httpapi.EncodeResponse(resp)
}

// Handle serves one request.
func (h *Handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	switch req.RouteKey {
	case "GET /v1/sdk.js":
		return h.serveSDK(ctx, req)
	case "POST /v1/forms/{formId}", "OPTIONS /v1/forms/{formId}":
		return h.submitForm(ctx, req)
	case catalog.DefaultRoute.Key():
		// No route matched: answer in the API's error shape.
		return httpapi.Fail(http.StatusNotFound, "not_found", "no route "+req.RequestContext.HTTP.Method+" "+clip(req.RawPath), nil), nil
	}
	origin := httpapi.Header(req, "Origin")
	method := req.RequestContext.HTTP.Method
	if method == http.MethodOptions {
		return trackingPreflight(origin, httpapi.Header(req, "Access-Control-Request-Headers")), nil
	}
	call := ingest.Call{
		Path:        req.RawPath,
		HeaderKey:   httpapi.Header(req, "X-Site-Key"),
		BasicKey:    httpapi.BasicUser(req),
		BasicSecret: httpapi.BasicPassword(req),
		Origin:      origin,
		SourceIP:    req.RequestContext.HTTP.SourceIP,
		UserAgent:   req.RequestContext.HTTP.UserAgent,
		RequestID:   req.RequestContext.RequestID,
	}
	if encoding := httpapi.Header(req, "Content-Encoding"); !req.IsBase64Encoded && isIdentity(encoding) {
		// The common case: the body is the event's string, which the
		// parser reads in place (a copy of it was a tenth of the time).
		call.BodyText = req.Body
	} else {
		body, err := httpapi.Body(req)
		if err != nil {
			return httpapi.Fail(http.StatusBadRequest, "invalid_body", err.Error(), nil), nil
		}
		if call.Body, err = decodeContent(encoding, body); err != nil {
			if errors.Is(err, errUnsupportedEncoding) {
				return httpapi.Fail(http.StatusUnsupportedMediaType, "unsupported_encoding", err.Error(), map[string]string{"Accept-Encoding": "gzip"}), nil
			}
			return httpapi.Fail(http.StatusBadRequest, "invalid_body", err.Error(), nil), nil
		}
	}
	acc, err := h.svc.Accept(ctx, call)
	headers := map[string]string{"Vary": "Origin"}
	if origin != "" && acc.Site.Key != "" && acc.Site.AllowsOrigin(origin) {
		headers["Access-Control-Allow-Origin"] = origin
	}
	if err != nil {
		return h.fail(ctx, err, acc, headers), nil
	}
	// Typed attributes and a constant body: this is every accepted
	// request's path, and neither needs boxing or reflection.
	h.log.LogAttrs(ctx, slog.LevelInfo, "batch accepted", slog.String("site", acc.Site.Key), slog.Int("messages", acc.Messages),
		slog.Int("queue_messages", acc.Queued), slog.Int("verified", acc.Verified), slog.Int("bad_user_hashes", acc.BadHashes))
	return httpapi.RawJSON(http.StatusOK, `{"success":true}`, headers), nil
}

func (h *Handler) fail(ctx context.Context, err error, acc ingest.Accepted, headers map[string]string) httpapi.Response {
	var te *tracking.Error
	switch {
	case errors.As(err, &te):
		h.log.InfoContext(ctx, "batch rejected", "site", acc.Site.Key, "code", te.Code, "reason", te.Message)
		return httpapi.Fail(http.StatusBadRequest, te.Code, te.Message, headers)
	case errors.Is(err, ingest.ErrMissingKey):
		return httpapi.Fail(http.StatusUnauthorized, "missing_write_key", err.Error(), headers)
	case errors.Is(err, ingest.ErrUnknownKey):
		return httpapi.Fail(http.StatusUnauthorized, "unknown_write_key", err.Error(), headers)
	case errors.Is(err, ingest.ErrWrongSecret):
		h.log.WarnContext(ctx, "batch rejected: wrong identity secret", "site", acc.Site.Key)
		return httpapi.Fail(http.StatusUnauthorized, "invalid_secret", err.Error(), headers)
	case errors.Is(err, ingest.ErrOriginRejected):
		return httpapi.Fail(http.StatusForbidden, "origin_not_allowed", err.Error(), headers)
	default:
		h.log.ErrorContext(ctx, "accept batch", "site", acc.Site.Key, "error", err)
		return httpapi.Fail(http.StatusInternalServerError, "internal", "the batch could not be queued; retry", headers)
	}
}
