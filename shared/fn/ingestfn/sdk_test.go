package ingestfn_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/shared/fn/ingestfn"
	"github.com/leadflow/leadflow/snippet"
)

func sdkRequest(headers map[string]string) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{RouteKey: "GET /v1/sdk.js", RawPath: "/v1/sdk.js", Headers: headers}
	req.RequestContext.HTTP.Method = "GET"
	return req
}

func TestServeSDK(t *testing.T) {
	// The snippet route touches neither the queue nor the table.
	h := ingestfn.NewWith(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	js := snippet.JS()
	tests := []struct {
		name     string
		headers  map[string]string
		status   int
		gzip     bool
		etag     string
		wantBody bool
	}{
		{"plain", nil, 200, false, js.ETag, true},
		{"gzip", map[string]string{"accept-encoding": "gzip, deflate, br"}, 200, true, js.GzipETag, true},
		{"gzip refused by q=0", map[string]string{"accept-encoding": "br, gzip;q=0"}, 200, false, js.ETag, true},
		{"any encoding", map[string]string{"accept-encoding": "*"}, 200, true, js.GzipETag, true},
		{"revalidate", map[string]string{"if-none-match": js.ETag}, 304, false, js.ETag, false},
		{"revalidate gzip, weak form", map[string]string{"accept-encoding": "gzip", "if-none-match": `"old", W/` + js.GzipETag}, 304, true, js.GzipETag, false},
		{"stale tag", map[string]string{"if-none-match": `"old"`}, 200, false, js.ETag, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := h.Handle(context.Background(), sdkRequest(tc.headers))
			if err != nil {
				t.Fatal(err)
			}
			hd := resp.Headers
			if resp.StatusCode != tc.status || hd["ETag"] != tc.etag || hd["Cache-Control"] != "public, max-age=300" ||
				hd["Content-Type"] != "application/javascript; charset=utf-8" || hd["Vary"] != "Accept-Encoding" {
				t.Fatalf("status %d headers %v", resp.StatusCode, hd)
			}
			if !tc.wantBody {
				if resp.Body != "" {
					t.Errorf("a 304 has a body of %d bytes", len(resp.Body))
				}
				return
			}
			body := []byte(resp.Body)
			if tc.gzip {
				if hd["Content-Encoding"] != "gzip" || !resp.IsBase64Encoded {
					t.Fatalf("gzip answer: Content-Encoding %q base64 %v", hd["Content-Encoding"], resp.IsBase64Encoded)
				}
				raw, err := base64.StdEncoding.DecodeString(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				zr, err := gzip.NewReader(bytes.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			} else if hd["Content-Encoding"] != "" || resp.IsBase64Encoded {
				t.Fatalf("plain answer: Content-Encoding %q base64 %v", hd["Content-Encoding"], resp.IsBase64Encoded)
			}
			if !bytes.Equal(body, js.Raw) {
				t.Errorf("served %d bytes, not the snippet's %d", len(body), len(js.Raw))
			}
		})
	}
}
