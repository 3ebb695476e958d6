package ingestfn_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/shared/tracking"
)

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func batchRequest(body []byte, encoding string) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{RouteKey: "POST /v1/batch", RawPath: "/v1/batch",
		Headers: map[string]string{"content-type": "application/json", "authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("site_key_1:"))},
		Body:    base64.StdEncoding.EncodeToString(body), IsBase64Encoded: true}
	if encoding != "" {
		req.Headers["content-encoding"] = encoding
	}
	req.RequestContext.HTTP.Method = "POST"
	req.RequestContext.RequestID = "req-gzip"
	return req
}

// RudderStack's Node SDK gzips every batch by default.
func TestGzippedBatchesAreAccepted(t *testing.T) {
	const batch = `{"batch":[{"type":"track","event":"Plan Selected","anonymousId":"a-1","messageId":"m-1"}]}`
	h, q := formHandler(t, 5)
	resp, err := h.Handle(context.Background(), batchRequest(gzipped(t, batch), "gzip"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("gzip: %d %s %v", resp.StatusCode, resp.Body, err)
	}
	q.mu.Lock()
	got := strings.Join(q.bodies, "")
	q.mu.Unlock()
	if !strings.Contains(got, `"m-1"`) {
		t.Errorf("queued %s", got)
	}

	tests := []struct {
		name, encoding string
		body           []byte
		status         int
		code           string
	}{
		{"not gzip data", "gzip", []byte(batch), 400, "invalid_body"},
		{"truncated gzip", "gzip", gzipped(t, batch)[:20], 400, "invalid_body"},
		{"brotli", "br", []byte(batch), 415, "unsupported_encoding"},
		// A bomb inflates only to one byte over the limit, then the
		// parser's size check refuses it.
		{"a bomb", "gzip", gzipped(t, `{"batch":[`+strings.Repeat(" ", 50*tracking.MaxBatchBytes)+`]}`), 400, "batch_too_large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := h.Handle(context.Background(), batchRequest(tc.body, tc.encoding))
			if resp.StatusCode != tc.status || !strings.Contains(resp.Body, `"`+tc.code+`"`) {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, resp.Body, tc.status, tc.code)
			}
		})
	}
}
