package ingestfn_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/shared/fn/ingestfn"
)

func preflight(path string, headers map[string]string) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{RouteKey: "OPTIONS " + path, RawPath: path, Headers: map[string]string{}}
	for k, v := range headers {
		req.Headers[strings.ToLower(k)] = v
	}
	req.RequestContext.HTTP.Method = "OPTIONS"
	return req
}

// allowed splits Access-Control-Allow-Headers into lower-cased names.
func allowed(h string) map[string]bool {
	out := map[string]bool{}
	for _, n := range strings.Split(h, ",") {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			out[n] = true
		}
	}
	return out
}

func TestTrackingPreflightAllowsWhatClientsRequest(t *testing.T) {
	// A preflight touches neither the queue nor the table.
	h := ingestfn.NewWith(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	const origin = "https://www.example.com"
	tests := []struct {
		name, path, requested string
		want                  []string
	}{
		{"snippet and first attempts", "/v1/batch", "", []string{"content-type", "authorization", "x-site-key"}},
		{"analytics.js 2.0 retry", "/v1/t", "authorization,content-type,x-retry-count", []string{"x-retry-count"}},
		{"RudderStack retry", "/v1/identify", "accept,anonymousid,authorization,content-type,rsa-retry-attempt,rsa-retry-reason,rsa-since-first-attempt,rsa-since-last-attempt,sentat",
			[]string{"anonymousid", "sentat", "rsa-retry-attempt", "rsa-retry-reason", "rsa-since-first-attempt", "rsa-since-last-attempt", "accept"}},
		{"RudderStack, mixed case and spaces", "/v1/page", " AnonymousId , SentAt,Rsa-Recovered", []string{"anonymousid", "sentat", "rsa-recovered"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := h.Handle(context.Background(), preflight(tc.path, map[string]string{
				"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": tc.requested}))
			if err != nil {
				t.Fatal(err)
			}
			hd := resp.Headers
			if resp.StatusCode != 204 || hd["Access-Control-Allow-Origin"] != origin || !strings.Contains(hd["Access-Control-Allow-Methods"], "POST") {
				t.Fatalf("status %d headers %v", resp.StatusCode, hd)
			}
			if !strings.Contains(hd["Vary"], "Origin") || !strings.Contains(hd["Vary"], "Access-Control-Request-Headers") {
				t.Errorf("Vary %q: the answer depends on the origin and the requested headers", hd["Vary"])
			}
			got := allowed(hd["Access-Control-Allow-Headers"])
			for _, w := range tc.want {
				if !got[w] {
					t.Errorf("Access-Control-Allow-Headers %q lacks %s", hd["Access-Control-Allow-Headers"], w)
				}
			}
			if n := len(strings.Split(hd["Access-Control-Allow-Headers"], ",")); n != len(got) {
				t.Errorf("Access-Control-Allow-Headers %q repeats a name", hd["Access-Control-Allow-Headers"])
			}
		})
	}
}

func TestTrackingPreflightRefusesOddRequests(t *testing.T) {
	h := ingestfn.NewWith(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	many := make([]string, 40)
	for i := range many {
		many[i] = "x-h" + strings.Repeat("a", i)
	}
	tests := map[string]string{
		"a space in a name":   "content-type, x bad",
		"a colon":             "x-a:b",
		"markup":              "<script>",
		"a non-ASCII name":    "x-é",
		"a long name":         "x-" + strings.Repeat("a", 100),
		"too many names":      strings.Join(many, ","),
		"a list too long":     strings.Repeat("x-a,", 400),
		"a CRLF in the value": "x-a\r\nSet-Cookie: a=b",
	}
	for name, requested := range tests {
		t.Run(name, func(t *testing.T) {
			resp, _ := h.Handle(context.Background(), preflight("/v1/batch", map[string]string{
				"Origin": "https://www.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": requested}))
			if resp.StatusCode != 400 || !strings.Contains(resp.Body, `"invalid_preflight"`) {
				t.Errorf("status %d body %s, want 400 invalid_preflight", resp.StatusCode, resp.Body)
			}
			if _, ok := resp.Headers["Access-Control-Allow-Origin"]; ok {
				t.Errorf("a refused preflight grants CORS: %v", resp.Headers)
			}
			if _, ok := resp.Headers["Access-Control-Allow-Headers"]; ok {
				t.Errorf("a refused preflight allows headers: %v", resp.Headers)
			}
		})
	}
	// Without an Origin there is nothing to grant.
	resp, _ := h.Handle(context.Background(), preflight("/v1/batch", map[string]string{"Access-Control-Request-Headers": "x-retry-count"}))
	if resp.StatusCode != 204 || resp.Headers["Access-Control-Allow-Origin"] != "" || resp.Headers["Access-Control-Allow-Headers"] != "" {
		t.Errorf("no origin: status %d headers %v", resp.StatusCode, resp.Headers)
	}
}
